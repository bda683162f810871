package lab_test

import (
	"math"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dist-example/dist-example/realnet/lab"
	"github.com/dist-example/dist-example/simnet/netem"
)

// inBounds asserts that a count lies within sigmas of Binomial(n, p).
func inBounds(t *testing.T, what string, got, n int64, p, sigmas float64) {
	t.Helper()
	lo, hi := lab.Binomial(n, p, sigmas)
	t.Logf("%s: %d, want %.1f..%.1f (Binomial(%d, %.4f) +- %v sigma)", what, got, lo, hi, n, p, sigmas)
	assert.GreaterOrEqual(t, float64(got), lo, what)
	assert.LessOrEqual(t, float64(got), hi, what)
}

// TestProxyBetweenTwoHosts puts `dist-example proxy` in host1, on its loopback, between
// the sender and host2's receiver: the impaired stream crosses the veth pair as it would
// leave a host with netem on its egress (which this kernel lacks). The veth pair loses
// nothing, so what the proxy delivered, what host2's INPUT chain saw and what the
// receiver read must agree exactly; the profile's effect is checked statistically.
func TestProxyBetweenTwoHosts(t *testing.T) {
	runCase(t, "proxy")
	bin := binary(t)
	const proxyPort = 2346
	// The default profile's limit is above every copy the run makes, so a sender that
	// falls behind on a loaded machine and catches up in a burst is never tail-dropped.
	profile, seed, sigmas := *labProxy, *labProxySeed, *labSigmas
	count, interval := int64(min(*labCount, 5000)), interval(200*time.Microsecond)
	prof, err := netem.Parse(profile)
	require.NoError(t, err)
	m, err := lab.PredictProxy(prof)
	require.NoError(t, err)

	l := newLab(t)
	l.Host2.DropInput(t, port, 0) // counting rules only
	rcvbuf1, rcvbuf2 := l.Host1.RcvbufErrors(t), l.Host2.RcvbufErrors(t)
	recv := l.Host2.StartRecv(t, bin, port)
	px := l.Host1.StartProxy(t, bin, netip.MustParseAddrPort("127.0.0.1:2346"),
		netip.AddrPortFrom(l.Host2.Addr, port), profile, seed)
	require.Equal(t, uint16(proxyPort), px.Addr.Port())
	l.Host1.Send(t, bin, px.Addr, interval, int(count))
	lab.WaitFor(t, 30*time.Second, "the proxy relaying every datagram", func() bool {
		c := px.Counters(t).Forward
		return c.Received >= uint64(count) && c.InFlight == 0
	})
	delivered := int64(px.Counters(t).Forward.Delivered)
	lab.WaitFor(t, 30*time.Second, "every delivered copy reaching host2's INPUT chain", func() bool {
		return l.Host2.Input(t).Seen >= delivered
	})
	lab.WaitFor(t, 10*time.Second, "the receiver reading its socket empty", func() bool {
		return l.Host2.UDPQueued(t, port) == 0
	})
	totals := recv.Stop(t)
	c := px.Stop(t).Forward
	in := l.Host2.Input(t)
	t.Logf("proxy forward %+v", c)
	t.Logf("host2 INPUT %+v; receiver %+v", in, totals)

	// Exact: nothing is lost outside the proxy's link.
	require.Equal(t, uint64(count), c.Received, "datagrams the proxy read (its socket dropped some?)")
	require.Zero(t, l.Host1.RcvbufErrors(t)-rcvbuf1, "receive-buffer drops in host1 (the proxy's socket)")
	require.Zero(t, l.Host2.RcvbufErrors(t)-rcvbuf2, "receive-buffer drops in host2 (the receiver's socket)")
	assert.Equal(t, c.Received, c.Sent, "sent")
	assert.Zero(t, c.LimitDrops+c.InFlight+c.WriteErrors+c.Corrupted, "limit drops, in flight, write errors, corrupted")
	assert.Equal(t, c.Sent+c.Duplicated, c.Delivered+c.Lost, "proxy: sent + duplicated = delivered + lost")
	assert.Equal(t, int64(c.Delivered), in.Seen, "host2's INPUT saw what the proxy delivered")
	assert.Equal(t, in.Seen, in.Passed, "host2's INPUT passed everything")
	assert.Equal(t, int64(c.Delivered), totals.Received, "the receiver read what the proxy delivered")
	assert.Equal(t, totals.Received, totals.Unique+totals.Duplicates, "received = unique + duplicates")
	assert.Zero(t, totals.Malformed+totals.Stale+totals.Restarts, "malformed, stale, restarts")

	// The profile's effect, from the model of netem's pipeline.
	inBounds(t, "datagrams with no copy delivered (sent - unique)", count-totals.Unique, count, m.NoCopy, sigmas)
	inBounds(t, "receiver duplicates", totals.Duplicates, count, m.TwoCopies, sigmas)
	inBounds(t, "proxy lost", int64(c.Lost), count, m.Lost, sigmas)
	inBounds(t, "proxy duplicated", int64(c.Duplicated), count, m.Duplicated, sigmas)
	inBounds(t, "proxy reordered (sent at once)", int64(c.Reordered), int64(c.Delivered), m.Reorder, sigmas)

	// Reordering as the receiver sees it: a datagram whose copies were all delayed arrives
	// after a higher number once any of the next (delay - jitter)/interval datagrams was
	// sent at once, which nearly always happens for the default profile (0.8^50); only
	// those sent within the largest delay of the end may escape. A datagram sent at once
	// never arrives late. A constant delay without reorder keeps the order.
	if m.Reorder == 0 && prof.Jitter == 0 {
		assert.Zero(t, totals.Reordered, "receiver reordered with a constant delay")
		return
	}
	lo, hi := lab.Binomial(count, m.DelayedOnly, sigmas)
	tail := math.Ceil(float64(prof.Delay+prof.Jitter) / float64(interval))
	span := float64(prof.Delay-prof.Jitter) / float64(interval)
	if m.Reorder == 0 || math.Pow(1-m.Reorder, span) >= 0.01 {
		lo, tail = 1, 0 // the reorder step alone does not nearly always reorder: only 1..hi
	}
	t.Logf("receiver reordered: %d, want %.1f..%.1f (delayed-only datagrams, less %.0f at the end)",
		totals.Reordered, lo-tail, hi, tail)
	assert.Positive(t, totals.Reordered, "the receiver saw no reordering")
	assert.LessOrEqual(t, float64(totals.Reordered), hi, "receiver reordered")
	assert.GreaterOrEqual(t, float64(totals.Reordered), lo-tail, "receiver reordered")
}

