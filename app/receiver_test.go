package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type recvRun struct {
	summaries []Summary
	logs      []string
	err       error
	r         *Receiver
	conn      *scriptConn
}

func runReceiver(t *testing.T, ctx context.Context, conn *scriptConn, interval time.Duration) recvRun {
	t.Helper()
	conn.clk = &stepClock{now: epoch}
	var run recvRun
	run.conn = conn
	run.r = &Receiver{
		Conn: conn, Clock: conn.clk, Interval: interval,
		OnSummary: func(s Summary) { run.summaries = append(run.summaries, s) },
		Logf:      func(f string, a ...any) { run.logs = append(run.logs, fmt.Sprintf(f, a...)) },
	}
	run.err = run.r.Run(ctx)
	return run
}

func TestReceiverIntervalsAndFinal(t *testing.T) {
	ms := time.Millisecond
	a, b := udpAddr("10.0.0.1:5000"), udpAddr("10.0.0.2:5000")
	conn := &scriptConn{closeAt: 3500 * ms, in: []scriptDatagram{
		{100 * ms, a, "0\n"}, {200 * ms, a, "1\n"}, {300 * ms, a, "1\n"},
		{1500 * ms, a, "3\n"}, {1600 * ms, a, "2\n"}, {1700 * ms, b, "junk"}, {1800 * ms, b, "more junk"},
		{2000 * ms, b, "100\n"}, // exactly at the boundary: belongs to the next interval
		{3100 * ms, a, "5\n"},   // 4 never comes
	}}
	run := runReceiver(t, context.Background(), conn, time.Second)
	require.NoError(t, run.err)
	require.Len(t, run.summaries, 5)

	want := []struct {
		from, to time.Duration
		c        Counts
	}{
		{0, 1000 * ms, Counts{Received: 3, Expected: 2, Unique: 2, Duplicates: 1, Min: 0, Max: 1}},
		{1000 * ms, 2000 * ms, Counts{Received: 4, Expected: 2, Unique: 2, Reordered: 1, Malformed: 2, Min: 2, Max: 3}},
		{2000 * ms, 3000 * ms, Counts{Received: 1, Expected: 1, Unique: 1, Min: 100, Max: 100}},
		{3000 * ms, 3500 * ms, Counts{Received: 1, Expected: 1, Unique: 1, Lost: 1, Min: 5, Max: 5}},
	}
	for i, w := range want {
		s := run.summaries[i]
		assert.False(t, s.Final)
		assert.Equal(t, epoch.Add(w.from), s.Start, "interval %d start", i)
		assert.Equal(t, epoch.Add(w.to), s.End, "interval %d end", i)
		assert.Equal(t, w.c, s.Counts, "interval %d", i)
	}
	final := run.summaries[4]
	wantTotals := Counts{Received: 9, Expected: 7, Unique: 6, Lost: 1, Duplicates: 1, Reordered: 1, Malformed: 2, Max: 100}
	assert.True(t, final.Final)
	assert.Equal(t, epoch, final.Start)
	assert.Equal(t, epoch.Add(3500*ms), final.End)
	assert.Equal(t, wantTotals, final.Counts)
	assert.Equal(t, wantTotals, run.r.Totals())
	assert.Equal(t, run.summaries[1].Totals.Received, int64(7), "running totals at the end of interval 2")

	// The read deadline is always the next summary time, set once per interval.
	assert.Equal(t, []time.Duration{1000 * ms, 2000 * ms, 3000 * ms, 4000 * ms}, conn.deadlines)
	require.Len(t, run.logs, 1, "one malformed sample per interval")
	assert.Contains(t, run.logs[0], `"junk"`)
	assert.Contains(t, run.logs[0], "10.0.0.2:5000")
}

