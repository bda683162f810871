#!/usr/bin/env bash
# Short fuzz runs of every Fuzz target in the repository (go test -fuzz), one target at a
# time as go test requires. The seed corpora under testdata/fuzz/ run as ordinary tests in
# `go test ./...`; this adds new, random inputs. A failure leaves the crashing input in the
# package's testdata/fuzz/FuzzX/ directory, ready to be checked in as a regression test,
# and fails CI.
#
# The budget is a count of executions (-fuzztime Nx, FUZZ_EXECS per target, default
# 150000: about 6-10 s each on a 2-core machine), not a duration. A duration races the
# fuzzing coordinator's own deadline in Go 1.26 (go.dev/issue/75804): at the end of the
# window a worker's shutdown can surface as a bare "context deadline exceeded" failure
# with no failing input, which failed CI once. A count has no deadline to race; a slow
# machine just takes longer, and -timeout still bounds a hung target.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=$PATH:/usr/local/go/bin

execs=${FUZZ_EXECS:-150000}
case $execs in
	'' | *[!0-9]* | 0) echo "fuzz: FUZZ_EXECS must be a positive whole number of executions, got '$execs'" >&2; exit 2 ;;
esac
# "dir name" per target, found from the test files, so a new target is fuzzed with no edit.
mapfile -t targets < <(grep -rl --include='*_test.go' -E '^func Fuzz[A-Z0-9_a-z]*\(f \*testing\.F\)' . |
	grep -v '/vendor/' | sort | while read -r file; do
		grep -oE '^func Fuzz[A-Za-z0-9_]*' "$file" | sed "s|^func ||; s|^|$(dirname "$file") |"
	done)
if [ ${#targets[@]} -eq 0 ]; then
	echo "fuzz: no Fuzz targets found"
	exit 0
fi
echo "fuzz: ${#targets[@]} targets, ${execs} executions each"
start=$(date +%s)
for t in "${targets[@]}"; do
	dir=${t%% *}
	name=${t##* }
	echo "--- $name in $dir"
	go test "$dir" -run '^$' -fuzz "^${name}\$" -fuzztime "${execs}x" -timeout 5m
done
echo "fuzz: done in $(( $(date +%s) - start ))s"
