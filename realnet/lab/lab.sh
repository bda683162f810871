#!/bin/bash
# Two hosts without VMs: network namespaces host1 and host2 joined by a veth pair
# (10.99.0.1/24 and 10.99.0.2/24). `dist-example recv` runs in host2, `dist-example send` in
# host1, over real UDP, and the receiver's totals are checked against what was applied:
#
#   clean  no impairment: every datagram arrives, exactly once
#   loss   iptables' statistic match drops each datagram on host2's INPUT chain with
#          probability P (silent loss, as on a wire): the loss must be within K binomial
#          sigmas of N*P
#   rate   a tbf rate limit on host1's egress: the bits that arrived cannot exceed
#          rate * elapsed + burst, and everything that passed the link was counted
#   proxy  `dist-example proxy` in host1, on its loopback, between the sender and the link:
#          delay, jitter and reordering, with loss and duplication, as netem on host1's
#          egress. The proxy's delivered = host2's INPUT seen = the receiver's received,
#          exactly; the rest must be within K sigmas of what netem's pipeline predicts
#
# The experiment has one implementation, the Go package realnet/lab and its tests
# (TestTwoHostsOverRealUDP, TestProxyBetweenTwoHosts); this script is a thin caller: it
# compiles those tests (so it needs go and this source tree) and runs them with the
# flags below as their -lab.* flags, then prints a PASS or FAIL line per case.
#
# Usage (as root): realnet/lab/lab.sh [flags]
#   --bin PATH         dist-example binary [built with go build into a temporary directory]
#   --root1 DIR        run host1's process chrooted in DIR, as /usr/bin/dist-example
#   --root2 DIR        the same for host2 (roots provisioned by playbook.yml, say)
#   --cases LIST       comma-separated: clean,loss,rate,proxy [clean,loss,rate,proxy]
#   --count N          datagrams in the loss case [20000]; clean, rate and proxy send at
#                      most 2000, 1500 and 5000
#   --interval D       sender's interval, a Go duration [100us; 200us in the proxy case]
#   --loss P           drop probability, 0 < P < 1 [0.05]
#   --rate R           tbf rate in tc's units [1mbit]
#   --sigmas K         width of the loss and proxy bounds [5]
#   --proxy-netem TEXT the proxy case's profile, from delay (with jitter, distribution),
#                      loss [random] P%, duplicate P%, reorder P%, limit, seed
#                      ["delay 20ms 10ms loss 10% duplicate 5% reorder 20% limit 20000"]
#                      (a limit above twice the count, so that a sender that falls
#                      behind and catches up in a burst is never tail-dropped); a clause
#                      the model cannot predict fails the case, naming it
#   --proxy-seed N     the proxy's seed [7]
#   --keep             leave the namespaces in place for a look (then remove each NS with
#                      `ip netns pids NS | xargs -r kill; ip netns del NS`)
# Exit status: 0 all cases passed (and --help), 1 a case failed, 2 bad usage (including a
# --bin that is not an executable), 77 skipped (not root, no ip, no iptables, no go): the
# reason is printed as "SKIPPED: ..."
set -euo pipefail

bin="" root1="" root2="" cases="clean,loss,rate,proxy" keep=0
args=()

# usage [STATUS]: the header above as help; on stdout with status 0 for --help, on stderr
# with status 2 after a bad flag.
usage() {
  if [ "${1:-2}" = 0 ]; then sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0; fi
  sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2
}
bad() { echo "lab.sh: $*" >&2; exit 2; }
skip() { echo "SKIPPED: $*"; exit 77; }

