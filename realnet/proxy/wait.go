package proxy

import (
	"time"

	"github.com/benbjohnson/clock"
)

// waiter is how a direction's loop sleeps until its next packet falls due. kick wakes it
// early (packets became ready, an earlier due time appeared, or the proxy is closing);
// a kick that comes before sleep makes the next sleep return at once. sleep and close
// run on the loop's goroutine; kick on any.
type waiter interface {
	sleep(due time.Duration) // until the link time due (never: until kicked)
	kick()
	close()
}

// clockWaiter sleeps on the Config's clock: what a mock clock drives in tests, and the
// real clock's timers where the platform has no finer ones. Go's timers wake up to about
// a millisecond late on Linux (the runtime's poller waits in whole milliseconds).
type clockWaiter struct {
	now   func() time.Duration // read-only
	timer *clock.Timer         // the loop's own
	wake  chan struct{}        // 1-buffered
}

func newClockWaiter(clk clock.Clock, now func() time.Duration) *clockWaiter {
	t := clk.Timer(time.Hour)
	t.Stop()
	return &clockWaiter{now: now, timer: t, wake: make(chan struct{}, 1)}
}

func (w *clockWaiter) sleep(due time.Duration) {
	if due == never {
		<-w.wake
		return
	}
	// Armed for exactly due: a clock that moved between reading it and arming the timer
	// (a mock driven from another goroutine) would leave the timer late by that much, so
	// arm again until the clock read before and after agree.
	for t := w.now(); ; {
		if t >= due {
			w.timer.Stop()
			return
		}
		w.timer.Reset(due - t)
		if t2 := w.now(); t2 != t {
			t = t2
			continue
		}
		break
	}
	select {
	case <-w.timer.C:
	case <-w.wake:
		w.timer.Stop()
	}
}

func (w *clockWaiter) kick() {
	select {
	case w.wake <- struct{}{}:
	default: // a kick is already pending
	}
}

func (w *clockWaiter) close() { w.timer.Stop() }

// Bounds of the precise waiter's spin: it sleeps in the kernel until a margin before a
// due time and spins the rest, so a thread that wakes up to that much late still
// writes on time. How late a timer wakes a thread depends on the machine (on this
// project's 2-vCPU VM: tens of microseconds when idle, hundreds when busy, in spells),
// so the margin follows what the waiter sees: it rises at once to cover the latest
// wake-up (plus spinGuard) and decays back toward minSpin by 1/spinDecay of the excess
// per timed wake. The spin costs CPU only while packets wait for their due times.
const (
	minSpin   = 150 * time.Microsecond
	maxSpin   = 800 * time.Microsecond
	spinGuard = 25 * time.Microsecond
	spinDecay = 16
)

// spinTracker is a waiter's adaptive spin margin. The zero value starts at minSpin.
// Not safe for concurrent use (the loop's own).
type spinTracker struct{ m time.Duration }

// margin is how long before a due time to stop sleeping and start spinning.
func (s *spinTracker) margin() time.Duration { return max(s.m, minSpin) }

// observe takes how late a timed wake-up came (after the time it was armed for).
func (s *spinTracker) observe(late time.Duration) {
	m := s.margin()
	if need := late + spinGuard; need > m {
		s.m = min(need, maxSpin)
		return
	}
	s.m = m - (m-minSpin)/spinDecay
}