func TestReceiverMalformedLogIsRateLimited(t *testing.T) {
	// Garbage every 10ms for 3s with a 100ms summary interval: one sample per second,
	// each saying how many were not shown; every datagram is still counted.
	ms := time.Millisecond
	var in []scriptDatagram
	for at := 10 * ms; at < 3000*ms; at += 10 * ms {
		in = append(in, scriptDatagram{at, udpAddr("10.0.0.9:9"), "garbage"})
	}
	run := runReceiver(t, context.Background(), &scriptConn{closeAt: 3000 * ms, in: in}, 100*ms)
	require.NoError(t, run.err)
	require.Len(t, run.logs, 3, "logs: %q", run.logs)
	for i, want := range []string{"0 not shown", "99 not shown", "99 not shown"} {
		assert.Contains(t, run.logs[i], want, "log %d", i)
		assert.Contains(t, run.logs[i], `"garbage"`, "log %d", i)
	}
	assert.Equal(t, int64(len(in)), run.r.Totals().Malformed)
}

func TestReceiverMalformedSampleIsBounded(t *testing.T) {
	big := strings.Repeat("x", 5000) // longer than the read buffer: truncated, still malformed
	run := runReceiver(t, context.Background(), &scriptConn{closeAt: time.Second,
		in: []scriptDatagram{{time.Millisecond, udpAddr("10.0.0.9:9"), big}}}, time.Second)
	require.NoError(t, run.err)
	require.Len(t, run.logs, 1)
	assert.Contains(t, run.logs[0], fmt.Sprintf("(%d bytes)", readBufSize))
	assert.Contains(t, run.logs[0], fmt.Sprintf("%q", strings.Repeat("x", logSampleLen)))
	assert.NotContains(t, run.logs[0], strings.Repeat("x", logSampleLen+1))
	assert.Equal(t, int64(1), run.r.Totals().Malformed)
}

func TestReceiverEmitsEveryElapsedInterval(t *testing.T) {
	// A datagram read long after the previous one: every interval in between is reported.
	conn := &scriptConn{closeAt: 4900 * time.Millisecond, in: []scriptDatagram{{4500 * time.Millisecond, udpAddr("10.0.0.1:1"), "1\n"}}}
	run := runReceiver(t, context.Background(), conn, time.Second)
	require.NoError(t, run.err)
	require.Len(t, run.summaries, 6) // 4 full intervals, the partial last one, the final
	for i, s := range run.summaries[:4] {
		assert.Equal(t, epoch.Add(time.Duration(i)*time.Second), s.Start)
		assert.Zero(t, s.Counts.Received)
	}
	assert.Equal(t, int64(1), run.summaries[4].Counts.Unique)
}

func TestReceiverStops(t *testing.T) {
	t.Run("context already done: final summary at once", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		run := runReceiver(t, ctx, &scriptConn{in: []scriptDatagram{{0, udpAddr("10.0.0.1:1"), "1\n"}}}, time.Second)
		require.NoError(t, run.err)
		require.Len(t, run.summaries, 2)
		assert.True(t, run.summaries[1].Final)
		assert.Zero(t, run.summaries[1].Counts.Received)
	})
	t.Run("read error is returned after the final summary", func(t *testing.T) {
		boom := errors.New("boom")
		run := runReceiver(t, context.Background(), &scriptConn{readErr: boom, in: []scriptDatagram{{0, udpAddr("10.0.0.1:1"), "1\n"}}}, time.Second)
		assert.ErrorIs(t, run.err, boom)
		require.NotEmpty(t, run.summaries)
		last := run.summaries[len(run.summaries)-1]
		assert.True(t, last.Final)
		assert.Equal(t, int64(1), last.Counts.Unique)
	})
}

func TestReceiverValidates(t *testing.T) {
	clk := &stepClock{now: epoch}
	conn := &scriptConn{clk: clk}
	for name, r := range map[string]*Receiver{
		"Conn":     {Clock: clk, Interval: time.Second},
		"Clock":    {Conn: conn, Interval: time.Second},
		"Interval": {Conn: conn, Clock: clk},
	} {
		t.Run(name, func(t *testing.T) {
			err := r.Run(context.Background())
			require.Error(t, err)
			assert.Contains(t, err.Error(), name)
		})
	}
}

