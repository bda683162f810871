#!/bin/bash
# CI for `dist-example sweep` across hosts: sweep.yml for real, its shards on three local
# hosts (ansible_connection=local), fetched and merged; the merged output must be the
# single-machine sweep's, byte for byte. Also ansible-lint and --syntax-check of sweep.yml.
# Needs ansible-playbook (.ci/two-hosts.sh installs Debian's). Run from anywhere; prints
# PASS/FAIL lines and exits non-zero on a failure. Without ansible-playbook it is SKIPPED,
# which with CI=true is a failure (unless DIST_EXAMPLE_ALLOW_SKIP=1).
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
failures=0
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
work=$(mktemp -d /tmp/dist-example-sweep-ci.XXXXXX)
trap 'rm -rf "$work" /tmp/dist-example-sweep-ci-w[123]' EXIT

if ! command -v ansible-playbook >/dev/null; then
  echo "SKIPPED: no ansible-playbook (.ci/two-hosts.sh installs it)"
  [ "${CI:-}" = true ] && [ "${DIST_EXAMPLE_ALLOW_SKIP:-}" != 1 ] && exit 1
  exit 0
fi

if out=$(ansible-playbook -i 'w1,w2,' --syntax-check sweep.yml 2>&1); then
  pass "ansible-playbook --syntax-check sweep.yml"
else
  fail "ansible-playbook --syntax-check sweep.yml: $out"
fi
if command -v ansible-lint >/dev/null; then
  if out=$(ansible-lint --offline -q sweep.yml 2>&1); then pass "ansible-lint sweep.yml"; else fail "ansible-lint sweep.yml: $out"; fi
fi

bin=$work/bin/dist-example
go build -o "$bin" ./cmd/dist-example || { fail "go build"; exit 1; }
# 3 profiles x 20 seeds over 3 hosts: 60 runs, shards of 20.
grid='delay 20ms 5ms loss {0..10..5}% 25% duplicate 1% reorder 10%'
"$bin" sweep -seeds 1-20 -duration 20s -netem "$grid" >"$work/single.jsonl" 2>"$work/single.err" ||
  fail "the single-machine sweep: $(tail -1 "$work/single.err")"

printf '%s\n' '[sweepers]' \
  'w1 ansible_connection=local sweep_remote_dir=/tmp/dist-example-sweep-ci-w1' \
  'w2 ansible_connection=local sweep_remote_dir=/tmp/dist-example-sweep-ci-w2' \
  'w3 ansible_connection=local sweep_remote_dir=/tmp/dist-example-sweep-ci-w3' \
  '[all:vars]' 'ansible_python_interpreter=/usr/bin/python3' >"$work/inventory.ini"
python3 - "$work" "$grid" >"$work/vars.json" <<'PY'
import json, sys
work, grid = sys.argv[1], sys.argv[2]
print(json.dumps({
    "sweep_args": "-seeds 1-20 -duration 20s -netem '%s'" % grid,
    "dist_example_binary": work + "/bin/dist-example",
    "sweep_out": work + "/merged.jsonl",
    "sweep_plot": work + "/merged.png",
    "sweep_parts_dir": work + "/parts",
}))
PY
if ansible-playbook -i "$work/inventory.ini" sweep.yml -e "@$work/vars.json" >"$work/play.log" 2>&1; then
  pass "sweep.yml ran 3 shards on 3 local hosts and merged them"
else
  fail "sweep.yml: $(tail -25 "$work/play.log")"
fi
if cmp -s "$work/single.jsonl" "$work/merged.jsonl"; then
  pass "merged shards == the single-machine sweep ($(grep -c '"type":"run"' "$work/merged.jsonl") rows, $(ls "$work/parts" | wc -l) parts)"
else
  fail "merged shards differ from the single-machine sweep: $(diff "$work/single.jsonl" "$work/merged.jsonl" 2>&1 | head -5)"
fi
[ -s "$work/merged.png" ] && pass "sweep_plot drew $(stat -c %s "$work/merged.png") bytes" || fail "sweep_plot: no PNG"

echo "sweep: $failures failure(s)"
[ "$failures" -eq 0 ]
