#!/bin/bash
# Two hosts without VMs: network namespaces de<PID>-host1 and -host2 joined by a veth pair
# (10.99.0.1/24 and 10.99.0.2/24). `dist-example recv` runs in host2, `dist-example send` in
# host1, over real UDP, and the receiver's totals are checked against what was applied:
#
#   clean  no impairment: every datagram arrives, exactly once
#   loss   iptables' statistic match drops each datagram on host2's INPUT chain with
#          probability P (silent loss, as on a wire; on host1's OUTPUT chain it would make
#          sendto fail with EPERM instead): the loss must be within K binomial sigmas of N*P
#   rate   a tbf rate limit on host1's egress: the bits that arrived cannot exceed
#          rate * elapsed + burst, and everything that passed the link was counted
#   proxy  `dist-example proxy` in host1, on its loopback, between the sender and the link:
#          delay, jitter and reordering (this kernel has no netem qdisc), with loss and
#          duplication, as netem on host1's egress. The link loses nothing, so the proxy's
#          delivered = host2's INPUT seen = the receiver's received, exactly; the receiver's
#          missing, duplicates and reordered, and the proxy's lost, duplicated and reordered,
#          must be within K sigmas of what netem's pipeline predicts for the profile
#
# Usage (as root): realnet/lab/lab.sh [flags]
#   --bin PATH         dist-example binary [built with go build into a temporary directory]
#   --root1 DIR        run host1's process chrooted in DIR, as /usr/bin/dist-example
#   --root2 DIR        the same for host2 (roots provisioned by playbook.yml, say)
#   --cases LIST       comma-separated: clean,loss,rate,proxy [clean,loss,rate,proxy]
#   --count N          datagrams in the loss case [20000]; the proxy case sends at most 5000
#   --interval D       sender's interval [100us]
#   --loss P           drop probability, 0 < P < 1 [0.05]
#   --rate R           tbf rate in tc's units [1mbit]
#   --sigmas K         width of the loss and proxy bounds [5]
#   --proxy-netem TEXT the proxy case's profile, from delay (with jitter, distribution),
#                      loss [random] P%, duplicate P%, reorder P%, limit, seed
#                      ["delay 20ms 10ms loss 10% duplicate 5% reorder 20% limit 20000"]
#                      (a limit above twice the count, so that a sender that falls
#                      behind and catches up in a burst is never tail-dropped)
#   --proxy-seed N     the proxy's seed [1]
#   --keep             leave the namespaces in place for a look (then remove each NS with
#                      `ip netns pids NS | xargs -r kill; ip netns del NS`)
# Exit status: 0 all cases passed (and --help), 1 a case failed, 2 bad usage (including a
# --bin that is not an executable), 77 skipped (not root, no ip, no iptables, no go to
# build a binary with): the reason is printed as "SKIPPED: ..."
set -euo pipefail

bin="" root1="" root2="" cases="clean,loss,rate,proxy" count=20000 interval=100us loss=0.05
rate=1mbit sigmas=5 keep=0
proxy_netem="delay 20ms 10ms loss 10% duplicate 5% reorder 20% limit 20000" proxy_seed=1
port=2345 addr1=10.99.0.1 addr2=10.99.0.2 pport=2346
# Unique per run, so that concurrent runs (CI jobs, go test) never share a namespace.
prefix="de$$"
ns1="$prefix-host1" ns2="$prefix-host2"

# usage [STATUS]: the header above as help; on stdout with status 0 for --help, on stderr
# with status 2 after a bad flag.
usage() {
  if [ "${1:-2}" = 0 ]; then sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0; fi
  sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2
}
skip() { echo "SKIPPED: $*"; exit 77; }
say() { echo "lab: $*"; }

