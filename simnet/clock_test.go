package simnet_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dist-example/dist-example/simnet"
)

// AfterFunc callbacks run at their virtual time, in (time, scheduling) order with sleeps
// ending; a stopped one never runs and does not move the clock.
func TestAfterFuncOrder(t *testing.T) {
	n := newNet(t, simnet.Config{})
	clk := n.Clock()
	var log []string
	note := func(what string) { log = append(log, n.Elapsed().String()+" "+what) }

	t20 := clk.AfterFunc(20*time.Millisecond, func() { note("timer 20ms") })
	n.Go("g", func() {
		for range 3 {
			clk.Sleep(10 * time.Millisecond)
			note("g woke")
			if n.Elapsed() == 10*time.Millisecond {
				clk.AfterFunc(0, func() { note("timer 0 from g") })
				clk.AfterFunc(-time.Second, func() { note("timer -1s from g") })
			}
		}
	})
	// Scheduled before g runs and arms its first sleep, so it comes first at 10ms.
	clk.AfterFunc(10*time.Millisecond, func() {
		note("timer 10ms")
		clk.AfterFunc(5*time.Millisecond, func() { note("nested timer 15ms") })
	})
	stopped := clk.AfterFunc(15*time.Millisecond, func() { note("stopped timer") })
	late := clk.AfterFunc(time.Hour, func() { note("late timer") })
	assert.True(t, stopped.Stop())
	assert.False(t, stopped.Stop(), "already stopped")
	n.At(25*time.Millisecond, func() { assert.True(t, late.Stop()) })

	require.NoError(t, n.Run())
	assert.Equal(t, []string{
		"10ms timer 10ms",
		"10ms g woke",
		"10ms timer 0 from g",
		"10ms timer -1s from g",
		"15ms nested timer 15ms",
		"20ms timer 20ms",
		"20ms g woke",
		"30ms g woke",
	}, log)
	assert.Equal(t, 30*time.Millisecond, n.Elapsed(), "a stopped timer does not move the clock")
	assert.False(t, t20.Stop(), "it has run")
}

// A timer-driven sender with retransmission timeouts (AfterFunc, Stop on ack) over a
// lossy, jittery link replays the same run for the same seed.
func TestAfterFuncDeterminism(t *testing.T) {
	run := func(seed uint64) string {
		var trace strings.Builder
		n := newNet(t, simnet.Config{Seed: seed, Default: mustParse(t, "delay 20ms 15ms loss 20%"), Trace: &trace}, "a", "b")
		clk := n.Clock()
		src, dst := listen(t, n, "a:1"), listen(t, n, "b:1")
		var log []string
		pending := map[byte]*simnet.Timer{}
		var send func(seq byte, try int)
		send = func(seq byte, try int) {
			_, _ = src.WriteTo([]byte{seq}, dst.LocalAddr())
			pending[seq] = clk.AfterFunc(50*time.Millisecond, func() {
				log = append(log, fmt.Sprintf("%v timeout %d try %d", n.Elapsed(), seq, try))
				send(seq, try+1)
			})
		}
		for i := range 20 {
			clk.AfterFunc(time.Duration(i)*7*time.Millisecond, func() { send(byte(i), 1) })
		}
		n.Go("echo", func() {
			buf := make([]byte, 1)
			for {
				_, from, err := dst.ReadFrom(buf)
				if err != nil {
					return
				}
				_, _ = dst.WriteTo(buf, from)
			}
		})
		n.Go("acks", func() {
			buf := make([]byte, 1)
			for {
				if _, _, err := src.ReadFrom(buf); err != nil {
					return
				}
				if tm := pending[buf[0]]; tm != nil && tm.Stop() {
					log = append(log, fmt.Sprintf("%v ack %d", n.Elapsed(), buf[0]))
				}
			}
		})
		require.NoError(t, n.RunFor(5*time.Second))
		return strings.Join(log, "\n") + "\n--\n" + trace.String()
	}
	first := run(11)
	assert.Equal(t, first, run(11), "same seed, same run")
	assert.Contains(t, first, "timeout", "the loss makes some timers fire")
	assert.Contains(t, first, "ack 19", "the last datagram gets through eventually")
	assert.NotEqual(t, first, run(12), "another seed, another run")
}

func TestAfterFuncAfterClose(t *testing.T) {
	n := newNet(t, simnet.Config{})
	ran := false
	tm := n.Clock().AfterFunc(time.Second, func() { ran = true })
	require.NoError(t, n.Close())
	assert.False(t, tm.Stop(), "Close discarded it")
	assert.False(t, ran)

	late := n.Clock().AfterFunc(time.Second, func() { ran = true })
	assert.False(t, late.Stop(), "a timer made after Close never runs, so Stop has nothing to stop")
	assert.False(t, ran)
}

func TestAfterFuncPanicPropagates(t *testing.T) {
	n := newNet(t, simnet.Config{})
	n.Clock().AfterFunc(time.Second, func() { panic("timer broke") })
	var got any
	func() {
		defer func() { got = recover() }()
		_ = n.Run()
	}()
	require.NotNil(t, got)
	assert.Contains(t, got.(error).Error(), "AfterFunc panicked: timer broke")
}

// TestClockNowIsEpochPlusElapsed: Now is exactly Epoch.Add(Elapsed()) (same wall, ext and
// location, so == holds), at nanosecond, second and hour boundaries and far in the future.
func TestClockNowIsEpochPlusElapsed(t *testing.T) {
	n := newNet(t, simnet.Config{})
	clk := n.Clock()
	for _, at := range []time.Duration{0, 1, 999_999_999, time.Second, time.Second + 1, 36*time.Hour + 7,
		100_000 * time.Hour, 1 << 62, 1<<63 - 2} {
		require.NoError(t, n.RunUntil(at))
		require.Equal(t, at, n.Elapsed())
		got, want := clk.Now(), simnet.Epoch.Add(at)
		assert.True(t, got == want, "at %v: Now %v, Epoch.Add %v", at, got, want)
		assert.Equal(t, want.String(), got.String())
	}
}