func TestPredictProxy(t *testing.T) {
	tests := []struct {
		name    string
		profile string
		want    lab.ProxyModel
		errHas  string
	}{
		{"empty", "", lab.ProxyModel{DelayedOnly: 1}, ""},
		{"loss only", "loss 10%", lab.ProxyModel{NoCopy: 0.1, Lost: 0.1, DelayedOnly: 0.9}, ""},
		{"duplicate only", "duplicate 10%", lab.ProxyModel{TwoCopies: 0.1, Duplicated: 0.1, DelayedOnly: 1}, ""},
		{"reorder only", "delay 10ms reorder 25%", lab.ProxyModel{Reorder: 0.25, DelayedOnly: 0.75}, ""},
		{"everything modelled", "delay 20ms 10ms loss 10% duplicate 5% reorder 20%", lab.ProxyModel{
			NoCopy: 0.095, TwoCopies: 0.0405, Lost: 0.1045, Duplicated: 0.05, Reorder: 0.2,
			DelayedOnly: (0.95*0.9+0.05*0.1+0.05*0.9*0.1)*0.8 + 0.05*0.81*0.64,
		}, ""},
		{"correlated loss", "loss 10% 25%", lab.ProxyModel{}, "loss correlation"},
		{"gemodel", "loss gemodel 1%", lab.ProxyModel{}, "loss state/gemodel"},
		{"gap", "delay 10ms reorder 25% gap 5", lab.ProxyModel{}, "gap"},
		{"corrupt", "corrupt 1%", lab.ProxyModel{}, "corrupt"},
		{"rate", "rate 1mbit", lab.ProxyModel{}, "rate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := netem.Parse(tt.profile)
			require.NoError(t, err)
			got, err := lab.PredictProxy(p)
			if tt.errHas != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.errHas)
				return
			}
			require.NoError(t, err)
			const eps = 1e-6 // tc's percentages are 32-bit fixed point
			assert.InDelta(t, tt.want.NoCopy, got.NoCopy, eps, "NoCopy")
			assert.InDelta(t, tt.want.TwoCopies, got.TwoCopies, eps, "TwoCopies")
			assert.InDelta(t, tt.want.Lost, got.Lost, eps, "Lost")
			assert.InDelta(t, tt.want.Duplicated, got.Duplicated, eps, "Duplicated")
			assert.InDelta(t, tt.want.Reorder, got.Reorder, eps, "Reorder")
			assert.InDelta(t, tt.want.DelayedOnly, got.DelayedOnly, eps, "DelayedOnly")
		})
	}
}