while [ $# -gt 0 ]; do
  case "$1" in
    --bin) bin=$2; shift ;;
    --root1) root1=$2; shift ;;
    --root2) root2=$2; shift ;;
    --cases) cases=$2; shift ;;
    --count) count=$2; shift ;;
    --interval) interval=$2; shift ;;
    --loss) loss=$2; shift ;;
    --rate) rate=$2; shift ;;
    --sigmas) sigmas=$2; shift ;;
    --proxy-netem) proxy_netem=$2; shift ;;
    --proxy-seed) proxy_seed=$2; shift ;;
    --keep) keep=1 ;;
    -h|--help) usage 0 ;;
    *) echo "lab.sh: unknown flag $1" >&2; usage ;;
  esac
  shift
done
[[ $count =~ ^[1-9][0-9]*$ ]] || { echo "lab.sh: --count must be a positive integer, got $count" >&2; exit 2; }
awk -v p="$loss" 'BEGIN { exit !(p + 0 > 0 && p + 0 < 1) }' ||
  { echo "lab.sh: --loss must be a probability strictly between 0 and 1, got $loss" >&2; exit 2; }
for c in ${cases//,/ }; do
  case $c in clean|loss|rate|proxy) ;; *) echo "lab.sh: unknown case $c (accepted: clean, loss, rate, proxy)" >&2; exit 2 ;; esac
done
[[ $proxy_seed =~ ^[0-9]+$ ]] || { echo "lab.sh: --proxy-seed must be a non-negative integer, got $proxy_seed" >&2; exit 2; }
if [ -n "$bin" ] && [ ! -x "$bin" ]; then
  echo "lab.sh: --bin $bin: not an executable file (build one: go build -o /tmp/de ./cmd/dist-example)" >&2
  exit 2
fi

# proxy_model TEXT: prints "DELAY_S JITTER_S L D R" of a netem profile, or explains on stderr
# which clause the proxy case cannot predict. The binomial bounds hold for uncorrelated
# random loss, duplicate and reorder (gap 1) with any delay and jitter.
proxy_model() {
  awk -v text="$1" '
    function secs(tok,   v, u) {
      if (!match(tok, /^[0-9]*\.?[0-9]+/)) return -1
      v = substr(tok, 1, RLENGTH); u = substr(tok, RLENGTH + 1)
      if (u ~ /^(s|sec|secs)$/) return v
      if (u ~ /^(ms|msec|msecs)$/) return v / 1e3
      if (u ~ /^(us|usec|usecs)$/) return v / 1e6
      if (u ~ /^(ns|nsec|nsecs)$/) return v / 1e9
      return -1
    }
    function pct(tok) { return tok ~ /^[0-9]*\.?[0-9]+%$/ ? substr(tok, 1, length(tok) - 1) / 100 : -1 }
    function no(why) { print "lab.sh: --proxy-netem \"" text "\": " why "; the proxy case predicts delay [jitter] [distribution NAME], loss [random] P%, duplicate P%, reorder P% (no correlations, no gap), limit N, seed N" > "/dev/stderr"; bad = 1; exit 1 }
    BEGIN {
      n = split(text, t, /[ \t]+/); d = j = l = dup = r = 0
      for (i = 1; i <= n; i++) {
        k = t[i]
        if (k == "") continue
        if (k == "delay" || k == "latency") {
          if ((d = secs(t[++i])) < 0) no("delay needs a time with a unit")
          if (i < n && secs(t[i + 1]) >= 0) j = secs(t[++i])
          if (i < n && pct(t[i + 1]) >= 0) no("a delay correlation")
        } else if (k == "distribution" || k == "limit" || k == "seed") {
          i++
        } else if (k == "loss" || k == "drop" || k == "duplicate" || k == "reorder") {
          if (t[i + 1] == "random" && k != "duplicate" && k != "reorder") i++
          if ((p = pct(t[++i])) < 0) no(k " needs a percentage such as 10%")
          if (i < n && pct(t[i + 1]) >= 0) no("a " k " correlation")
          if (k == "duplicate") dup = p; else if (k == "reorder") r = p; else l = p
        } else no("the clause \"" k "\"")
      }
      printf "%.9f %.9f %.6f %.6f %.6f\n", d, j, l, dup, r
    }'
}
if [[ ,$cases, == *,proxy,* ]]; then
  proxy_model "$proxy_netem" >/dev/null || exit 2
fi

