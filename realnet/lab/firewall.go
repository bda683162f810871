package lab

import (
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// The comments that name the lab's rules, so their counters can be read back.
const (
	ruleSeen = "delab-seen"
	ruleDrop = "delab-drop"
	rulePass = "delab-pass"
)

// InputCounters are what host's INPUT rules for one UDP port saw.
type InputCounters struct {
	Seen    int64 // datagrams that reached the INPUT chain
	Dropped int64 // datagrams the random-drop rule dropped
	Passed  int64 // datagrams accepted on to the socket
	Bytes   int64 // IP bytes of the accepted datagrams (headers included)
}

// DropInput makes the host drop each UDP datagram to port on arrival with probability p,
// with iptables' statistic match on the INPUT chain, and count the rest. The loss is
// silent, as on a wire: the same rule on the sender's OUTPUT chain would make sendto fail
// with EPERM instead. p = 0 only counts. Rules vanish with the namespace.
func (h *Host) DropInput(t testing.TB, port int, p float64) {
	t.Helper()
	if p < 0 || p >= 1 {
		t.Fatalf("lab: DropInput probability %v, want 0 <= p < 1", p)
	}
	if _, err := exec.LookPath("iptables"); err != nil {
		t.Skip("lab: iptables is not installed (apt-get install iptables)")
	}
	dport := []string{"-p", "udp", "--dport", strconv.Itoa(port)}
	rule := func(comment string, rest ...string) {
		args := append([]string{"-w", "-A", "INPUT"}, dport...)
		h.Run(t, "iptables", append(append(args, "-m", "comment", "--comment", comment), rest...)...)
	}
	h.Run(t, "iptables", "-w", "-F", "INPUT")
	rule(ruleSeen) // no target: it only counts, and every datagram goes on
	if p > 0 {
		rule(ruleDrop, "-m", "statistic", "--mode", "random",
			"--probability", strconv.FormatFloat(p, 'f', -1, 64), "-j", "DROP")
	}
	rule(rulePass, "-j", "ACCEPT")
}

// Input reads the counters of the rules DropInput set.
func (h *Host) Input(t testing.TB) InputCounters {
	t.Helper()
	var c InputCounters
	found := 0
	for _, line := range strings.Split(h.Run(t, "iptables", "-w", "-L", "INPUT", "-v", "-x", "-n"), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		pkts, err1 := strconv.ParseInt(f[0], 10, 64)
		bytes, err2 := strconv.ParseInt(f[1], 10, 64)
		switch {
		case err1 != nil || err2 != nil:
			continue // a header line
		case strings.Contains(line, "/* "+ruleSeen+" */"):
			c.Seen, found = pkts, found+1
		case strings.Contains(line, "/* "+ruleDrop+" */"):
			c.Dropped = pkts // absent when p is 0
		case strings.Contains(line, "/* "+rulePass+" */"):
			c.Passed, c.Bytes, found = pkts, bytes, found+1
		}
	}
	if found != 2 {
		t.Fatalf("lab: %s: found %d of the 2 counting rules (%s, %s) on INPUT; call DropInput first",
			h.NS, found, ruleSeen, rulePass)
	}
	return c
}

// RcvbufErrors is the namespace's count of UDP datagrams dropped because a socket's
// receive buffer was full (Udp RcvbufErrors in /proc/net/snmp, which is per namespace).
func (h *Host) RcvbufErrors(t testing.TB) int64 {
	t.Helper()
	v, err := rcvbufErrors(h.Run(t, "cat", "/proc/net/snmp"))
	if err != nil {
		t.Fatalf("lab: %s: %v", h.NS, err)
	}
	return v
}

// rcvbufErrors picks RcvbufErrors out of /proc/net/snmp: a "Udp:" line of names followed
// by a "Udp:" line of values.
func rcvbufErrors(snmp string) (int64, error) {
	var names []string
	for _, line := range strings.Split(snmp, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || f[0] != "Udp:" {
			continue
		}
		if names == nil {
			names = f
			continue
		}
		for i, n := range names {
			if n == "RcvbufErrors" && i < len(f) {
				return strconv.ParseInt(f[i], 10, 64)
			}
		}
		break
	}
	return 0, fmt.Errorf("no Udp RcvbufErrors in /proc/net/snmp")
}
