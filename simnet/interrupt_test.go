package simnet_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dist-example/dist-example/app"
	"github.com/dist-example/dist-example/simnet"
)

// A SleepContext is one event however long: sleeping 100 hours costs the scheduler what
// sleeping one second does.
func TestSleepContextIsOneEvent(t *testing.T) {
	events := func(d time.Duration) uint64 {
		n := newNet(t, simnet.Config{})
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var err error
		n.Go("sleeper", func() { err = n.Clock().SleepContext(ctx, d) })
		require.NoError(t, n.Run())
		require.NoError(t, err)
		assert.Equal(t, d, n.Elapsed())
		return n.Events()
	}
	short, long := events(time.Second), events(100*time.Hour)
	assert.Equal(t, short, long, "events for 1s and for 100h of sleep")
	assert.LessOrEqual(t, long, uint64(5))
}

// A context cancelled inside the simulation wakes its sleeper at that virtual time, in
// every replay; one cancelled before the sleep returns at once.
func TestSleepContextWokenByCancel(t *testing.T) {
	for range 3 {
		n := newNet(t, simnet.Config{})
		ctx, cancel := context.WithCancel(context.Background())
		var err error
		var woke time.Duration
		n.Go("sleeper", func() {
			err = n.Clock().SleepContext(ctx, 100*time.Hour)
			woke = n.Elapsed()
		})
		n.At(3*time.Second, cancel)
		require.NoError(t, n.Run())
		require.ErrorIs(t, err, context.Canceled)
		assert.Equal(t, 3*time.Second, woke)
		assert.Equal(t, 3*time.Second, n.Elapsed(), "the abandoned 100h deadline does not move the clock")

		n.Go("again", func() { err = n.Clock().SleepContext(ctx, time.Hour) })
		require.NoError(t, n.Run())
		require.ErrorIs(t, err, context.Canceled)
		assert.Equal(t, 3*time.Second, n.Elapsed())
	}
}

// app's Sender waits for a datagram due far ahead in one step, and its context's end
// stops it at once: an idle 100-hour schedule costs what a 1-second one does.
func TestSenderIdleTimeCostsNothing(t *testing.T) {
	run := func(interval time.Duration, cancelAt time.Duration) (sent int64, events uint64, end time.Duration) {
		n := newNet(t, simnet.Config{}, "a", "b")
		src, dst := listen(t, n, "a:0"), listen(t, n, "b:9000")
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		if cancelAt > 0 {
			n.At(cancelAt, cancel)
		}
		s := &app.Sender{Conn: src, Clock: n.Clock(), Dst: dst.LocalAddr(), Interval: interval, Count: 3}
		var err error
		n.Go("sender", func() { sent, err = s.Run(ctx); _ = dst.Close() })
		require.NoError(t, n.Run())
		require.NoError(t, err)
		return sent, n.Events(), n.Elapsed()
	}
	sent1, short, _ := run(time.Second, 0)
	sent2, long, end := run(100*time.Hour, 0)
	assert.Equal(t, int64(3), sent1)
	assert.Equal(t, int64(3), sent2)
	assert.Equal(t, 200*time.Hour, end)
	assert.Equal(t, short, long, "scheduler events for 3 datagrams 1s apart and 100h apart")

	sent, _, end := run(100*time.Hour, 150*time.Hour)
	assert.Equal(t, int64(2), sent, "cancelled between the second and third datagram")
	assert.Equal(t, 150*time.Hour, end, "the sender stopped when its context ended")
}

// Interrupt stops a run at the current virtual time with ErrInterrupted; nothing is
// lost, and a later run goes on from there.
func TestInterrupt(t *testing.T) {
	n := newNet(t, simnet.Config{})
	ticks := 0
	n.Go("ticker", func() {
		for {
			n.Clock().Sleep(time.Second)
			ticks++
		}
	})
	n.At(5*time.Second+time.Millisecond, n.Interrupt)
	err := n.Run() // without the interrupt, forever
	require.ErrorIs(t, err, simnet.ErrInterrupted)
	assert.Equal(t, 5*time.Second+time.Millisecond, n.Elapsed())
	assert.Equal(t, 5, ticks)

	require.NoError(t, n.RunFor(2*time.Second), "the interrupt is taken by the run it stopped")
	assert.Equal(t, 7, ticks)

	n.Interrupt() // with no run in progress: the next one stops at once
	require.ErrorIs(t, n.RunFor(time.Hour), simnet.ErrInterrupted)
	assert.Equal(t, 7*time.Second+time.Millisecond, n.Elapsed())
	assert.Equal(t, 7, ticks)
}

// Interrupt works from another goroutine (a signal handler) while a run that would
// never end is in progress.
func TestInterruptFromAnotherGoroutine(t *testing.T) {
	n := newNet(t, simnet.Config{})
	n.Go("busy", func() {
		for {
			n.Clock().Sleep(time.Millisecond)
		}
	})
	n.At(time.Second, func() { go n.Interrupt() })
	require.ErrorIs(t, n.Run(), simnet.ErrInterrupted)
	assert.GreaterOrEqual(t, n.Elapsed(), time.Second)
}