[ "$(id -u)" -eq 0 ] || skip "namespaces need root (run with sudo)"
command -v ip >/dev/null || skip "ip (iproute2) is not installed"
command -v ss >/dev/null || skip "ss (iproute2) is not installed"
command -v iptables >/dev/null || skip "iptables is not installed (apt-get install iptables)"
for r in "$root1" "$root2"; do
  [ -z "$r" ] || [ -x "$r/usr/bin/dist-example" ] || skip "$r/usr/bin/dist-example is missing (provision the root first)"
done

work=$(mktemp -d)
cleanup() {
  local ns
  if [ "$keep" = 1 ]; then say "kept $ns1 and $ns2 and $work"; return; fi
  for ns in "$ns1" "$ns2"; do
    ip netns list | grep -qw "^$ns" || continue
    # ip netns del does not end the processes inside; they would keep the namespace alive.
    ip netns pids "$ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null || true
    ip netns del "$ns" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -z "$bin" ] && { [ -z "$root1" ] || [ -z "$root2" ]; }; then
  command -v go >/dev/null || skip "no --bin given and go is not installed to build dist-example"
  here=$(cd "$(dirname "$0")" && pwd)
  say "building dist-example"
  (cd "$here/../.." && go build -o "$work/dist-example" ./cmd/dist-example) ||
    { echo "FAIL: go build ./cmd/dist-example"; exit 1; }
  bin="$work/dist-example"
fi

# dx NS ROOT: sets DX to the command that runs dist-example inside namespace NS, chrooted in
# ROOT when one is given (then it is the root's own /usr/bin/dist-example, as provisioned).
dx() {
  if [ -n "$2" ]; then DX=(ip netns exec "$1" chroot "$2" /usr/bin/dist-example)
  else DX=(ip netns exec "$1" "$bin"); fi
}

# Polls CMD until it succeeds, for at most SECONDS: waits on a condition, not on a guess.
wait_for() {
  local secs=$1; shift
  local end=$((SECONDS + secs))
  until "$@"; do
    [ $SECONDS -lt $end ] || return 1
    sleep 0.05
  done
}

setup() {
  ip netns add "$ns1"
  ip netns add "$ns2"
  # Each end is eth0 inside its own namespace: no name can clash with the host's.
  ip -n "$ns1" link add eth0 type veth peer name eth0 netns "$ns2"
  ip -n "$ns1" addr add "$addr1/24" dev eth0
  ip -n "$ns2" addr add "$addr2/24" dev eth0
  for ns in "$ns1" "$ns2"; do
    ip -n "$ns" link set lo up
    ip -n "$ns" link set eth0 up
  done
  say "namespaces $ns1 ($addr1) and $ns2 ($addr2) joined by a veth pair"
}

# Counters: packets and bytes of host2's INPUT rules, and the UDP receive-buffer drops.
ipt_counter() { # RULE-COMMENT FIELD(1=packets,2=bytes); 0 when the rule is absent
  ip netns exec "$ns2" iptables -w -L INPUT -v -x -n | awk -v c="/* $1 */" -v f="$2" 'index($0, c) { v = $f } END { print v + 0 }'
}
rcvbuf_errors() {
  ip netns exec "$ns2" awk '/^Udp:/ { if (!h) { for (i = 1; i <= NF; i++) k[i] = $i; h = 1 } else for (i = 1; i <= NF; i++) if (k[i] == "RcvbufErrors") print $i }' /proc/net/snmp
}
bound() { ip netns exec "$ns2" ss -Hluna "sport = :$port" | grep -q .; }
arrived() { [ "$(ipt_counter de-seen 1)" -ge "$1" ]; }
drained() { ! ip netns exec "$ns2" ss -Huna "sport = :$port" | awk '$2 != 0 { found = 1 } END { exit !found }'; }
jnum() { grep -o "\"$1\":[0-9-]*" | cut -d: -f2; }