while [ $# -gt 0 ]; do
  case "$1" in
    --keep) keep=1; shift; continue ;;
    -h|--help) usage 0 ;;
    --bin|--root1|--root2|--cases|--count|--interval|--loss|--rate|--sigmas|--proxy-netem|--proxy-seed)
      [ $# -ge 2 ] || bad "$1 needs a value (see --help)" ;;
    *) echo "lab.sh: unknown flag $1" >&2; usage ;;
  esac
  case "$1" in
    --bin) bin=$2 ;;
    --root1) root1=$2 ;;
    --root2) root2=$2 ;;
    --cases) cases=$2 ;;
    --count) [[ $2 =~ ^[1-9][0-9]*$ ]] || bad "--count must be a positive integer, got $2"; args+=(-lab.count "$2") ;;
    --loss) awk -v p="$2" 'BEGIN { exit !(p + 0 > 0 && p + 0 < 1) }' ||
              bad "--loss must be a probability strictly between 0 and 1, got $2"
            args+=(-lab.loss "$2") ;;
    --proxy-seed) [[ $2 =~ ^[0-9]+$ ]] || bad "--proxy-seed must be a non-negative integer, got $2"; args+=(-lab.proxy-seed "$2") ;;
    *) args+=("-lab.${1#--}" "$2") ;; # --interval, --rate, --sigmas, --proxy-netem: checked by the tests
  esac
  shift 2
done
for c in ${cases//,/ }; do
  case $c in clean|loss|rate|proxy) ;; *) bad "unknown case $c (accepted: clean, loss, rate, proxy)" ;; esac
done
args+=(-lab.cases "$cases")
if [ -n "$bin" ] && [ ! -x "$bin" ]; then
  bad "--bin $bin: not an executable file (build one: go build -o /tmp/de ./cmd/dist-example)"
fi

[ "$(id -u)" -eq 0 ] || skip "namespaces need root (run with sudo)"
command -v ip >/dev/null || skip "ip (iproute2) is not installed"
command -v ss >/dev/null || skip "ss (iproute2) is not installed"
command -v tc >/dev/null || skip "tc (iproute2) is not installed"
command -v iptables >/dev/null || skip "iptables is not installed (apt-get install iptables)"
command -v go >/dev/null || skip "go is not installed: lab.sh runs realnet/lab's Go tests"
for r in "$root1" "$root2"; do
  [ -z "$r" ] || [ -x "$r/usr/bin/dist-example" ] || skip "$r/usr/bin/dist-example is missing (provision the root first)"
done

here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM
echo "lab: compiling realnet/lab's tests"
(cd "$here" && go test -c -o "$work/lab.test" .) || { echo "FAIL: go test -c ./realnet/lab"; exit 1; }

# The tests build dist-example themselves unless DIST_EXAMPLE_BIN names one; with both
# roots, each host runs its root's own binary.
env=()
[ -z "$bin" ] || env+=("DIST_EXAMPLE_BIN=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")")
[ -z "$root1" ] || env+=("DIST_EXAMPLE_LAB_ROOT1=$root1")
[ -z "$root2" ] || env+=("DIST_EXAMPLE_LAB_ROOT2=$root2")
[ "$keep" = 0 ] || env+=(DIST_EXAMPLE_LAB_KEEP=1)
status=0
(cd "$here" && env "${env[@]}" "$work/lab.test" -test.run '^(TestTwoHostsOverRealUDP|TestProxyBetweenTwoHosts)$' \
  -test.v -test.count 1 -test.timeout 20m "${args[@]}") 2>&1 | tee "$work/out" || status=$?

# A line per case from the tests' verdicts.
declare -A test=([clean]=TestTwoHostsOverRealUDP/clean_link [loss]=TestTwoHostsOverRealUDP/iptables_random
  [rate]=TestTwoHostsOverRealUDP/tbf_rate [proxy]=TestProxyBetweenTwoHosts)
skipped=""
for c in ${cases//,/ }; do
  verdict=$(grep -oE -- "--- (PASS|FAIL|SKIP): ${test[$c]}" "$work/out" | head -1 | cut -d' ' -f2 | tr -d :)
  case $verdict in
    PASS) echo "PASS $c" ;;
    SKIP) skipped="$c: $(grep -A1 -- "--- SKIP: ${test[$c]}" "$work/out" | tail -1 | sed 's/^ *//')"; echo "SKIP $c" ;;
    *) echo "FAIL $c (see the test output above)"; status=1 ;;
  esac
done
[ "$status" -eq 0 ] || { echo "lab: some cases failed"; exit 1; }
[ -z "$skipped" ] || skip "$skipped"
echo "lab: all cases passed"