// TestPredictProxyMatchesTheLink drives simnet's netem link as the proxy does (a dequeue
// attempt after each enqueue and whenever packets fall due) and checks the model, and the
// reasoning behind the receiver's reordering bounds, against what the link does.
func TestPredictProxyMatchesTheLink(t *testing.T) {
	const (
		count    = 100_000
		interval = 200 * time.Microsecond
		sigmas   = 5.0
	)
	for _, tt := range []struct {
		profile string
		// nearlyAll: the least delay spans enough sends that a datagram sent at once
		// nearly always follows within it (0.8^25 = 0.004 for the second profile, 0.5^25
		// for the third); with jitter alone, many delayed datagrams are never overtaken.
		nearlyAll bool
	}{
		{"delay 20ms 10ms loss 10% duplicate 5% reorder 20%", true},
		{"delay 10ms 5ms loss 10% duplicate 5% reorder 20%", true},
		{"delay 5ms loss 30% duplicate 40% reorder 50%", true},
		{"delay 1ms 1ms", false},
	} {
		profile := tt.profile
		t.Run(profile, func(t *testing.T) {
			prof, err := netem.Parse(profile + " limit 100000")
			require.NoError(t, err)
			m, err := lab.PredictProxy(prof)
			require.NoError(t, err)
			link := netem.NewLink[int](prof, 1)
			copies := make([]int, count)  // delivered copies of each datagram
			delayed := make([]int, count) // of which delayed (not sent at once)
			var order []int               // first copies in order of delivery
			deliver := func(now time.Duration) {
				for {
					p, ok := link.Dequeue(now)
					if !ok {
						return
					}
					if copies[p.Meta] == 0 {
						order = append(order, p.Meta)
					}
					copies[p.Meta]++
					if !p.Reordered {
						delayed[p.Meta]++
					}
				}
			}
			for i := range count {
				now := time.Duration(i) * interval
				deliver(now)
				link.Enqueue(now, netem.Packet[int]{Data: []byte{0}, Meta: i})
				deliver(now)
			}
			deliver(time.Hour)

			var noCopy, two, delayedOnly, reordered int64
			for i := range count {
				switch copies[i] {
				case 0:
					noCopy++
				case 2:
					two++
				}
				if copies[i] > 0 && delayed[i] == copies[i] {
					delayedOnly++
				}
			}
			highest := -1 // the receiver's Reordered: first copies arriving after a higher number
			for _, n := range order {
				if n < highest {
					reordered++
				}
				highest = max(highest, n)
			}
			st := link.Stats()
			inBounds(t, "no copy", noCopy, count, m.NoCopy, sigmas)
			inBounds(t, "two copies", two, count, m.TwoCopies, sigmas)
			inBounds(t, "lost", int64(st.Lost), count, m.Lost, sigmas)
			inBounds(t, "duplicated", int64(st.Duplicated), count, m.Duplicated, sigmas)
			inBounds(t, "reordered by the link", int64(st.Reordered), int64(st.Delivered), m.Reorder, sigmas)
			inBounds(t, "delivered with every copy delayed", delayedOnly, count, m.DelayedOnly, sigmas)
			tail := int64(math.Ceil(float64(prof.Delay+prof.Jitter) / float64(interval)))
			t.Logf("receiver's reordered %d, delayed-only %d, tail %d", reordered, delayedOnly, tail)
			assert.LessOrEqual(t, reordered, delayedOnly, "only datagrams with every copy delayed arrive late")
			if tt.nearlyAll {
				assert.GreaterOrEqual(t, reordered, delayedOnly-tail, "all but the end's delayed datagrams arrive late")
			}
		})
	}
}

func TestBinomial(t *testing.T) {
	lo, hi := lab.Binomial(10000, 0.1, 5)
	assert.InDelta(t, 850, lo, 1e-9) // 1000 - 5 * 30
	assert.InDelta(t, 1150, hi, 1e-9)
	lo, hi = lab.Binomial(100, 0, 5)
	assert.Zero(t, lo)
	assert.Zero(t, hi)
}