# experiment NAME COUNT: a fresh receiver, one sender run, the receiver's final totals.
experiment() {
  local name=$1 n=$2 out="$work/$1.recv" t0 t1 status
  # Counting rules on host2's INPUT: de-seen (no target: it only counts), de-drop (the loss
  # case's random drop) and de-pass.
  local drop=(-m comment --comment de-drop -m statistic --mode random --probability "$loss" -j DROP)
  { ip netns exec "$ns2" iptables -w -F INPUT &&
    ip netns exec "$ns2" iptables -w -A INPUT -p udp --dport "$port" -m comment --comment de-seen &&
    { [ "$name" != loss ] || ip netns exec "$ns2" iptables -w -A INPUT -p udp --dport "$port" "${drop[@]}"; } &&
    ip netns exec "$ns2" iptables -w -A INPUT -p udp --dport "$port" -m comment --comment de-pass -j ACCEPT
  } || { echo "FAIL $name: iptables could not set the rules (is xt_statistic available?)"; return 1; }

  dx "$ns2" "$root2"
  "${DX[@]}" recv -addr "$addr2:$port" -interval 1h -format json >"$out" 2>"$out.err" &
  local rpid=$!
  wait_for 10 bound || { echo "FAIL $name: the receiver never bound $addr2:$port: $(cat "$out.err")"; return 1; }
  rcv0=$(rcvbuf_errors)
  t0=$(date +%s%N)
  dx "$ns1" "$root1"
  if ! timeout 120 "${DX[@]}" send -addr "$addr2:$port" -interval "$interval" -count "$n" >"$work/$name.send" 2>&1; then
    echo "FAIL $name: the sender failed: $(tail -3 "$work/$name.send")"; kill "$rpid"; return 1
  fi
  # Everything sent has passed host2's INPUT rules and the receiver has read its socket empty.
  wait_for 30 arrived "$n" || say "$name: only $(ipt_counter de-seen 1) of $n reached host2's INPUT"
  t1=$(date +%s%N)
  wait_for 10 drained || say "$name: the receiver's socket queue did not drain"
  kill -TERM "$rpid"
  status=0; wait "$rpid" || status=$?
  [ "$status" -eq 0 ] || { echo "FAIL $name: the receiver exited with status $status: $(tail -3 "$out.err")"; return 1; }
  total=$(tail -n 1 "$out")
  case $total in *'"type":"total"'*) ;; *) echo "FAIL $name: no totals line from the receiver, last line: $total"; return 1 ;; esac
  unique=$(jnum unique <<<"$total") dups=$(jnum duplicates <<<"$total") malformed=$(jnum malformed <<<"$total")
  rlost=$(jnum lost <<<"$total") rmin=$(jnum min <<<"$total") rmax=$(jnum max <<<"$total")
  seen=$(ipt_counter de-seen 1) dropped=$(ipt_counter de-drop 1) passed=$(ipt_counter de-pass 1) bytes=$(ipt_counter de-pass 2)
  rcvbuf=$(( $(rcvbuf_errors) - rcv0 ))
  elapsed_ns=$((t1 - t0))
  say "$name: sent $n; host2's INPUT saw $seen, dropped $dropped, passed $passed ($bytes bytes); receive-buffer drops $rcvbuf; $((elapsed_ns / 1000000)) ms"
  say "$name: receiver totals $total"
  if [ "$seen" -ne "$n" ] || [ "$seen" -ne $((dropped + passed)) ]; then
    echo "FAIL $name: host2's INPUT saw $seen of $n datagrams sent (dropped $dropped, passed $passed)"
    return 1
  fi
  # The receiver must count exactly what the kernel delivered to its socket.
  if [ "$unique" -ne $((passed - rcvbuf)) ] || [ "$dups" -ne 0 ] || [ "$malformed" -ne 0 ]; then
    echo "FAIL $name: the receiver counted unique=$unique duplicates=$dups malformed=$malformed, but the kernel delivered $((passed - rcvbuf)) distinct datagrams"
    return 1
  fi
}

case_clean() {
  local n=$((count < 2000 ? count : 2000))
  experiment clean "$n" || return 1
  [ "$unique" -eq "$n" ] || { echo "FAIL clean: $unique of $n arrived on an unimpaired link"; return 1; }
  echo "PASS clean: all $n datagrams arrived once"
}

