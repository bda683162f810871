package app

import (
	"encoding/json"
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

// Each source's share adds up to the totals, whatever mix of loss, duplicates,
// reordering, restarts and junk arrives from several sources.
func TestBySourceAddsUpToTheTotals(t *testing.T) {
	for seed := range uint64(20) {
		rng := rand.New(rand.NewPCG(seed, 1))
		var a Accounting
		srcs := []netip.AddrPort{
			netip.MustParseAddrPort("10.0.0.1:1000"), netip.MustParseAddrPort("10.0.0.2:1000"),
			netip.MustParseAddrPort("10.0.0.3:2000"),
		}
		next := make([]int64, len(srcs))
		for i := range 5000 {
			k := rng.IntN(len(srcs))
			switch r := rng.IntN(100); {
			case r < 5: // lost
				next[k]++
			case r < 8: // duplicate or reordered
				a.Record(srcs[k], max(next[k]-1-int64(rng.IntN(5)), 0))
			case r < 9:
				a.Observe(srcs[k], []byte("junk"))
			case r == 9 && i%1000 == 0: // restart
				next[k] = 0
			default:
				a.Record(srcs[k], next[k])
				next[k]++
			}
			if i%700 == 0 {
				a.Cut()
			}
		}
		tot := a.Finish()
		by, more := a.BySource()
		require.Len(t, by, len(srcs))
		require.Zero(t, more)
		var sum Counts
		for _, s := range by {
			sum.add(s.Counts)
			sum.Expected += s.Expected
			assert.Equal(t, s.Expected, s.Unique+s.Lost)
		}
		sum.Lost = max(sum.Lost, 0)
		for _, f := range []struct {
			name     string
			got, all int64
		}{
			{"received", sum.Received, tot.Received}, {"unique", sum.Unique, tot.Unique}, {"lost", sum.Lost, tot.Lost},
			{"duplicates", sum.Duplicates, tot.Duplicates}, {"reordered", sum.Reordered, tot.Reordered},
			{"late", sum.Late, tot.Late}, {"stale", sum.Stale, tot.Stale}, {"malformed", sum.Malformed, tot.Malformed},
			{"restarts", sum.Restarts, tot.Restarts}, {"expected", sum.Expected, tot.Expected},
		} {
			assert.Equal(t, f.all, f.got, "seed %d: %s", seed, f.name)
		}
	}
}

// With several streams the line says how many, and the final totals list each one; a
// single stream keeps the original's line.
func TestSummaryShowsStreams(t *testing.T) {
	t0 := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	one := Summary{Start: t0, End: t0.Add(time.Second), Counts: Counts{Received: 3, Expected: 3, Unique: 3, Max: 2}, StreamCount: 1, Final: true}
	assert.Equal(t, "Total: Received 3/3 packets in range [0-2], unique 3, lost 0, duplicates 0, reordered 0, late 0, malformed 0, restarts 0 in 1s", one.String())
	b, err := json.Marshal(one)
	require.NoError(t, err)
	assert.NotContains(t, string(b), "stream")

	a, c := netip.MustParseAddrPort("10.0.0.1:1"), netip.MustParseAddrPort("10.0.0.2:1")
	two := one
	two.StreamCount = 2
	two.Streams = []SourceCounts{{Source: a, Counts: Counts{Received: 2, Expected: 2, Unique: 2, Max: 1}}, {Source: c, Counts: Counts{Received: 1, Expected: 1, Unique: 1, Min: 2, Max: 2}}}
	lines := strings.Split(two.String(), "\n")
	require.Len(t, lines, 3)
	assert.Contains(t, lines[0], ", from 2 streams in 1s")
	assert.Equal(t, "  stream 10.0.0.1:1: Received 2/2 packets in range [0-1], unique 2, lost 0, duplicates 0, reordered 0, late 0, malformed 0, restarts 0", lines[1])
	assert.True(t, strings.HasPrefix(lines[2], "  stream 10.0.0.2:1: Received 1/1 packets in range [2-2]"))
	b, err = json.Marshal(two)
	require.NoError(t, err)
	var j struct {
		StreamCount int `json:"stream_count"`
		Streams     []struct {
			Source   string `json:"source"`
			Received int64  `json:"received"`
		} `json:"streams"`
	}
	require.NoError(t, json.Unmarshal(b, &j))
	assert.Equal(t, 2, j.StreamCount)
	require.Len(t, j.Streams, 2)
	assert.Equal(t, "10.0.0.2:1", j.Streams[1].Source)
	assert.Equal(t, int64(1), j.Streams[1].Received)
}

// Record's fast path for a number just above the highest of the previous datagram's
// source gives what the general path gives: the reference is kept off it by forgetting
// which source came last before each datagram.
func TestRecordFastPathAsGeneral(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		var fast, ref Accounting
		srcs := []netip.AddrPort{srcA, srcB}
		next := []int64{rapid.Int64Range(-100, 100).Draw(rt, "firstA"), rapid.Int64().Draw(rt, "firstB")}
		for range rapid.IntRange(1, 400).Draw(rt, "n") {
			k := rapid.IntRange(0, len(srcs)-1).Draw(rt, "src")
			if rapid.IntRange(0, 3).Draw(rt, "switch") > 0 {
				k = 0 // mostly one source, as a stream is
			}
			var n int64
			switch rapid.IntRange(0, 9).Draw(rt, "kind") {
			case 0: // a gap, within the block or across it
				next[k] += rapid.Int64Range(1, 130).Draw(rt, "gap")
				n = next[k]
			case 1: // an older number: duplicate, reordered or late
				n = next[k] - rapid.Int64Range(1, 70).Draw(rt, "back")
			case 2:
				fast.Cut()
				ref.Cut()
				continue
			default:
				n = next[k]
			}
			next[k] = max(next[k], n) + 1
			ref.src.last = nil
			require.Equal(rt, ref.Record(srcs[k], n), fast.Record(srcs[k], n), "class of %d", n)
			require.Equal(rt, ref.Interval(), fast.Interval())
		}
		require.Equal(rt, ref.Totals(), fast.Totals())
		require.Equal(rt, ref.Finish(), fast.Finish())
		rb, rm := ref.BySource()
		fb, fm := fast.BySource()
		require.Equal(rt, rb, fb)
		require.Equal(rt, rm, fm)
	})
}
