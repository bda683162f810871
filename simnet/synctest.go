package simnet

import (
	"bytes"
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dist-example/dist-example/internal/bubble"
)

// This file is synctest mode (Config.Synctest): the network runs inside a testing/synctest
// bubble, on the bubble's fake clock, and its users are ordinary goroutines. It reaches
// package time's clock only through internal/bubble (no other file of simnet reads a
// clock): inside a bubble that clock is the bubble's fake one, the network's virtual time.
//
// The event queue and the netem path are the cooperative mode's: links arm evLink
// events, At/After/AfterFunc push evFunc/evTimer events. What differs is who runs the
// queue. One bubble timer (stMode.timer) is kept armed at the earliest pending event;
// when the bubble's clock reaches it (every goroutine of the bubble is blocked), its
// callback runs every event due. Any other network call first brings the network's time
// up to the bubble's and runs what is due (Network.lock), so a goroutine never sees a
// packet that should have left its link but has not. Readers block on a channel closed
// when their conn changes (a datagram, a deadline moved, Close) and on a bubble timer for
// their deadline, so they are durably blocked and the bubble's time can advance.

// stMode is the state of a synctest-mode network.
type stMode struct {
	start  time.Time // the bubble's time at New: virtual time zero
	bubble string    // the bubble's ID, from the creating goroutine's header

	timer   *time.Timer // fires at armedAt, the earliest pending event
	armed   bool
	armedAt time.Duration

	wg   sync.WaitGroup // goroutines started with Network.Go
	live atomic.Int64
}

var (
	errNotInBubble = errors.New("simnet: Config.Synctest is set but New was not called inside a testing/synctest bubble: " +
		"create the network inside synctest.Test's function (or leave Synctest unset for the cooperative scheduler)")
	errInBubble = errors.New("simnet: New was called inside a testing/synctest bubble without Config.Synctest: " +
		"set Config.Synctest so the network runs on the bubble's clock and ordinary goroutines may use it " +
		"(the cooperative scheduler's virtual time would disagree with the bubble's time.Now)")
	errCoopInBubble = errors.New("simnet: a cooperative network (created outside testing/synctest) is being run from inside a synctest bubble: " +
		"create the network inside the bubble with Config.Synctest set")
)

// outsideMsg is the panic of a synctest-mode network used from outside its bubble.
const outsideMsg = "simnet: a synctest-mode network (Config.Synctest) was used from a goroutine outside its testing/synctest bubble: " +
	"call its methods only from the bubble's goroutines (synctest.Test's function and the goroutines it starts); " +
	"after Close, counters and traces may be read from anywhere"

// bubbleID returns the testing/synctest bubble of the calling goroutine, read from its
// traceback header ("goroutine 7 [running, synctest bubble 1]:").
func bubbleID() (string, bool) {
	var buf [256]byte
	b := buf[:runtime.Stack(buf[:], false)]
	line, _, _ := bytes.Cut(b, []byte("\n"))
	_, after, ok := bytes.Cut(line, []byte(", synctest bubble "))
	if !ok {
		return "", false
	}
	end := bytes.IndexAny(after, " ]")
	if end < 0 {
		end = len(after)
	}
	return string(after[:end]), true
}

// inSomeBubble is a cheap test for the hot paths: inside a bubble time.Now carries no
// monotonic reading (the runtime omits it there), outside one it always does.
func inSomeBubble() bool {
	t := bubble.Now()
	return t == t.Round(0)
}

// initMode sets up the network's mode and refuses a mixed one.
func (n *Network) initMode(synctest bool) error {
	id, in := bubbleID()
	switch {
	case synctest && !in:
		return errNotInBubble
	case !synctest && in:
		return errInBubble
	case !synctest:
		n.epoch = Epoch
		return nil
	}
	st := &stMode{start: bubble.Now(), bubble: id}
	st.timer = bubble.AfterFunc(time.Hour, n.stFire)
	st.timer.Stop()
	n.st = st
	n.epoch = st.start
	return nil
}

// Synctest reports whether the network runs in synctest mode (Config.Synctest).
func (n *Network) Synctest() bool { return n.st != nil }

// checkCoopCaller refuses to run a cooperative network from inside a bubble.
func (n *Network) checkCoopCaller() error {
	if _, in := bubbleID(); in {
		return errCoopInBubble
	}
	return nil
}

// checkBubble panics unless the caller is in the network's own bubble (the thorough
// check, for calls that are not per datagram).
func (n *Network) checkBubble() {
	if id, in := bubbleID(); !in || id != n.st.bubble {
		panic(outsideMsg)
	}
}

// lock takes the network's lock; in synctest mode it also brings the network's time up to
// the bubble's and runs every event due by then.
func (n *Network) lock() {
	n.mu.Lock()
	if n.st != nil {
		if !inSomeBubble() {
			if n.closed {
				return // reading a closed network's state from the test after the bubble
			}
			n.mu.Unlock()
			panic(outsideMsg)
		}
		n.stAdvanceLocked()
	}
}

