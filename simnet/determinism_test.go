package simnet_test

import (
	"bytes"
	"fmt"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/dist-example/dist-example/simnet"
	"github.com/dist-example/dist-example/simnet/netem"
)

const lossy = "delay 20ms 15ms loss 10% duplicate 5% corrupt 5% reorder 10% limit 50"

// scenario runs three hosts that talk to each other over a lossy default profile, with a
// partition and a crash along the way, and returns the trace, the counters and the
// order in which datagrams were read.
func scenario(t testing.TB, seed uint64, profile netem.Profile) (trace string, stats simnet.Stats, reads []string) {
	var buf bytes.Buffer
	n := newNet(t, simnet.Config{Seed: seed, Default: profile, Trace: &buf}, "h1", "h2", "h3")
	clk := n.Clock()
	names := []string{"h1", "h2", "h3"}
	conns := make([]*simnet.Conn, len(names))
	for i, h := range names {
		conns[i] = listen(t, n, h+":7")
	}
	for i, c := range conns {
		n.Go("sender "+names[i], func() {
			for k := range 200 {
				to := conns[(i+1+k%2)%len(conns)].LocalAddr()
				if _, err := c.WriteTo(fmt.Appendf(nil, "%s-%d", names[i], k), to); err != nil {
					return
				}
				clk.Sleep(time.Duration(3+i) * time.Millisecond)
			}
		})
		n.Go("receiver "+names[i], func() {
			b := make([]byte, 64)
			_ = c.SetReadDeadline(clk.Now().Add(2 * time.Second))
			for {
				k, _, err := c.ReadFrom(b)
				if err != nil {
					return
				}
				reads = append(reads, fmt.Sprintf("%v %s<-%s", clk.Since(simnet.Epoch), names[i], b[:k]))
			}
		})
	}
	n.At(300*time.Millisecond, func() { _ = n.Partition([]string{"h1"}, []string{"h2"}) })
	n.At(500*time.Millisecond, n.Heal)
	n.At(600*time.Millisecond, func() { _ = n.Crash("h3") })
	require.NoError(t, n.Run())
	return buf.String(), n.Stats(), reads
}

func TestDeterminism(t *testing.T) {
	p := mustParse(t, lossy)
	trace1, stats1, reads1 := scenario(t, 42, p)
	require.NotEmpty(t, reads1)
	for _, tc := range []struct {
		name  string
		procs int
	}{{"same-seed", 0}, {"GOMAXPROCS=1", 1}, {"GOMAXPROCS=2", 2}} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.procs > 0 {
				defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(tc.procs))
			}
			trace2, stats2, reads2 := scenario(t, 42, p)
			assert.Equal(t, stats1, stats2)
			assert.Equal(t, reads1, reads2)
			if trace1 != trace2 {
				t.Fatalf("same seed, different traces; first difference:\n%s", firstDiff(trace1, trace2))
			}
		})
	}
	t.Run("other-seed", func(t *testing.T) {
		trace2, _, _ := scenario(t, 43, p)
		assert.NotEqual(t, trace1, trace2, "another seed must give another run")
	})
	t.Run("trace-shows-every-verdict", func(t *testing.T) {
		for _, v := range []string{" queued ", " lost", " dup", " corrupt", " reorder", " deliver", " partition", " hostdown", "fault crash h3"} {
			assert.Contains(t, trace1, v)
		}
	})
}

func firstDiff(a, b string) string {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range min(len(la), len(lb)) {
		if la[i] != lb[i] {
			return fmt.Sprintf("line %d:\n  %s\n  %s", i+1, la[i], lb[i])
		}
	}
	return fmt.Sprintf("lengths %d and %d lines", len(la), len(lb))
}

