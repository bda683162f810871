package app

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/dist-example/dist-example/transport"
)

func runSender(t *testing.T, s *Sender, ctx context.Context) (*scriptConn, int64, error) {
	t.Helper()
	clk := &stepClock{now: epoch}
	conn := &scriptConn{clk: clk}
	if c, ok := s.Conn.(*scriptConn); ok {
		conn = c
		conn.clk = clk
	}
	s.Conn, s.Clock = conn, clk
	if s.Dst == nil {
		s.Dst = udpAddr("127.0.0.1:2345")
	}
	sent, err := s.Run(ctx)
	return conn, sent, err
}

func sentTimes(c *scriptConn) []time.Duration {
	var ts []time.Duration
	for _, d := range c.sent {
		ts = append(ts, d.at)
	}
	return ts
}

func TestSenderPacesWithoutDrift(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name      string
		writeCost func(int) time.Duration
		want      []time.Duration
	}{
		{"writes take time", func(int) time.Duration { return 3 * ms }, []time.Duration{0, 10 * ms, 20 * ms, 30 * ms, 40 * ms}},
		{"one slow write: the next ones catch up", func(i int) time.Duration {
			if i == 1 {
				return 25 * ms
			}
			return 0
		}, []time.Duration{0, 10 * ms, 35 * ms, 35 * ms, 40 * ms}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &Sender{Conn: &scriptConn{writeCost: tt.writeCost}, Interval: 10 * ms, Count: 5, Start: 7}
			conn, sent, err := runSender(t, s, context.Background())
			require.NoError(t, err)
			assert.Equal(t, int64(5), sent)
			assert.Equal(t, tt.want, sentTimes(conn))
			var payloads []string
			for _, d := range conn.sent {
				payloads = append(payloads, d.payload)
				assert.Equal(t, s.Dst, d.to)
			}
			assert.Equal(t, []string{"7\n", "8\n", "9\n", "10\n", "11\n"}, payloads)
		})
	}
}

func TestSenderIntervalZeroNeverSleeps(t *testing.T) {
	s := &Sender{Count: 1000}
	conn, sent, err := runSender(t, s, context.Background())
	require.NoError(t, err)
	assert.Equal(t, int64(1000), sent)
	assert.Len(t, conn.sent, 1000)
	assert.Empty(t, s.Clock.(*stepClock).sleeps)
}

func TestSenderLongIntervalSleepsInBoundedSteps(t *testing.T) {
	s := &Sender{Interval: time.Second, Count: 2}
	_, _, err := runSender(t, s, context.Background())
	require.NoError(t, err)
	sleeps := s.Clock.(*stepClock).sleeps
	var total time.Duration
	for _, d := range sleeps {
		assert.LessOrEqual(t, d, maxSleep)
		total += d
	}
	assert.Equal(t, time.Second, total)
}

func TestSenderStops(t *testing.T) {
	t.Run("count 0 runs until the conn is closed", func(t *testing.T) {
		conn := &scriptConn{}
		conn.writeErr = func(i int) error {
			if i == 50 { // closed between two writes: this one fails with net.ErrClosed
				conn.closed = true
				_, err := conn.WriteTo(nil, nil)
				return err
			}
			return nil
		}
		_, sent, err := runSender(t, &Sender{Conn: conn}, context.Background())
		require.NoError(t, err)
		assert.Equal(t, int64(50), sent)
	})
	t.Run("context cancelled while waiting", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		s := &Sender{Interval: time.Hour}
		clk := &stepClock{now: epoch}
		clk.onWake = func() {
			if clk.now.Sub(epoch) >= time.Second {
				cancel()
			}
		}
		conn := &scriptConn{clk: clk}
		s.Conn, s.Clock, s.Dst = conn, clk, udpAddr("127.0.0.1:1")
		sent, err := s.Run(ctx)
		require.NoError(t, err)
		assert.Equal(t, int64(1), sent)
		assert.Equal(t, time.Second, clk.now.Sub(epoch), "stopped within one sleep step of the cancel")
	})
	t.Run("write error is returned with the count so far", func(t *testing.T) {
		boom := errors.New("boom")
		conn := &scriptConn{writeErr: func(i int) error {
			if i == 3 {
				return boom
			}
			return nil
		}}
		_, sent, err := runSender(t, &Sender{Conn: conn, Count: 10}, context.Background())
		assert.ErrorIs(t, err, boom)
		assert.Equal(t, int64(3), sent)
	})
}