// stAdvanceLocked runs every event due by the bubble's time, then re-arms the timer.
func (n *Network) stAdvanceLocked() {
	if now := bubble.Since(n.st.start); now > n.now {
		n.setNowLocked(now)
	}
	for n.events.len() > 0 && n.events.peekAt() <= n.now {
		e := n.events.pop()
		if !n.liveLocked(&e) {
			continue
		}
		switch e.kind() {
		case evLink:
			n.fireLinkLocked(e.l())
		case evFunc, evTimer:
			n.stCallLocked(e.fn())
		}
	}
	n.stArmLocked()
}

// stCallLocked runs a scheduled function without the lock. A panic in it goes up the
// goroutine that happened to run the queue, with the lock taken again so that the
// caller's deferred unlock does not hide it.
func (n *Network) stCallLocked(fn func()) {
	n.mu.Unlock()
	ok := false
	defer func() {
		if !ok {
			n.mu.Lock()
		}
	}()
	fn()
	ok = true
	n.mu.Lock()
}

// stArmLocked keeps the bubble timer at the earliest live event (stale ones at the head
// are dropped, so they do not move the bubble's clock either).
func (n *Network) stArmLocked() {
	st := n.st
	for n.events.len() > 0 {
		if e := n.events.peek(); !n.stStaleLocked(e) {
			break
		}
		e := n.events.pop()
		n.liveLocked(&e) // its bookkeeping: a stopped timer's entry goes

	}
	if n.events.len() == 0 || n.closed {
		if st.armed {
			st.timer.Stop()
			st.armed = false
		}
		return
	}
	at := n.events.peekAt()
	if st.armed && st.armedAt == at {
		return
	}
	st.armed, st.armedAt = true, at
	st.timer.Reset(at - n.now)
}

// stStaleLocked is liveLocked's answer without its bookkeeping, for an event still queued.
func (n *Network) stStaleLocked(e *event) bool {
	if n.closed {
		return true
	}
	switch e.kind() {
	case evLink:
		return e.tok != e.l().tok
	case evTimer:
		_, pending := n.timers[e.tok]
		return !pending
	}
	return false
}

// stPushed is pushLocked's hook: an event earlier than the armed one re-arms the timer.
func (n *Network) stPushed(at time.Duration) {
	if st := n.st; !st.armed || at < st.armedAt {
		st.armed, st.armedAt = true, at
		st.timer.Reset(at - n.now)
	}
}

// stFire is the bubble timer's function.
func (n *Network) stFire() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return
	}
	n.st.armed = false
	n.stAdvanceLocked()
}

// stGo starts fn as an ordinary goroutine of the bubble, counted until it returns.
func (n *Network) stGo(fn func()) {
	n.checkBubble()
	n.mu.Lock()
	closed := n.closed
	n.mu.Unlock()
	if closed {
		return // as in cooperative mode: after Close, Go does nothing
	}
	st := n.st
	st.wg.Add(1)
	st.live.Add(1)
	go func() {
		defer st.wg.Done()
		defer st.live.Add(-1)
		fn()
	}()
}

// stRun is Run, RunFor and RunUntil in synctest mode: Run waits for the goroutines
// started with Go to return, the others sleep until the virtual time limit.
func (n *Network) stRun(limit time.Duration) error {
	n.checkBubble()
	n.mu.Lock()
	closed := n.closed
	n.mu.Unlock()
	if closed {
		return ErrNetworkClosed
	}
	if limit == forever {
		n.st.wg.Wait()
		return nil
	}
	n.lock()
	d := limit - n.now
	n.mu.Unlock()
	if d > 0 {
		bubble.Sleep(d)
	}
	n.lock()
	n.mu.Unlock()
	return nil
}

// stClose is Close in synctest mode: conns are closed (blocked readers get
// net.ErrClosed), pending events dropped; goroutines are not ended.
func (n *Network) stCloseLocked() {
	n.st.timer.Stop()
	n.st.armed = false
	n.events = eventQueue{}
	n.timers = nil
}

// stSleep is Clock.Sleep in synctest mode.
func (n *Network) stSleep(d time.Duration) {
	if !inSomeBubble() {
		panic(outsideMsg)
	}
	if d > 0 {
		bubble.Sleep(d)
	}
}

// stWaitLocked blocks a reader of c until c changes (stWakeLocked) or its read deadline
// passes. mu is held on entry and on return.
func (c *Conn) stWaitLocked() {
	n := c.n
	if !inSomeBubble() {
		n.mu.Unlock()
		panic(outsideMsg)
	}
	if c.wake == nil {
		c.wake = make(chan struct{})
	}
	ch := c.wake
	d, has := c.rdl-n.now, c.hasRdl
	n.mu.Unlock()
	if has {
		t := bubble.NewTimer(d)
		select {
		case <-ch:
		case <-t.C:
		}
		t.Stop()
	} else {
		<-ch
	}
	n.lock()
}

// stWakeLocked wakes every reader blocked on c in synctest mode.
func (c *Conn) stWakeLocked() {
	if c.wake != nil {
		close(c.wake)
		c.wake = nil
	}
}

// stSleepContext is Clock.SleepContext in synctest mode.
func (n *Network) stSleepContext(ctx context.Context, d time.Duration) error {
	if !inSomeBubble() {
		panic(outsideMsg)
	}
	if err := ctx.Err(); err != nil || d <= 0 {
		return err
	}
	t := bubble.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
