package simnet

import (
	"time"

	"github.com/dist-example/dist-example/transport"
)

// Clock is a network's virtual clock: Now is Epoch plus the virtual time elapsed, Sleep
// parks the calling simulated goroutine until the virtual time has passed, and AfterFunc
// runs a function at a later virtual time.
//
// There is no channel-based timer (After, NewTimer, NewTicker) on purpose. Only one
// simulated goroutine runs at a time, and it hands the run token on only when it blocks
// inside simnet (a Conn read, Sleep); one blocked receiving from a channel keeps the
// token, so the clock would never advance to fire the timer and the whole simulation
// would stop. Wait for time with Sleep in a simulated goroutine, or use AfterFunc, whose
// function runs between simulated goroutines and may, for example, write to a conn or
// start a goroutine with Network.Go.
type Clock struct {
	n *Network // read-only
}

var _ transport.Clock = (*Clock)(nil)

// Now returns Epoch plus the network's virtual time (in synctest mode, the bubble's
// time.Now). It may be called from anywhere.
func (c *Clock) Now() time.Time {
	n := c.n
	if n.st == nil {
		// Epoch.Add(d), built directly (half the cost): d >= 0, and Epoch is UTC with no
		// monotonic reading, as time.Unix(...).UTC() is.
		d := n.nowCopy.Load()
		return time.Unix(epochUnix+d/1e9, d%1e9).UTC()
	}
	return n.epoch.Add(n.Elapsed())
}

var epochUnix = Epoch.Unix()

// Since returns the virtual time elapsed since t.
func (c *Clock) Since(t time.Time) time.Duration { return c.Now().Sub(t) }

// Sleep blocks the calling simulated goroutine for d of virtual time; d <= 0 returns at
// once. Called outside a simulated goroutine it panics, because nothing would ever
// advance the clock for it (use Network.RunFor from test code); called from a goroutine
// that a simulated goroutine started with a plain go statement it panics with ErrStray.
func (c *Clock) Sleep(d time.Duration) {
	n := c.n
	if n.st != nil {
		n.stSleep(d)
		return
	}
	n.mu.Lock()
	g, err := n.holderLocked("Clock.Sleep")
	if err == ErrNotSimulated {
		n.mu.Unlock()
		panic("simnet: Clock.Sleep called outside a simulated goroutine (start it with Network.Go; test code advances time with Network.RunFor)")
	}
	if err != nil {
		n.mu.Unlock()
		panic(err)
	}
	n.exitIfClosedLocked()
	if d <= 0 {
		n.mu.Unlock()
		return
	}
	until := n.now + d
	if until < n.now {
		until = forever - 1
	}
	n.blockLocked(g, waitSleep, nil, until, true)
	n.exitIfClosedLocked()
	n.mu.Unlock()
}

// Timer is a function scheduled with Clock.AfterFunc.
type Timer struct {
	n  *Network
	id uint64
}

// AfterFunc runs f at virtual time now+d (d <= 0: now, after whatever is already due now)
// and returns a Timer that can stop it. f is a scheduled function, as with Network.After:
// it runs between simulated goroutines, in order of time and then of scheduling with
// every other event (sleeps ending, deadlines, packets, At), may call any Network or Conn
// method, and must not block, since it is not a simulated goroutine (no Sleep, no read
// waiting for data; start a goroutine with Network.Go for that). AfterFunc may be called
// from anywhere: simulated goroutines, scheduled functions, test code. After Close, f
// never runs.
func (c *Clock) AfterFunc(d time.Duration, f func()) *Timer {
	n := c.n
	n.lock()
	defer n.mu.Unlock()
	n.nextTimer++
	if n.closed { // nothing will run: an inert timer whose Stop reports false
		return &Timer{n: n, id: n.nextTimer}
	}
	if n.timers == nil {
		n.timers = make(map[uint64]struct{})
	}
	n.timers[n.nextTimer] = struct{}{}
	n.pushLocked(fnEvent(n.afterLocked(d), evTimer, f, n.nextTimer))
	return &Timer{n: n, id: n.nextTimer}
}

// Stop keeps t's function from running and reports whether it did: false means the
// function has already run (or started), was stopped before, or the network was closed.
// A stopped timer leaves nothing behind: its time coming round does not even move the
// clock.
func (t *Timer) Stop() bool {
	n := t.n
	n.mu.Lock()
	defer n.mu.Unlock()
	if _, pending := n.timers[t.id]; !pending {
		return false
	}
	delete(n.timers, t.id)
	if n.st != nil {
		n.stArmLocked() // the bubble's clock need not visit the stopped timer's time
	}
	return true
}
