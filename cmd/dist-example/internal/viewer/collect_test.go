package viewer

import (
	"bytes"
	"io"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dist-example/dist-example/simnet/netem"
	"github.com/dist-example/dist-example/simnet/scenario"
)

// everyFate is a run in which every fate happens: loss, duplicates, corruption,
// reordering, tail drops behind a rate limit, a partition and a restart.
func everyFate(t *testing.T, seed uint64) (*scenario.Result, *Collector) {
	t.Helper()
	return everyFateRun(t, seed, 2*time.Millisecond, "400kbit", nil)
}

// everyFateRun is everyFate's run with a datagram every sendIv, at rate, tracing into trace (if not nil).
func everyFateRun(t *testing.T, seed uint64, sendIv time.Duration, rate string, trace io.Writer) (*scenario.Result, *Collector) {
	t.Helper()
	p, err := netem.Parse("delay 40ms 10ms loss gemodel 2% 20% 70% 1% duplicate 5% corrupt 2% reorder 10% rate " + rate + " limit 20")
	require.NoError(t, err)
	fl, err := scenario.ParseFaults("partition@3s, heal@4s, restart@6s down=500ms start=0")
	require.NoError(t, err)
	cfg := scenario.Config{Seed: seed, Profile: p, Duration: 10 * time.Second, SendInterval: sendIv,
		Interval: time.Second, Faults: fl, Trace: trace}
	c := NewCollector(cfg.Duration, cfg.Interval)
	cfg.Observe = c.Observe
	res, err := scenario.Run(cfg)
	require.NoError(t, err)
	c.Finish()
	return res, c
}

// TestCollectorMatchesGroundTruth: the page's per-fate counts are the scenario's ground
// truth and the link's counters, for several seeds.
func TestCollectorMatchesGroundTruth(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3, 5, 8} {
		res, c := everyFate(t, seed)
		require.Len(t, c.Links, 1, "seed %d: the stream uses one link", seed)
		l := c.Links[0]
		require.Equal(t, []string{scenario.SenderHost, scenario.ReceiverHost}, c.Hosts)
		tot := l.Totals()
		tr, st := res.Truth, res.Link
		for f := Fate(0); f < NumFates; f++ {
			require.NotZero(t, tot[f]+boolU(f == InFlight || f == Refused), "seed %d: no copy is %v", seed, f)
		}
		require.Equal(t, tr.Sent, uint64(l.Datagrams()), "seed %d: datagrams", seed)
		require.Equal(t, tr.Delivered, tot[InOrder]+tot[Reordered], "seed %d: delivered", seed)
		require.Equal(t, tr.Reordered, tot[Reordered], "seed %d: reordered", seed)
		require.Equal(t, tr.Extra, tot[Duplicate], "seed %d: duplicates", seed)
		require.Equal(t, tr.Corrupted, uint64(l.Corrupted()), "seed %d: corrupted", seed)
		require.Equal(t, st.Lost, tot[Lost], "seed %d: lost", seed)
		require.Equal(t, st.LimitDrops, tot[Limit], "seed %d: limit", seed)
		require.Equal(t, st.Partitioned+st.LinkDown+st.HostDown, tot[Cut], "seed %d: cut", seed)
		require.Equal(t, st.NoListener+st.RecvBuffer, tot[Refused], "seed %d: refused", seed)
		require.Equal(t, st.InFlight, tot[InFlight], "seed %d: in flight", seed)
		require.Len(t, l.Copies, int(st.Sent+st.Duplicated), "seed %d: every copy kept", seed)

		var iv IntervalTruth
		for _, x := range l.Intervals {
			iv.Delivered += x.Delivered
			iv.Extra += x.Extra
			iv.Reordered += x.Reordered
			iv.Undelivered += x.Undelivered
		}
		require.Equal(t, IntervalTruth{Delivered: tr.Delivered, Extra: tr.Extra, Reordered: tr.Reordered, Undelivered: tr.Undelivered}, iv,
			"seed %d: intervals sum to the totals", seed)

		// Each datagram's copies: at most two, one original, the duplicate's number after it.
		seen := map[int32][]Copy{}
		for _, cp := range l.Copies {
			seen[cp.DG] = append(seen[cp.DG], cp)
		}
		require.Len(t, seen, l.Datagrams())
		for dg, cps := range seen {
			require.LessOrEqual(t, len(cps), 2, "seed %d: datagram %d", seed, dg)
			if len(cps) == 2 {
				o, d := cps[0], cps[1]
				if o.Dup {
					o, d = d, o
				}
				require.True(t, d.Dup && !o.Dup && d.Seq == o.Seq+1 && d.Sent == o.Sent, "seed %d: datagram %d: %+v", seed, dg, cps)
			}
		}
	}
}

func boolU(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

func TestBucketsAboveTheBound(t *testing.T) {
	c := NewCollector(time.Hour, 5*time.Second)
	require.Equal(t, 1800*time.Millisecond, c.Width, "2000 buckets over an hour")
}

// TestBoundKeepsCounts: beyond the bound the collector keeps whole datagrams up to it
// and still counts every copy by fate.
func TestBoundKeepsCounts(t *testing.T) {
	_, all := everyFate(t, 2)
	maxCopies = 1000
	t.Cleanup(func() { maxCopies = MaxCopies })
	_, c := everyFate(t, 2)
	l, la := c.Links[0], all.Links[0]
	require.Equal(t, la.Totals(), l.Totals(), "the counts cover every copy")
	require.Equal(t, la.Copies[:len(l.Copies)], l.Copies, "the first copies kept as they were")
	require.LessOrEqual(t, len(l.Copies), 1001)
	require.Equal(t, len(la.Copies), len(l.Copies)+l.Dropped)
	last := l.Copies[len(l.Copies)-1].DG
	for _, cp := range la.Copies[len(l.Copies):] {
		require.NotEqual(t, last, cp.DG, "a datagram is kept whole or not at all")
	}
	var page bytes.Buffer
	require.NoError(t, Write(&page, Meta{}, c))
	require.Contains(t, page.String(), `"dropped":`+strconv.Itoa(l.Dropped))
}

// The queue chart's bucket maximum counts a copy in every bucket it spends on the link,
// including those in which no event happens: with a datagram a second and a 500 ms
// delay, one copy is on the link in the first half of every second and none in the
// second half (it used to read 0 everywhere but the buckets of sends).
func TestQueueMaxHoldsBetweenEvents(t *testing.T) {
	p, err := netem.Parse("delay 500ms")
	require.NoError(t, err)
	cfg := scenario.Config{Seed: 1, Profile: p, Duration: 4 * time.Second, SendInterval: time.Second, Interval: time.Second}
	c := NewCollector(cfg.Duration, cfg.Interval)
	cfg.Observe = c.Observe
	_, err = scenario.Run(cfg)
	require.NoError(t, err)
	c.Finish()
	require.Len(t, c.Links, 1)
	l := c.Links[0]
	at := func(d time.Duration) uint32 { return l.QueueMax[c.bucket(d)] }
	for s := range 4 {
		sec := time.Duration(s) * time.Second
		for _, in := range []time.Duration{0, 100 * time.Millisecond, 250 * time.Millisecond, 490 * time.Millisecond} {
			assert.Equal(t, uint32(1), at(sec+in), "a copy is on the link at %v", sec+in)
		}
		for _, out := range []time.Duration{550 * time.Millisecond, 750 * time.Millisecond, 980 * time.Millisecond} {
			if sec+out < c.End { // the run ends once the last copy has left
				assert.Equal(t, uint32(0), at(sec+out), "nothing is on the link at %v", sec+out)
			}
		}
	}
}
