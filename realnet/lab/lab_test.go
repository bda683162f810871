package lab_test

import (
	"math"
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dist-example/dist-example/app"
	"github.com/dist-example/dist-example/realnet/lab"
)

const (
	port = 2345
	// Ethernet header bytes that tbf counts and iptables (at the IP layer) does not.
	ethHeader = 14
	// Smallest IP packet the sender makes: "0\n" plus UDP and IPv4 headers.
	minIPBytes = 2 + 8 + 20
)

// run is one sender run through a fresh lab; it returns the receiver's totals, host2's
// INPUT counters, receive-buffer drops and the time from the first send until the last
// datagram had reached host2.
type run struct {
	totals  app.Counts
	input   lab.InputCounters
	rcvbuf  int64
	elapsed time.Duration
}

// binary is the dist-example to run: none when CI names provisioned roots for both hosts
// (each host then runs its root's own /usr/bin/dist-example), else lab.Binary's.
func binary(t *testing.T) string {
	t.Helper()
	lab.SkipUnlessAvailable(t)
	if os.Getenv("DIST_EXAMPLE_LAB_ROOT1") != "" && os.Getenv("DIST_EXAMPLE_LAB_ROOT2") != "" {
		return ""
	}
	return lab.Binary(t)
}

// newLab makes a fresh lab, its hosts chrooted in the roots CI names, if any.
func newLab(t *testing.T) *lab.Lab {
	t.Helper()
	l := lab.New(t)
	l.Host1.Root, l.Host2.Root = os.Getenv("DIST_EXAMPLE_LAB_ROOT1"), os.Getenv("DIST_EXAMPLE_LAB_ROOT2")
	return l
}

// exchange sends count datagrams from host1 to host2 with loss p on host2's INPUT.
func exchange(t *testing.T, l *lab.Lab, bin string, count int, interval time.Duration, p float64) run {
	t.Helper()
	l.Host2.DropInput(t, port, p)
	rcvbuf0 := l.Host2.RcvbufErrors(t)
	recv := l.Host2.StartRecv(t, bin, port)
	start := time.Now()
	l.Host1.Send(t, bin, netip.AddrPortFrom(l.Host2.Addr, port), interval, count)
	lab.WaitFor(t, 30*time.Second, "every datagram reaching host2's INPUT chain", func() bool {
		return l.Host2.Input(t).Seen >= int64(count)
	})
	elapsed := time.Since(start)
	lab.WaitFor(t, 10*time.Second, "the receiver reading its socket empty", func() bool {
		return l.Host2.UDPQueued(t, port) == 0
	})
	r := run{totals: recv.Stop(t), input: l.Host2.Input(t), elapsed: elapsed}
	r.rcvbuf = l.Host2.RcvbufErrors(t) - rcvbuf0
	t.Logf("sent %d in %v; iptables dropped %d, passed %d (%d bytes); receive-buffer drops %d; receiver %+v",
		count, elapsed, r.input.Dropped, r.input.Passed, r.input.Bytes, r.rcvbuf, r.totals)

	// Whatever the link did, the receiver must count exactly what the kernel gave it.
	require.Equal(t, int64(count), r.input.Seen, "datagrams seen by host2's INPUT chain")
	require.Equal(t, r.input.Seen, r.input.Dropped+r.input.Passed, "INPUT: seen = dropped + passed")
	assert.Equal(t, r.input.Passed-r.rcvbuf, r.totals.Unique, "unique = datagrams delivered to the socket")
	assert.Zero(t, r.totals.Duplicates, "duplicates")
	assert.Zero(t, r.totals.Malformed, "malformed")
	return r
}

func TestTwoHostsOverRealUDP(t *testing.T) {
	bin := binary(t)
	t.Run("clean link delivers everything once", func(t *testing.T) {
		runCase(t, "clean")
		l := newLab(t)
		count := min(*labCount, 2000)
		r := exchange(t, l, bin, count, interval(100*time.Microsecond), 0)
		assert.Equal(t, int64(count), r.totals.Unique)
		assert.Equal(t, int64(count), r.totals.Expected)
		assert.Zero(t, r.totals.Lost)
	})

	t.Run("iptables random drop gives binomial loss", func(t *testing.T) {
		runCase(t, "loss")
		l := newLab(t)
		count, p, sigmas := *labCount, *labLoss, *labSigmas
		r := exchange(t, l, bin, count, interval(100*time.Microsecond), p)
		// lost ~ Binomial(count, p): the kernel's draws cannot be seeded, so the bound is
		// wide (5 sigma: a false failure about once in 1.7 million runs). Receive-buffer
		// drops are not the filter's doing and are left out.
		lost := float64(count) - float64(r.totals.Unique) - float64(r.rcvbuf)
		n := float64(count)
		mean, sd := n*p, math.Sqrt(n*p*(1-p))
		t.Logf("lost %.0f of %d, want %.0f +- %.0f (%v sigma)", lost, count, mean, sigmas*sd, sigmas)
		assert.InDelta(t, mean, lost, sigmas*sd, "loss for drop probability %v", p)
		// The receiver's Lost covers the gaps inside [Min, Max]; a dropped head or tail is
		// outside what it saw. Together they are every datagram that did not arrive.
		assert.Zero(t, r.totals.Restarts, "restarts")
		assert.Equal(t, int64(count)-r.totals.Unique, r.totals.Lost+r.totals.Min+(int64(count)-1-r.totals.Max),
			"lost inside the range plus the missing head and tail")
	})

	t.Run("tbf rate limit caps the bits that arrive", func(t *testing.T) {
		runCase(t, "rate")
		l := newLab(t)
		const burstBytes = 4096
		count, iv, bits := min(*labCount, 1500), interval(100*time.Microsecond), rateBits(t)
		// The check must be able to fail: unshaped, the sender alone outruns the limit.
		nominal := float64((minIPBytes+ethHeader)*8) / iv.Seconds()
		require.Greater(t, nominal, 2.0*bits, "the sender's own rate must exceed the limit")
		l.Host1.RateLimit(t, *labRate, burstBytes)
		r := exchange(t, l, bin, count, iv, 0)
		got := float64((r.input.Bytes + ethHeader*r.input.Passed) * 8)
		allowed := bits*r.elapsed.Seconds() + burstBytes*8
		t.Logf("%.0f bits in %v, tbf allows %.0f", got, r.elapsed, allowed)
		assert.LessOrEqual(t, got, allowed, "bits through a %.0f bit/s tbf", bits)
	})
}