case_loss() {
  experiment loss "$count" || return 1
  # Binomial: lost ~ Bin(N, P). Receive-buffer drops are not the filter's, so they are left out.
  local lost=$((count - unique - rcvbuf))
  # The receiver's lost covers the gaps inside [min, max]; a dropped head or tail is outside
  # what it saw. Together they are every datagram that did not arrive.
  if [ $((count - unique)) -ne $((rlost + rmin + count - 1 - rmax)) ]; then
    echo "FAIL loss: the receiver reports lost $rlost in [$rmin, $rmax], but $((count - unique)) of $count did not arrive"
    return 1
  fi
  read -r lo hi mean sd < <(awk -v n="$count" -v p="$loss" -v k="$sigmas" 'BEGIN {
    m = n * p; s = sqrt(n * p * (1 - p)); printf "%d %d %.1f %.1f\n", int(m - k * s + 0.999999), int(m + k * s), m, s }')
  if [ "$lost" -lt "$lo" ] || [ "$lost" -gt "$hi" ]; then
    echo "FAIL loss: lost $lost of $count, outside [$lo, $hi] (mean $mean, sigma $sd, $sigmas sigmas) for P=$loss"
    return 1
  fi
  echo "PASS loss: lost $lost of $count with P=$loss: within [$lo, $hi] (mean $mean, sigma $sd, $sigmas sigmas)"
}

case_rate() {
  ip netns exec "$ns1" tc qdisc replace dev eth0 root tbf rate "$rate" burst 4kb latency 200ms ||
    { echo "FAIL rate: tc could not add a tbf qdisc"; return 1; }
  local n=$((count < 1500 ? count : 1500))
  experiment rate "$n" || { ip netns exec "$ns1" tc qdisc del dev eth0 root; return 1; }
  local tcrate
  tcrate=$(ip netns exec "$ns1" tc -j qdisc show dev eth0 root | grep -o '"rate":[0-9]*' | cut -d: -f2)
  ip netns exec "$ns1" tc qdisc del dev eth0 root
  # tbf counts whole frames: IP bytes (as iptables counts them) plus 14 of Ethernet header.
  # tc -j shows the rate in bytes per second.
  local bits=$(( (bytes + 14 * passed) * 8 )) allowed=$(( tcrate * 8 * elapsed_ns / 1000000000 + 4096 * 8 ))
  if [ "$bits" -gt "$allowed" ]; then
    echo "FAIL rate: $bits bits passed in $((elapsed_ns / 1000000)) ms, more than tbf's $rate allows ($allowed bits with the burst)"
    return 1
  fi
  echo "PASS rate: $bits bits in $((elapsed_ns / 1000000)) ms, within tbf's $rate ($allowed bits with the burst); $unique of $n arrived"
}

# The proxy's counters from its last JSON report: pfield NAME reads forward.NAME.
pfield() { tail -n 1 "$work/proxy.out" | grep -o '"forward":{[^}]*}' | jnum "$1"; }
proxy_bound() { ip netns exec "$ns1" ss -Hluna "sport = :$pport" | grep -q .; }
proxy_done() { [ "$(pfield received)" = "$1" ] && [ "$(pfield in_flight)" = 0 ]; }