func TestSenderValidates(t *testing.T) {
	clk := &stepClock{now: epoch}
	conn := &scriptConn{clk: clk}
	dst := udpAddr("127.0.0.1:1")
	tests := []struct {
		name string
		s    Sender
		want string
	}{
		{"no conn", Sender{Clock: clk, Dst: dst}, "Conn"},
		{"no clock", Sender{Conn: conn, Dst: dst}, "Clock"},
		{"no destination", Sender{Conn: conn, Clock: clk}, "Dst"},
		{"negative interval", Sender{Conn: conn, Clock: clk, Dst: dst, Interval: -1}, "Interval"},
		{"negative count", Sender{Conn: conn, Clock: clk, Dst: dst, Count: -1}, "Count"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.s.Run(context.Background())
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

// batchConn is a scriptConn that also takes batches, recording their sizes; after
// failAfter datagrams in all (if err is set) it fails with err.
type batchConn struct {
	*scriptConn
	sizes     []int
	failAfter int
	err       error
}

var _ transport.BatchWriter = (*batchConn)(nil)

func (c *batchConn) WriteBatchTo(ps [][]byte, to net.Addr) (int, error) {
	c.sizes = append(c.sizes, len(ps))
	for i, p := range ps {
		if c.err != nil && len(c.sent) == c.failAfter {
			return i, c.err
		}
		if _, err := c.WriteTo(p, to); err != nil {
			return i, err
		}
	}
	return len(ps), nil
}

func TestSenderBatches(t *testing.T) {
	closedErr := &net.OpError{Op: "write", Net: "udp", Err: net.ErrClosed}
	boom := errors.New("boom")
	tests := []struct {
		name      string
		s         Sender
		failAfter int
		err       error
		wantSent  int64
		wantErr   error
		wantSizes []int
	}{
		{"count splits into batches", Sender{Count: 130, Start: -2}, 0, nil, 130, nil, []int{64, 64, 2}},
		{"count below one batch", Sender{Count: 5, Start: 7}, 0, nil, 5, nil, []int{5}},
		{"write error mid-batch: the count so far", Sender{Count: 200}, 70, boom, 70, boom, []int{64, 64}},
		{"conn closed ends count 0 cleanly", Sender{}, 100, closedErr, 100, nil, []int{64, 64}},
		{"paced senders write one at a time", Sender{Count: 3, Interval: time.Millisecond}, 0, nil, 3, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := &stepClock{now: epoch}
			conn := &batchConn{scriptConn: &scriptConn{clk: clk}, failAfter: tt.failAfter, err: tt.err}
			s := tt.s
			s.Conn, s.Clock, s.Dst = conn, clk, udpAddr("127.0.0.1:2345")
			sent, err := s.Run(context.Background())
			if tt.wantErr != nil {
				assert.ErrorIs(t, err, tt.wantErr)
			} else {
				require.NoError(t, err)
			}
			assert.Equal(t, tt.wantSent, sent)
			assert.Equal(t, tt.wantSizes, conn.sizes)
			require.Len(t, conn.sent, int(tt.wantSent))
			for i, d := range conn.sent {
				assert.Equal(t, fmt.Sprintf("%d\n", s.Start+int64(i)), d.payload, "datagram %d", i)
				assert.Equal(t, s.Dst, d.to)
			}
			if s.Interval == 0 {
				assert.Empty(t, clk.sleeps, "an unpaced sender never sleeps")
			}
		})
	}
}

func TestSenderBatchesStopOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	clk := &stepClock{now: epoch}
	conn := &batchConn{scriptConn: &scriptConn{clk: clk}}
	conn.writeErr = func(i int) error {
		if i == 100 {
			cancel() // noticed before the next batch
		}
		return nil
	}
	s := &Sender{Conn: conn, Clock: clk, Dst: udpAddr("127.0.0.1:1")}
	sent, err := s.Run(ctx)
	require.NoError(t, err)
	assert.Equal(t, int64(128), sent, "the batch under way completes, no further one starts")
}

// TestUntilAsTimeArithmetic checks until against start.Add(off).Sub(now) for times with
// and without monotonic readings, near the edges of Duration's range and at random.
func TestUntilAsTimeArithmetic(t *testing.T) {
	check := func(start time.Time, off time.Duration, now time.Time) {
		t.Helper()
		if got, want := until(start, off, now), start.Add(off).Sub(now); got != want {
			t.Fatalf("until(%v, %v, %v) = %v, want %v", start, off, now, got, want)
		}
	}
	mono := time.Now()
	offs := []time.Duration{0, 1, time.Millisecond, time.Second, math.MaxInt64, math.MaxInt64 - 1, math.MinInt64, -1}
	gaps := []time.Duration{0, 1, -1, time.Second - 1, -time.Second + 1, time.Hour, -time.Hour, math.MaxInt64, math.MinInt64}
	for _, start := range []time.Time{epoch, mono, mono.Round(0), {}, time.Unix(1<<40, 999_999_999), epoch.In(time.FixedZone("x", 3600))} {
		for _, off := range offs {
			for _, gap := range gaps {
				check(start, off, start.Add(gap))
				check(start, off, start.Add(gap).Round(0))
				check(start, off, start.AddDate(290, 0, 0).Add(gap))
				check(start, off, start.AddDate(300, 0, 0).Add(gap))
				check(start.Round(0), off, mono.Add(gap)) // a monotonic now against a plain start
			}
		}
	}
	rapid.Check(t, func(rt *rapid.T) {
		start := epoch.Add(time.Duration(rapid.Int64().Draw(rt, "start")))
		now := start.Add(time.Duration(rapid.Int64().Draw(rt, "gap"))).AddDate(rapid.IntRange(-400, 400).Draw(rt, "years"), 0, 0)
		check(start, time.Duration(rapid.Int64().Draw(rt, "off")), now)
	})
}

// The sender counts up by rewriting the previous number's text; every datagram must
// still be AppendNumber of its number, across digit counts, zero, negatives and the wrap
// past MaxInt64.
func TestSenderWritesEachNumber(t *testing.T) {
	for _, start := range []int64{0, 1, 8, 95, 998, -3, -101, 99_999_995, math.MaxInt64 - 3, math.MinInt64} {
		c := &scriptConn{clk: &stepClock{now: epoch}}
		s := &Sender{Conn: c, Clock: c.clk, Dst: udpAddr("127.0.0.1:9"), Count: 12, Start: start}
		sent, err := s.Run(context.Background())
		require.NoError(t, err)
		require.EqualValues(t, 12, sent)
		for i, d := range c.sent {
			assert.Equal(t, string(AppendNumber(nil, start+int64(i))), d.payload, "start %d, datagram %d", start, i)
		}
	}
}
