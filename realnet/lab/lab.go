package lab

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// Addresses on the veth pair. They exist only inside the lab's namespaces, so traffic
// between them never leaves the machine.
var (
	Addr1 = netip.MustParseAddr("10.99.0.1")
	Addr2 = netip.MustParseAddr("10.99.0.2")
)

// commandTimeout bounds every ip/iptables/tc/ss call, so a wedged tool fails the test
// instead of hanging it.
const commandTimeout = 20 * time.Second

// Lab is two network namespaces, Host1 and Host2, joined by a veth pair whose ends are
// eth0 in each, with Addr1 and Addr2.
type Lab struct {
	Host1, Host2 *Host
}

// Host is one namespace of a Lab.
type Host struct {
	NS   string     // namespace name, unique to the run (read-only)
	Addr netip.Addr // address of eth0 (read-only)
	// Root, when set, is a directory the host's dist-example runs chrooted in, as its own
	// /usr/bin/dist-example: a root provisioned by playbook.yml, say.
	Root string
}

// seq makes namespace names unique within the process; the pid makes them unique across
// processes, so concurrent test binaries and lab.sh runs never meet.
var seq atomic.Int64

// SkipUnlessAvailable skips t when a lab cannot be made here: not root, or no iproute2.
// New calls it; tests may call it before costlier preparation.
func SkipUnlessAvailable(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("lab: network namespaces need root (run the test as root, e.g. in CI)")
	}
	for _, tool := range []string{"ip", "ss", "tc"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("lab: %s (iproute2) is not installed", tool)
		}
	}
}

// New creates the two namespaces and the veth pair between them, or skips t when that is
// impossible here (not root, no iproute2). Everything it made is removed in t.Cleanup,
// also when the test fails, after killing the processes left inside; with
// DIST_EXAMPLE_LAB_KEEP set (lab.sh --keep) the namespaces are left for a look instead.
func New(t testing.TB) *Lab {
	t.Helper()
	SkipUnlessAvailable(t)
	prefix := fmt.Sprintf("delab%d-%d", os.Getpid(), seq.Add(1))
	l := &Lab{
		Host1: &Host{NS: prefix + "-host1", Addr: Addr1},
		Host2: &Host{NS: prefix + "-host2", Addr: Addr2},
	}
	keep := os.Getenv("DIST_EXAMPLE_LAB_KEEP") != ""
	for _, h := range []*Host{l.Host1, l.Host2} {
		run(t, "ip", "netns", "add", h.NS)
		t.Cleanup(func() {
			if keep {
				t.Logf("lab: kept %s (DIST_EXAMPLE_LAB_KEEP): remove it with `ip netns pids %s | xargs -r kill; ip netns del %s`", h.NS, h.NS, h.NS)
				return
			}
			h.remove(t)
		})
	}
	// Each end is eth0 inside its own namespace, so no name can clash with the host's.
	run(t, "ip", "-n", l.Host1.NS, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0", "netns", l.Host2.NS)
	for _, h := range []*Host{l.Host1, l.Host2} {
		run(t, "ip", "-n", h.NS, "addr", "add", h.Addr.String()+"/24", "dev", "eth0")
		run(t, "ip", "-n", h.NS, "link", "set", "lo", "up")
		run(t, "ip", "-n", h.NS, "link", "set", "eth0", "up")
	}
	t.Logf("lab: %s (%s) and %s (%s) joined by a veth pair", l.Host1.NS, l.Host1.Addr, l.Host2.NS, l.Host2.Addr)
	return l
}

// remove kills what runs in the namespace (ip netns del would leave it running, and it
// would keep the namespace alive) and deletes it; the veth end goes with it.
func (h *Host) remove(t testing.TB) {
	out, _ := exec.Command("ip", "netns", "pids", h.NS).Output()
	for _, f := range strings.Fields(string(out)) {
		if pid, err := strconv.Atoi(f); err == nil {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	if out, err := exec.Command("ip", "netns", "del", h.NS).CombinedOutput(); err != nil {
		t.Errorf("lab: removing namespace %s: %v: %s", h.NS, err, out)
	}
}

// Command returns a command that runs name inside the host's namespace.
func (h *Host) Command(ctx context.Context, name string, arg ...string) *exec.Cmd {
	return exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", h.NS, name}, arg...)...)
}

// DistExample returns a command that runs dist-example inside the host's namespace: bin,
// or the root's /usr/bin/dist-example chrooted in Root when Root is set.
func (h *Host) DistExample(ctx context.Context, bin string, arg ...string) *exec.Cmd {
	if h.Root != "" {
		return h.Command(ctx, "chroot", append([]string{h.Root, "/usr/bin/dist-example"}, arg...)...)
	}
	return h.Command(ctx, bin, arg...)
}

// Run runs name inside the namespace and returns its standard output; any failure fails t.
func (h *Host) Run(t testing.TB, name string, arg ...string) string {
	t.Helper()
	return run(t, "ip", append([]string{"netns", "exec", h.NS, name}, arg...)...)
}

func run(t testing.TB, name string, arg ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, name, arg...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("lab: %s %s: %v: %s", name, strings.Join(arg, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String()
}

// WaitFor polls cond until it holds, failing t with what after timeout. It waits on a
// condition the kernel reports, never for a guessed time.
func WaitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("lab: %s did not happen within %v", what, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// UDPBound reports whether a UDP socket in the namespace is bound to port.
func (h *Host) UDPBound(t testing.TB, port int) bool {
	t.Helper()
	return strings.TrimSpace(h.Run(t, "ss", "-Hluna", fmt.Sprintf("sport = :%d", port))) != ""
}

// UDPQueued is the number of bytes waiting in the receive queues of the namespace's UDP
// sockets bound to port: 0 once the application has read everything delivered to it.
func (h *Host) UDPQueued(t testing.TB, port int) int {
	t.Helper()
	total := 0
	for _, line := range strings.Split(h.Run(t, "ss", "-Huna", fmt.Sprintf("sport = :%d", port)), "\n") {
		if f := strings.Fields(line); len(f) > 1 {
			n, err := strconv.Atoi(f[1])
			if err != nil {
				t.Fatalf("lab: ss shows Recv-Q %q in %q", f[1], line)
			}
			total += n
		}
	}
	return total
}

// RateLimit puts a tbf qdisc on the host's eth0: what leaves it is limited to rate (tc's
// units, e.g. "1mbit") with a burst of burstBytes.
func (h *Host) RateLimit(t testing.TB, rate string, burstBytes int) {
	t.Helper()
	h.Run(t, "tc", "qdisc", "replace", "dev", "eth0", "root", "tbf", "rate", rate,
		"burst", strconv.Itoa(burstBytes), "latency", "200ms")
}