case_proxy() {
  local n=$((count < 5000 ? count : 5000)) out="$work/proxy.recv" rpid ppid status
  local dl jt l d r
  read -r dl jt l d r < <(proxy_model "$proxy_netem")
  { ip netns exec "$ns2" iptables -w -F INPUT &&
    ip netns exec "$ns2" iptables -w -A INPUT -p udp --dport "$port" -m comment --comment de-seen &&
    ip netns exec "$ns2" iptables -w -A INPUT -p udp --dport "$port" -m comment --comment de-pass -j ACCEPT
  } || { echo "FAIL proxy: iptables could not set the counting rules"; return 1; }
  dx "$ns2" "$root2"
  "${DX[@]}" recv -addr "$addr2:$port" -interval 1h -format json >"$out" 2>"$out.err" &
  rpid=$!
  wait_for 10 bound || { echo "FAIL proxy: the receiver never bound $addr2:$port: $(cat "$out.err")"; return 1; }
  # In host1, so the impaired stream crosses the link as from a host with netem on its egress.
  dx "$ns1" "$root1"
  "${DX[@]}" proxy -listen "127.0.0.1:$pport" -upstream "$addr2:$port" -netem "$proxy_netem" \
    -seed "$proxy_seed" -interval 50ms -format json >"$work/proxy.out" 2>"$work/proxy.err" &
  ppid=$!
  wait_for 10 proxy_bound || { echo "FAIL proxy: the proxy never bound 127.0.0.1:$pport in host1: $(cat "$work/proxy.err")"; kill "$rpid"; return 1; }
  say "proxy: $(head -1 "$work/proxy.err")"
  rcv0=$(rcvbuf_errors)
  if ! timeout 120 "${DX[@]}" send -addr "127.0.0.1:$pport" -interval "$interval" -count "$n" >"$work/proxy.send" 2>&1; then
    echo "FAIL proxy: the sender failed: $(tail -3 "$work/proxy.send")"; kill "$rpid" "$ppid"; return 1
  fi
  wait_for 30 proxy_done "$n" || say "proxy: the proxy did not relay all $n: $(tail -n 1 "$work/proxy.out")"
  local delivered
  delivered=$(pfield delivered)
  wait_for 30 arrived "$delivered" || say "proxy: only $(ipt_counter de-seen 1) of $delivered reached host2's INPUT"
  wait_for 10 drained || say "proxy: the receiver's socket queue did not drain"
  kill -TERM "$rpid" "$ppid"
  status=0; wait "$rpid" || status=$?
  [ "$status" -eq 0 ] || { echo "FAIL proxy: the receiver exited with status $status: $(tail -3 "$out.err")"; return 1; }
  status=0; wait "$ppid" || status=$?
  [ "$status" -eq 0 ] || { echo "FAIL proxy: the proxy exited with status $status: $(tail -3 "$work/proxy.err")"; return 1; }
  local total final
  total=$(tail -n 1 "$out") final=$(tail -n 1 "$work/proxy.out")
  case $total in *'"type":"total"'*) ;; *) echo "FAIL proxy: no totals line from the receiver, last line: $total"; return 1 ;; esac
  case $final in *'"event":"final"'*) ;; *) echo "FAIL proxy: no final report from the proxy, last line: $final"; return 1 ;; esac
  local received unique dups reord malformed precv psent pdel plost pdup preord plimit pflight seen passed
  received=$(jnum received <<<"$total") unique=$(jnum unique <<<"$total") dups=$(jnum duplicates <<<"$total")
  reord=$(jnum reordered <<<"$total") malformed=$(jnum malformed <<<"$total")
  precv=$(pfield received) psent=$(pfield sent) pdel=$(pfield delivered) plost=$(pfield lost)
  pdup=$(pfield duplicated) preord=$(pfield reordered) plimit=$(pfield limit_drops) pflight=$(pfield in_flight)
  seen=$(ipt_counter de-seen 1) passed=$(ipt_counter de-pass 1)
  rcvbuf=$(( $(rcvbuf_errors) - rcv0 ))
  say "proxy: profile \"$proxy_netem\" seed $proxy_seed; sent $n"
  say "proxy: proxy forward $(grep -o '"forward":{[^}]*}' <<<"$final")"
  say "proxy: host2's INPUT saw $seen, passed $passed; receive-buffer drops $rcvbuf; receiver totals $total"
  # Exact: nothing is lost outside the proxy's link.
  if [ "$precv" -ne "$n" ] || [ "$psent" -ne "$n" ] || [ "$plimit" -ne 0 ] || [ "$pflight" -ne 0 ]; then
    echo "FAIL proxy: the proxy read $precv and sent $psent of $n, with $plimit limit drops and $pflight in flight"
    [ "$plimit" -eq 0 ] || echo "  (limit drops: the link held more than the profile's limit; give --proxy-netem a limit above $((2 * n)))"
    return 1
  fi
  if [ "$seen" -ne "$pdel" ] || [ "$passed" -ne "$seen" ] || [ "$rcvbuf" -ne 0 ] || [ "$received" -ne "$pdel" ]; then
    echo "FAIL proxy: the proxy delivered $pdel, host2's INPUT saw $seen and passed $passed, receive-buffer drops $rcvbuf, the receiver read $received"
    return 1
  fi
  if [ "$received" -ne $((unique + dups)) ] || [ "$malformed" -ne 0 ]; then
    echo "FAIL proxy: the receiver read $received = unique $unique + duplicates $dups? (malformed $malformed)"
    return 1
  fi
  # Statistical: netem's pipeline draws duplicate, then loss (when both fire the original
  # goes on), and a clone draws its own loss; every queued copy draws reorder.
  awk -v n="$n" -v k="$sigmas" -v dl="$dl" -v jt="$jt" -v l="$l" -v d="$d" -v r="$r" -v iv="$interval" \
    -v miss=$((n - unique)) -v dups="$dups" -v reord="$reord" -v plost="$plost" -v pdup="$pdup" \
    -v preord="$preord" -v pdel="$pdel" '
    function check(what, got, m, p,   lo, hi) {
      lo = m * p - k * sqrt(m * p * (1 - p)); hi = m * p + k * sqrt(m * p * (1 - p))
      ok = got >= lo && got <= hi
      printf "%s proxy: %s %d, want %.1f..%.1f (Binomial(%d, %.4f), %s sigmas)\n", ok ? "lab:" : "FAIL", what, got, lo, hi, m, p, k
      if (!ok) bad = 1
    }
    BEGIN {
      if (!match(iv, /^[0-9]*\.?[0-9]+/)) { print "FAIL proxy: cannot read --interval " iv; exit 1 }
      v = substr(iv, 1, RLENGTH); u = substr(iv, RLENGTH + 1)
      step = u == "s" ? v : u == "ms" ? v / 1e3 : u == "us" || u == "µs" ? v / 1e6 : u == "ns" ? v / 1e9 : -1
      if (step <= 0) { print "FAIL proxy: cannot read --interval " iv; exit 1 }
      check("datagrams with no copy delivered", miss, n, (1 - d) * l)
      check("receiver duplicates", dups, n, d * (1 - l) * (1 - l))
      check("proxy lost", plost, n, l + d * (1 - l) * l)
      check("proxy duplicated", pdup, n, d)
      check("proxy reordered (sent at once)", preord, pdel, r)
      # Only datagrams whose copies were all delayed can arrive after a higher number; when
      # the least delay spans sends enough that one sent at once nearly always follows
      # within it, nearly all do, but for those sent within the largest delay of the end.
      q = ((1 - d) * (1 - l) + d * l + d * (1 - l) * l) * (1 - r) + d * (1 - l) * (1 - l) * (1 - r) * (1 - r)
      lo = n * q - k * sqrt(n * q * (1 - q)); hi = n * q + k * sqrt(n * q * (1 - q))
      tail = int((dl + jt) / step + 0.999999); span = int((dl - jt) / step)
      if (r == 0 && jt == 0) {
        ok = reord == 0; want = "0 (a constant delay keeps the order)"
      } else if (r > 0 && (1 - r) ^ span < 0.01) {
        ok = reord > 0 && reord >= lo - tail && reord <= hi; want = sprintf("%.1f..%.1f", lo - tail, hi)
      } else {
        ok = reord > 0 && reord <= hi; want = sprintf("1..%.1f", hi)
      }
      printf "%s proxy: receiver reordered %d, want %s\n", ok ? "lab:" : "FAIL", reord, want
      if (!ok) bad = 1
      exit bad
    }' || return 1
  echo "PASS proxy: \"$proxy_netem\": $((n - unique)) of $n missing, $dups duplicated, $reord reordered at the receiver, which read exactly the $pdel copies the proxy delivered"
}

setup
failed=0
for c in ${cases//,/ }; do
  "case_$c" || failed=1
done
[ "$failed" -eq 0 ] && say "all cases passed" || say "some cases failed"
exit "$failed"