func TestSourceOf(t *testing.T) {
	assert.Equal(t, "10.0.0.1:5", sourceOf(udpAddr("10.0.0.1:5")).String())
	assert.Equal(t, "1.2.3.4:5", sourceOf(&net.UDPAddr{IP: net.IPv4(1, 2, 3, 4).To16(), Port: 5}).String(), "IPv4-mapped is unmapped")
	assert.Equal(t, "[::1]:7", sourceOf(udpAddr("[::1]:7")).String())
	assert.Equal(t, "1.2.3.4:9", sourceOf(stringAddr("1.2.3.4:9")).String())
	assert.False(t, sourceOf(stringAddr("no port")).IsValid())
	assert.False(t, sourceOf(nil).IsValid())
}

type stringAddr string

func (a stringAddr) Network() string { return "test" }
func (a stringAddr) String() string  { return string(a) }

func TestSummaryRendering(t *testing.T) {
	s := Summary{
		Start: epoch, End: epoch.Add(time.Second),
		Counts: Counts{Received: 10, Expected: 12, Unique: 9, Lost: 3, Duplicates: 1, Min: 100, Max: 111},
		Totals: Counts{Received: 50, Unique: 45, Lost: 5},
	}
	assert.Equal(t, "03:04:05.000 Received 10/12 packets in range [100-111], unique 9, lost 3, duplicates 1, reordered 0, late 0, malformed 0, restarts 0 | total: received 50, unique 45, lost 5", s.String())
	s.Counts = Counts{}
	assert.Contains(t, s.String(), "Received 0/0 packets in range [-]")
	f := Summary{Start: epoch, End: epoch.Add(1500 * time.Millisecond), Counts: Counts{Received: 2, Expected: 2, Unique: 2, Max: 1, Evicted: 1}, Final: true}
	assert.Equal(t, "Total: Received 2/2 packets in range [0-1], unique 2, lost 0, duplicates 0, reordered 0, late 0, malformed 0, restarts 0, evicted 1 in 1.5s", f.String())
	assert.False(t, strings.Contains(s.String(), "\n"))
}

// A datagram longer than the read buffer is cut short without notice; what was read could
// parse ("000...0" of "000...07"), so a full read counts as malformed, never as a number.
func TestReceiverTruncatedDatagramIsMalformed(t *testing.T) {
	long := strings.Repeat("0", 3000) + "7\n"
	exact := strings.Repeat("0", readBufSize-2) + "7\n" // fills the buffer: cannot tell
	short := strings.Repeat("0", readBufSize-3) + "8\n" // fits, with room to spare
	run := runReceiver(t, context.Background(), &scriptConn{closeAt: time.Second, in: []scriptDatagram{
		{time.Millisecond, udpAddr("10.0.0.9:9"), long},
		{2 * time.Millisecond, udpAddr("10.0.0.9:9"), exact},
		{3 * time.Millisecond, udpAddr("10.0.0.9:9"), short},
	}}, time.Second)
	require.NoError(t, run.err)
	tot := run.r.Totals()
	assert.Equal(t, int64(2), tot.Malformed)
	assert.Equal(t, int64(1), tot.Unique)
	assert.Equal(t, int64(8), tot.Min, "only the datagram that fit was counted as a number")
}

// closesBetweenReads is the CLI closing the conn on SIGINT after a read returned and
// before the receiver sets its next deadline.
type closesBetweenReads struct {
	*scriptConn
	calls int
}

func (c *closesBetweenReads) SetReadDeadline(t time.Time) error {
	c.calls++
	if c.calls > 1 {
		return &net.OpError{Op: "set", Net: "udp", Err: net.ErrClosed}
	}
	return c.scriptConn.SetReadDeadline(t)
}

func TestReceiverClosedBetweenReadsIsACleanStop(t *testing.T) {
	sc := &scriptConn{clk: &stepClock{now: epoch}, in: []scriptDatagram{{10 * time.Millisecond, udpAddr("10.0.0.1:1"), "1\n"}}}
	var summaries []Summary
	r := &Receiver{Conn: &closesBetweenReads{scriptConn: sc}, Clock: sc.clk, Interval: time.Second,
		OnSummary: func(s Summary) { summaries = append(summaries, s) }}
	require.NoError(t, r.Run(context.Background()), "a conn closed to stop the receiver is not an error")
	require.NotEmpty(t, summaries)
	last := summaries[len(summaries)-1]
	assert.True(t, last.Final)
	assert.Equal(t, int64(1), last.Counts.Unique, "nothing already counted is lost")
}