// TestConservation checks, at random instants of random runs, that every datagram is
// accounted for: Sent + Duplicated = Delivered + Dropped + InFlight, per link and in total.
func TestConservation(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		seed := rapid.Uint64().Draw(rt, "seed")
		spec := fmt.Sprintf("delay %dms %dms loss %d%% duplicate %d%% reorder %d%% limit %d",
			rapid.IntRange(1, 50).Draw(rt, "delay"), rapid.IntRange(0, 30).Draw(rt, "jitter"),
			rapid.IntRange(0, 50).Draw(rt, "loss"), rapid.IntRange(0, 50).Draw(rt, "dup"),
			rapid.IntRange(0, 50).Draw(rt, "reorder"), rapid.IntRange(1, 100).Draw(rt, "limit"))
		p, err := netem.Parse(spec)
		require.NoError(rt, err, spec)
		n := newNet(t, simnet.Config{Seed: seed, Default: p, RecvBuffer: 4096}, "a", "b", "c")
		a, b := listen(t, n, "a:1"), listen(t, n, "b:1")
		n.Go("sender", func() {
			for range 300 {
				_, _ = a.WriteTo([]byte("0123456789"), b.LocalAddr())
				_, _ = a.WriteTo([]byte("x"), &net.UDPAddr{IP: net.IPv4(10, 0, 0, 3), Port: 9}) // no listener
				_, _ = a.WriteTo([]byte("x"), &net.UDPAddr{IP: net.IPv4(10, 9, 9, 9), Port: 9}) // no host
				n.Clock().Sleep(time.Millisecond)
			}
		})
		n.Go("slow reader", func() {
			buf := make([]byte, 10)
			for {
				if _, _, err := b.ReadFrom(buf); err != nil {
					return
				}
				n.Clock().Sleep(3 * time.Millisecond) // the receive buffer overflows
			}
		})
		n.At(100*time.Millisecond, func() { _ = n.PartitionOneWay([]string{"a"}, []string{"b"}) })
		n.At(120*time.Millisecond, n.Heal)
		n.At(150*time.Millisecond, func() { _ = n.LinkDown("a", "c") })
		for _, stop := range []int{17, 101, 133, 250, 400, 2000} {
			require.NoError(rt, n.RunUntil(time.Duration(stop)*time.Millisecond))
			check := func(what string, s simnet.Stats) {
				require.Equal(rt, s.Sent+s.Duplicated, s.Delivered+s.Dropped()+s.InFlight,
					"%s at %dms, seed %d, %q: %+v", what, stop, seed, spec, s)
			}
			check("network", n.Stats())
			for _, l := range n.Links() {
				check(l.Src+"->"+l.Dst, l.Stats)
			}
		}
		s := n.Stats()
		require.Zero(rt, s.InFlight, "everything has left its link by the end")
		require.NotZero(rt, s.Partitioned)
		require.Equal(rt, uint64(300), s.NoRoute)
	})
}

// TestNothingArrivesEarly reads the trace of lossy runs: every copy is delivered no
// earlier than its send time plus the minimum delay, unless reorder sent it at once.
func TestNothingArrivesEarly(t *testing.T) {
	const minDelay = 5 * time.Millisecond // delay 20ms 15ms
	for _, seed := range []uint64{1, 2, 3} {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			trace, stats, _ := scenario(t, seed, mustParse(t, lossy))
			type queued struct {
				sent      time.Duration
				reordered bool
			}
			pending := map[string]queued{}
			delivered := 0
			for line := range strings.Lines(trace) {
				f := strings.Fields(line)
				if len(f) < 4 || f[1] == "fault" {
					continue
				}
				at := parseVT(t, f[0])
				key := f[1] + " " + f[2]
				switch f[4] {
				case "queued":
					pending[key] = queued{sent: at, reordered: strings.Contains(line, " reorder")}
				case "deliver":
					q, ok := pending[key]
					require.True(t, ok, "delivered before queued: %s", line)
					if !q.reordered {
						assert.GreaterOrEqual(t, at-q.sent, minDelay, "%s", line)
					}
					delivered++
				}
			}
			assert.Equal(t, int(stats.Delivered), delivered, "one deliver line per delivered copy")
		})
	}
}

func parseVT(t *testing.T, s string) time.Duration {
	t.Helper()
	var h, m, sec, ns int64
	_, err := fmt.Sscanf(s, "%d:%d:%d.%d", &h, &m, &sec, &ns)
	require.NoError(t, err, "trace time %q", s)
	return time.Duration(((h*60+m)*60+sec)*1e9 + ns)
}

// TestLinkSeedIndependentOfOrder: a link draws the same numbers whether or not, and in
// whatever order, other links were used first.
func TestLinkSeedIndependentOfOrder(t *testing.T) {
	run := func(first []string) string {
		var buf bytes.Buffer
		n := newNet(t, simnet.Config{Seed: 9, Default: mustParse(t, "delay 10ms 9ms loss 30% duplicate 20%"), Trace: &buf}, "a", "b", "c", "d")
		conns := map[string]*simnet.Conn{}
		for _, h := range []string{"a", "b", "c", "d"} {
			conns[h] = listen(t, n, h+":1")
		}
		for _, dst := range first {
			for range 20 {
				_, err := conns["a"].WriteTo([]byte("warm-up"), conns[dst].LocalAddr())
				require.NoError(t, err)
			}
		}
		require.NoError(t, n.RunFor(time.Second))
		buf.Reset()
		for range 100 {
			_, err := conns["a"].WriteTo([]byte("probe"), conns["d"].LocalAddr())
			require.NoError(t, err)
		}
		require.NoError(t, n.RunFor(time.Second))
		return strings.ReplaceAll(buf.String(), "00:00:01.", "") // the probe starts at 1s in every run
	}
	base := run(nil)
	require.Contains(t, base, " lost")
	assert.Equal(t, base, run([]string{"b", "c"}))
	assert.Equal(t, base, run([]string{"c", "b"}))
}
