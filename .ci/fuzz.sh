#!/usr/bin/env bash
# Short fuzz runs of every Fuzz target in the repository (go test -fuzz), one target at a
# time as go test requires, each for FUZZTIME (default: an equal share of FUZZ_BUDGET
# seconds, at most 10s each). The seed corpora under testdata/fuzz/ run as ordinary tests
# in `go test ./...`; this adds new, random inputs. A failure leaves the crashing input in
# the package's testdata/fuzz/FuzzX/ directory, ready to be checked in as a regression
# test, and fails CI.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=$PATH:/usr/local/go/bin

budget=${FUZZ_BUDGET:-90}
# "dir name" per target, found from the test files, so a new target is fuzzed with no edit.
mapfile -t targets < <(grep -rl --include='*_test.go' -E '^func Fuzz[A-Z0-9_a-z]*\(f \*testing\.F\)' . |
	grep -v '/vendor/' | sort | while read -r file; do
		grep -oE '^func Fuzz[A-Za-z0-9_]*' "$file" | sed "s|^func ||; s|^|$(dirname "$file") |"
	done)
if [ ${#targets[@]} -eq 0 ]; then
	echo "fuzz: no Fuzz targets found"
	exit 0
fi
per=$(( budget / ${#targets[@]} ))
[ "$per" -gt 10 ] && per=10
[ "$per" -lt 2 ] && per=2
fuzztime=${FUZZTIME:-${per}s}
echo "fuzz: ${#targets[@]} targets, ${fuzztime} each"
start=$(date +%s)
for t in "${targets[@]}"; do
	dir=${t%% *}
	name=${t##* }
	echo "--- $name in $dir"
	go test "$dir" -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime"
done
echo "fuzz: done in $(( $(date +%s) - start ))s"
