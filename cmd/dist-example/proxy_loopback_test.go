package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dist-example/dist-example/app"
	"github.com/dist-example/dist-example/realnet/lab"
	"github.com/dist-example/dist-example/realnet/proxy"
	"github.com/dist-example/dist-example/simnet/netem"
)

// lastProxyCounters decodes the proxy's latest JSON report, if it has printed one.
func lastProxyCounters(t *testing.T, out string) (proxy.Counters, string) {
	t.Helper()
	out = strings.TrimSpace(out)
	if out == "" {
		return proxy.Counters{}, ""
	}
	var v struct {
		Event string `json:"event"`
		proxy.Counters
	}
	line := out[strings.LastIndexByte(out, '\n')+1:]
	require.NoError(t, json.Unmarshal([]byte(line), &v), "proxy report %q", line)
	return v.Counters, v.Event
}

// lastRecvTotals decodes the running totals of the receiver's latest JSON line, an
// interval's or the final one.
func lastRecvTotals(t *testing.T, out string) (app.Counts, string) {
	t.Helper()
	out = strings.TrimSpace(out)
	if out == "" {
		return app.Counts{}, ""
	}
	var v struct {
		Type   string     `json:"type"`
		Totals app.Counts `json:"totals"`
		app.Counts
	}
	line := out[strings.LastIndexByte(out, '\n')+1:]
	require.NoError(t, json.Unmarshal([]byte(line), &v), "receiver line %q", line)
	if v.Type == "total" {
		return v.Counts, v.Type
	}
	return v.Totals, v.Type
}

// TestSendProxyRecvLoopback is the foundation's loopback pair with `dist-example proxy`
// between them: send -> proxy (the profile) -> recv over 127.0.0.1, all in-process. The
// loopback loses nothing at these rates (the receiver asks for a 32 MiB buffer), so the
// receiver must read exactly what the proxy delivered, and its final summary must show
// the profile's loss, duplication and reordering within bounds derived from the count.
func TestSendProxyRecvLoopback(t *testing.T) {
	const (
		count    = 5000
		interval = 200 * time.Microsecond
		// The limit is above every copy the run makes, so a sender that falls behind on a
		// loaded machine and catches up in a burst is never tail-dropped.
		profile = "delay 10ms 5ms loss 10% duplicate 5% reorder 20% limit 20000"
		sigmas  = 5.0
	)
	prof, err := netem.Parse(profile)
	require.NoError(t, err)
	m, err := lab.PredictProxy(prof)
	require.NoError(t, err)

	r := startRecv(t, "-interval", "100ms", "-format", "json")
	px := startProxyCmd(t, "-listen", "127.0.0.1:0", "-upstream", r.addr, "-netem", profile,
		"-seed", "3", "-interval", "20ms", "-format", "json")
	code, _, stderr := runCmd(context.Background(), "send", "-addr", px.listen,
		"-interval", interval.String(), "-count", fmt.Sprint(count))
	require.Equal(t, 0, code, stderr)

	var c proxy.DirectionStats
	require.Eventually(t, func() bool {
		all, _ := lastProxyCounters(t, px.stdout.String())
		c = all.Forward
		return c.Received >= count && c.InFlight == 0
	}, 20*time.Second, time.Millisecond, "the proxy did not relay everything: %s", proxyTail(px.stdout.String()))
	require.Eventually(t, func() bool {
		got, _ := lastRecvTotals(t, r.out.String())
		return got.Received >= int64(c.Delivered)
	}, 20*time.Second, time.Millisecond, "the receiver did not read what the proxy delivered (%d): %s",
		c.Delivered, proxyTail(r.out.String()))
	require.Equal(t, 0, r.stop(), r.errOut.String())
	require.NoError(t, px.stop(t))
	final, event := lastProxyCounters(t, px.stdout.String())
	require.Equal(t, "final", event)
	c = final.Forward
	totals, typ := lastRecvTotals(t, r.out.String())
	require.Equal(t, "total", typ)
	t.Logf("proxy forward %+v", c)
	t.Logf("receiver totals %+v", totals)

	// Exact: the loopback around the proxy loses nothing.
	require.Equal(t, uint64(count), c.Received, "datagrams the proxy read")
	assert.Equal(t, c.Received, c.Sent, "sent")
	assert.Zero(t, c.LimitDrops+c.InFlight+c.WriteErrors+c.Corrupted, "limit drops, in flight, write errors, corrupted")
	assert.Equal(t, c.Sent+c.Duplicated, c.Delivered+c.Lost, "proxy: sent + duplicated = delivered + lost")
	assert.Equal(t, int64(c.Delivered), totals.Received, "the receiver read what the proxy delivered")
	assert.Equal(t, totals.Received, totals.Unique+totals.Duplicates, "received = unique + duplicates")
	assert.Zero(t, totals.Malformed+totals.Stale+totals.Restarts, "malformed, stale, restarts")
	assert.Equal(t, totals.Expected, totals.Unique+totals.Lost, "expected = unique + lost")

	// The profile's effect (see lab.PredictProxy for the model of netem's pipeline).
	within := func(what string, got, n int64, p float64) {
		t.Helper()
		lo, hi := lab.Binomial(n, p, sigmas)
		t.Logf("%s: %d, want %.1f..%.1f (Binomial(%d, %.4f) +- %v sigma)", what, got, lo, hi, n, p, sigmas)
		assert.GreaterOrEqual(t, float64(got), lo, what)
		assert.LessOrEqual(t, float64(got), hi, what)
	}
	within("datagrams with no copy delivered (sent - unique)", count-totals.Unique, count, m.NoCopy)
	within("receiver duplicates", totals.Duplicates, count, m.TwoCopies)
	within("proxy lost", int64(c.Lost), count, m.Lost)
	within("proxy reordered (sent at once)", int64(c.Reordered), int64(c.Delivered), m.Reorder)
	// Only datagrams whose copies were all delayed can arrive after a higher number, and
	// nearly all of them do when the least delay (5 ms) spans 25 sends, except those sent
	// within the largest delay of the end.
	lo, hi := lab.Binomial(count, m.DelayedOnly, sigmas)
	tail := math.Ceil(float64(prof.Delay+prof.Jitter) / float64(interval))
	t.Logf("receiver reordered: %d, want %.1f..%.1f", totals.Reordered, lo-tail, hi)
	assert.Positive(t, totals.Reordered, "no reordering at the receiver")
	assert.LessOrEqual(t, float64(totals.Reordered), hi, "receiver reordered")
	assert.GreaterOrEqual(t, float64(totals.Reordered), lo-tail, "receiver reordered")
}
