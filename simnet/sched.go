package simnet

import (
	"errors"
	"fmt"
	"iter"
	"math"
	"runtime"
	"runtime/debug"
	"slices"
	"time"
	"unsafe"
)

type gstate uint8

const (
	gNew     gstate = iota // created by Go, its real goroutine not started yet
	gRunning               // holds the run token, or is about to be handed it
	gBlocked               // parked; waits on what wait says
	gDone                  // returned, panicked or was ended by Close
)

type waitKind uint8

const (
	waitNone waitKind = iota
	waitRead
	waitSleep
)

// gor is a simulated goroutine: a Go coroutine (iter.Pull) that runs only while it holds
// the network's run token. All fields are guarded by Network.mu.
type gor struct {
	n     *Network
	id    int
	name  string
	fn    func()
	state gstate
	live  int // index in Network.live

	// The coroutine whose body runs g, made when g first runs, and the coroutine g is
	// parked in while it does not run (see transferLocked); at first, its own.
	c    *coro
	slot *coro

	self caller // who g's real goroutine is, to refuse blocking calls from any other

	// tok numbers this goroutine's waits; a wakeup carries the token of the wait it was
	// armed for, so one left over from an earlier wait (a deadline for a read that has
	// already returned) is recognised and ignored.
	tok      uint64
	wait     waitKind
	waitConn *Conn
	until    time.Duration // end of a sleep, or a read deadline when hasUntil
	hasUntil bool

	// An evDeadline event at armedAt is pending. A reader that blocks again and again
	// with the same deadline (a receiver with a summary interval) reuses it instead of
	// leaving one stale event per read in the heap.
	armed   bool
	armedAt time.Duration

	// sp is where blockLocked's frame was on g's stack when g last parked (0 before):
	// the switch to g touches the stack lines around it first (see touchStack).
	sp uintptr

	// With many goroutines (more than warmFrom), what warms the next goroutine's cache
	// lines early (see warmSuccessor): rtg is g's runtime record (0 where unknown);
	// resumeFn the iter.Pull function whoever resumes g calls, recorded as g parks. succ
	// is whom g handed the token to when it last parked, and succSp and succG that one's
	// stack address and runtime record then: with goroutines taking turns in a steady
	// order, the best guess at who runs after g next time.
	rtg      uintptr
	resumeFn uintptr
	succ     *gor
	succSp   uintptr
	succG    uintptr
}

const forever = time.Duration(math.MaxInt64)

// Go starts fn as a simulated goroutine named name (the name appears in deadlock reports).
// It runs when the network runs, one simulated goroutine at a time, and gives control back
// only when it blocks in a Conn read, sleeps on the network's Clock, or returns. A
// simulated goroutine must not block on anything else (channels, mutexes, real time):
// that would stop the whole simulation; nor may a goroutine it starts with a plain go
// statement call a blocking simnet method (that fails with ErrStray). Go may be called
// from test code or from a simulated goroutine; after Close it does nothing.
func (n *Network) Go(name string, fn func()) {
	if n.st != nil {
		n.stGo(fn)
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return
	}
	n.nextGID++
	g := &gor{n: n, id: n.nextGID, name: name, fn: fn, live: len(n.live)}
	n.live = append(n.live, g)
	n.pushLocked(gorEvent(n.now, evResume, g, 0))
}

func (n *Network) pushLocked(e event) {
	n.seq++
	e.key |= n.seq << kindBits
	if q := &n.events; n.st == nil {
		// The common cases, inline: due now, into the FIFO, which has room; or for later,
		// before the lane's last, into the sorted part.
		if f := &q.fifo; e.at <= n.now {
			if f.n < len(f.buf) {
				f.buf[(f.head+f.n)&(len(f.buf)-1)] = e
				f.n++
				return
			}
		} else if q.lane.n > 0 && e.at < q.lane.last().at {
			q.sorted.push(&e)
			return
		}
	}
	n.events.push(e, n.now)
	if n.st != nil {
		n.stPushed(e.at)
	}
}

// wakeLocked makes g runnable at the current time if it still waits with token tok.
func (n *Network) wakeLocked(g *gor) {
	n.pushLocked(gorEvent(n.now, evResume, g, g.tok))
}

// blockLocked records that g waits, then gives up the run token until g is resumed. mu is
// held on entry and on return.
func (n *Network) blockLocked(g *gor, w waitKind, c *Conn, until time.Duration, hasUntil bool) {
	g.tok++
	g.state = gBlocked
	g.wait, g.waitConn, g.until, g.hasUntil = w, c, until, hasUntil
	if hasUntil && !(g.armed && g.armedAt == until) {
		g.armed, g.armedAt = true, until
		n.pushLocked(gorEvent(until, evDeadline, g, 0))
	}
	var probe byte // its address moves only if the stack does
	mark := uintptr(unsafe.Pointer(&probe))
	g.sp = mark
	if n.cur = n.nextLocked(); n.cur != g { // switchLocked, inline
		n.transferLocked(g)
	}
	if uintptr(unsafe.Pointer(&probe)) != mark {
		g.self.forget() // the stack moved while g was parked
	}
	g.wait, g.waitConn = waitNone, nil
}

// switchLocked runs the scheduler loop on the calling goroutine (self; nil is the driver)
// until it finds who runs next, then hands the token over and returns when self holds it
// again. If the next to run is self, no goroutine is switched at all.
func (n *Network) switchLocked(self *gor) {
	n.cur = n.nextLocked()
	if n.cur != self {
		n.transferLocked(self)
	}
}

// coro is one of iter.Pull's coroutines used as a place to park: switching through it
// (swap) parks the caller in it and runs whichever goroutine was parked there. next and
// yield both make that one switch; iter.Pull only insists that they alternate, which
// yieldNext tracks (as iter.Pull's own flag does), so swap calls whichever is due.
type coro struct {
	next      func() (struct{}, bool)
	yield     func(struct{}) bool
	yieldNext bool
}

// swap parks the calling goroutine in c and runs the one parked there; it returns when
// another swap through c (or the end of c's body) runs the caller again.
func (c *coro) swap() {
	if c.yieldNext {
		c.yieldNext = false
		c.yield(struct{}{})
		return
	}
	c.yieldNext = true
	c.next()
}

// transferLocked hands the run token from self (nil: the driver, the goroutine in Run or
// Close) to n.cur by one coroutine switch, and returns once the token is back with self.
//
// Every goroutine that does not run is parked in one coroutine (g.slot; the driver's is
// n.drvSlot), not necessarily its own: a goroutine g made by iter.Pull is parked in its
// own coroutine only until it first runs. To run t, the holder swaps through t's slot:
// t runs and the holder is parked there instead, whatever the two are; so each hand-off
// is one switch, however many goroutines take turns. A coroutine always holds one parked
// goroutine; when g's function ends, the end of its coroutine's body runs that one, which
// hands the token on to n.cur if it is not the one (one more switch per goroutine).
//
// mu stays locked across every switch: it is held by whichever goroutine runs network
// code, and handed over with the token (sync.Mutex is not tied to a goroutine), so a
// hand-off takes no extra lock. A goroutine started by a switch unlocks it before running
// its function (main). The switches order everything the giver did before everything the
// taker does (iter.Pull tells the race detector so).
func (n *Network) transferLocked(self *gor) {
	for n.cur != self {
		var s *coro
		if t := n.cur; t == nil {
			s = n.drvSlot
		} else {
			if t.c == nil {
				t.c = newCoro(t)
				t.slot = t.c
			}
			s = t.slot
		}
		if t := n.cur; t != nil && t.sp != 0 && len(n.live) > touchFrom {
			touchStack(&t.sp) // before the switch, whose own loads would wait on each miss
			if self != nil && len(n.live) > warmFrom {
				// What self's warmSuccessor will prefetch: t, and how its resumer
				// resumes self (with the other of s's two functions).
				self.succ, self.succSp, self.succG = t, t.sp, t.rtg
				if s.yieldNext {
					self.resumeFn = funcAddr(s.next)
				} else {
					self.resumeFn = funcAddr(s.yield)
				}
			}
		}
		if self == nil {
			n.drvSlot = s
		} else {
			self.slot = s
		}
		// s.swap(), inline: the resumed goroutine returns through one frame fewer, whose
		// stack lines are cold when many goroutines take turns.
		if s.yieldNext {
			s.yieldNext = false
			s.yield(struct{}{})
		} else {
			s.yieldNext = true
			s.next()
		}
		for len(n.zombies) > 0 {
			z := n.zombies[len(n.zombies)-1]
			n.zombies[len(n.zombies)-1] = nil
			n.zombies = n.zombies[:len(n.zombies)-1]
			go z.swap() // the coroutine ends on a goroutine of its own (see main)
		}
	}
	if self != nil && self.succ != nil {
		warmSuccessor(self) // while self works, the one likely to run after it comes into cache
	}
}

// newCoro makes g's coroutine; its body notes who it runs on and runs g.main.
func newCoro(g *gor) *coro {
	c := &coro{}
	c.next, _ = iter.Pull(func(yield func(struct{}) bool) {
		c.yield = yield
		g.self = callerNow()
		g.rtg = getg()
		g.main()
	})
	return c
}

// funcAddr is the address of f's closure record, the first line a call of f reads.
func funcAddr[F any](f F) uintptr { return *(*uintptr)(unsafe.Pointer(&f)) }

// main runs g's function and then hands the token on; a panic becomes the run's error.
// It starts and ends with mu locked, which the switches to and from it hand over.
func (g *gor) main() {
	n := g.n
	n.mu.Unlock()
	returned := false
	defer func() {
		if !returned {
			if r := recover(); r != nil {
				n.mu.Lock()
				if n.panicked == nil {
					n.panicked = fmt.Errorf("simnet: goroutine %d %q panicked: %v\n%s", g.id, g.name, r, debug.Stack())
				}
				n.mu.Unlock()
				returned = true // recovered: the coroutine returns normally
			}
			// else runtime.Goexit: Close ended it, or t.FailNow was called in it.
		}
		n.mu.Lock()
		g.state = gDone
		n.removeLiveLocked(g)
		n.cur = n.nextLocked()
		c := g.c
		g.c, g.slot = nil, nil
		if returned {
			// The body returns: its coroutine runs the goroutine parked in it, which
			// passes the token on to n.cur.
			return
		}
		// iter.Pull would re-raise a Goexit in the goroutine parked in c, if that one
		// called next. So g parks in c instead, which runs that goroutine as a swap
		// does; it passes the token on, and has a spare goroutine swap through c to let
		// g's Goexit go on (that one ends with the re-raised Goexit, or returns).
		n.zombies = append(n.zombies, c)
		c.swap()
		// Now on the spare goroutine's turn: the network is not g's to touch.
	}()
	g.fn()
	returned = true
}

func (n *Network) removeLiveLocked(g *gor) {
	last := n.live[len(n.live)-1]
	n.live[g.live] = last
	last.live = g.live
	n.live[len(n.live)-1] = nil
	n.live = n.live[:len(n.live)-1]
	g.fn = nil
}

// nextLocked processes events in (time, sequence) order until one resumes a goroutine,
// which it returns, or until the run must stop, when it returns nil (the driver).
func (n *Network) nextLocked() *gor {
	for {
		if n.panicked != nil {
			return nil
		}
		if o := &n.outside; o.interrupt.Load() || len(o.sleepers) > 0 {
			if n.pollLocked() {
				return nil
			}
		} else {
			o.events++ // what pollLocked counts
		}
		// The next event is the least of the three parts' heads (eventQueue.next, inline).
		q := &n.events
		var h *event
		src := inNone
		if q.fifo.n > 0 {
			h, src = &q.fifo.buf[q.fifo.head], inFIFO
		}
		if q.sorted.n > 0 {
			if s := &q.sorted.buf[q.sorted.n-1]; h == nil || s.before(h) {
				h, src = s, inSorted
			}
		}
		if q.lane.n > 0 {
			if l := &q.lane.buf[q.lane.head]; h == nil || l.before(h) {
				h, src = l, inLane
			}
		}
		if src == inNone {
			if n.limit == forever {
				n.runErr = n.deadlockLocked()
			} else if n.now < n.limit && !n.closed {
				n.setNowLocked(n.limit)
			}
			return nil
		}
		if h.at > n.limit {
			if n.now < n.limit {
				n.setNowLocked(n.limit)
			}
			return nil
		}
		var e event
		switch src {
		case inFIFO:
			e = q.fifo.take()
		case inSorted:
			e = q.sorted.take()
		default:
			e = q.lane.take()
		}
		// liveLocked's checks, by kind, then what the event does; a stale event must not
		// even move the clock.
		switch e.kind() {
		case evResume:
			g := e.g()
			if g.state == gBlocked && g.tok == e.tok {
				n.advanceLocked(e.at)
				g.state = gRunning
				return g
			}
			if g.state != gNew {
				continue
			}
			n.advanceLocked(e.at)
			if n.closed {
				g.state = gDone
				n.removeLiveLocked(g)
				continue
			}
			g.state = gRunning
			return g
		case evDeadline:
			g := e.g()
			if g.armed && g.armedAt == e.at {
				g.armed = false
			}
			if g.state != gBlocked || !g.hasUntil || g.until != e.at {
				continue
			}
			n.advanceLocked(e.at)
			g.state = gRunning
			return g
		case evLink:
			l := e.l()
			if n.closed || e.tok != l.tok {
				continue
			}
			n.advanceLocked(e.at)
			n.fireLinkLocked(l)
			if g := n.takeLoneWakeupLocked(); g != nil {
				return g
			}
		default:
			if !n.liveLocked(&e) {
				continue
			}
			n.advanceLocked(e.at)
			n.callLocked(e.fn())
		}
	}
}

// takeLoneWakeupLocked is the loop's next turn when a link has just woken a reader and
// nothing else is due: the wakeup is then the FIFO's only event and the next of the
// queue, and it is taken (and counted) here, with the checks that apply to it, as the
// loop would. Otherwise it returns nil and the loop goes on as usual.
func (n *Network) takeLoneWakeupLocked() *gor {
	q, o := &n.events, &n.outside
	f := &q.fifo
	if f.n != 1 || n.panicked != nil || o.interrupt.Load() || len(o.sleepers) > 0 {
		return nil
	}
	e := &f.buf[f.head]
	if e.kind() != evResume || q.sorted.n > 0 && q.sorted.head().at <= e.at || q.lane.n > 0 && q.lane.buf[q.lane.head].at <= e.at {
		return nil
	}
	g := e.g() // due now, so not past the run's limit
	if g.state != gBlocked || g.tok != e.tok {
		return nil
	}
	f.take()
	o.events++
	g.state = gRunning
	return g
}

// advanceLocked moves the clock to the time of the event being run, if later.
func (n *Network) advanceLocked(at time.Duration) {
	if at > n.now {
		n.setNowLocked(at)
	}
}

// liveLocked reports whether e still has something to do; wakeups for waits that have
// ended, superseded link timers, stopped AfterFunc timers and, after Close, faults and
// packets have not.
func (n *Network) liveLocked(e *event) bool {
	switch e.kind() {
	case evResume:
		return e.g().state == gNew || e.g().state == gBlocked && e.g().tok == e.tok
	case evDeadline:
		g := e.g()
		if g.armed && g.armedAt == e.at {
			g.armed = false
		}
		return g.state == gBlocked && g.hasUntil && g.until == e.at
	case evLink:
		return !n.closed && e.tok == e.l().tok
	case evFunc:
		return !n.closed
	case evTimer:
		_, pending := n.timers[e.tok]
		delete(n.timers, e.tok)
		return pending && !n.closed
	}
	return false
}

// callLocked runs a scheduled function without mu, so it may call any Network method;
// n.cur is nil meanwhile, so it cannot block. A panic in fn stops the run (Run re-raises
// it); so does runtime.Goexit (t.FailNow), which also ends whichever goroutine ran the
// loop, so mu must be left unlocked then.
func (n *Network) callLocked(fn func()) {
	n.cur = nil
	n.mu.Unlock()
	returned := false
	defer func() {
		if returned {
			return
		}
		r := recover()
		n.mu.Lock()
		if n.panicked == nil {
			if r != nil {
				n.panicked = fmt.Errorf("simnet: function scheduled with At, After or AfterFunc panicked: %v\n%s", r, debug.Stack())
			} else {
				n.panicked = errors.New("simnet: function scheduled with At, After or AfterFunc called runtime.Goexit (t.FailNow?)")
			}
		}
		if r == nil {
			n.mu.Unlock()
		}
	}()
	fn()
	returned = true
	n.mu.Lock()
}

// Run runs the network until nothing is left to run. If simulated goroutines are then
// still blocked, with nothing scheduled that could wake them, it returns a
// *DeadlockError naming each and what it waits on.
func (n *Network) Run() error { return n.run(forever) }

// RunFor runs the network for d of virtual time and leaves the clock at the end of that
// span. Goroutines blocked with nothing to wake them (a server waiting for requests) are
// not an error here: time simply passes; Blocked lists them.
func (n *Network) RunFor(d time.Duration) error {
	if d < 0 {
		return fmt.Errorf("simnet: RunFor(%v): the duration must be >= 0", d)
	}
	n.mu.Lock()
	at := n.now + d
	if at < n.now { // overflow
		at = forever - 1
	}
	n.mu.Unlock()
	return n.run(at)
}

// RunUntil runs the network until virtual time at (a duration since the start), like
// RunFor; a time already past runs only what is due now.
func (n *Network) RunUntil(at time.Duration) error { return n.run(min(at, forever-1)) }

// Blocked lists the simulated goroutines that are blocked, by ID, with what each waits on.
func (n *Network) Blocked() []GoroutineState {
	n.mu.Lock()
	defer n.mu.Unlock()
	if d, ok := n.deadlockLocked().(*DeadlockError); ok {
		return d.Goroutines
	}
	return nil
}

func (n *Network) run(limit time.Duration) error {
	if n.st != nil {
		return n.stRun(limit)
	}
	if err := n.checkCoopCaller(); err != nil {
		return err
	}
	n.mu.Lock()
	if n.running {
		n.mu.Unlock()
		return ErrRunning
	}
	if n.closed {
		n.mu.Unlock()
		return ErrNetworkClosed
	}
	if limit < n.now {
		limit = n.now
	}
	n.running = true
	n.limit = limit
	n.runErr = nil
	n.switchLocked(nil)
	n.running = false
	err, p := n.runErr, n.panicked
	if n.stray != nil {
		err = n.stray
	}
	n.panicked, n.stray = nil, nil // reported once; the network stays usable
	n.mu.Unlock()
	if p != nil {
		panic(p)
	}
	return err
}

// deadlockLocked reports the goroutines that are blocked although no event is pending.
func (n *Network) deadlockLocked() error {
	if len(n.live) == 0 || n.closed {
		return nil
	}
	d := &DeadlockError{At: n.now}
	for _, g := range n.live {
		if g.state != gBlocked {
			continue
		}
		d.Goroutines = append(d.Goroutines, GoroutineState{ID: g.id, Name: g.name, Waiting: n.describeWaitLocked(g)})
	}
	if len(d.Goroutines) == 0 {
		return nil
	}
	slices.SortFunc(d.Goroutines, func(a, b GoroutineState) int { return a.ID - b.ID })
	return d
}

func (n *Network) describeWaitLocked(g *gor) string {
	switch g.wait {
	case waitRead:
		s := "ReadFrom on " + g.waitConn.addr.String()
		if !g.hasUntil {
			return s + " (no deadline)"
		}
		return s + " (deadline " + formatVT(g.until) + ")"
	case waitSleep:
		return "Sleep until " + formatVT(g.until)
	}
	return "unknown"
}

// exitIfClosedLocked ends the calling simulated goroutine when the network was closed;
// Close relies on this so that every simulated goroutine ends without leaking.
func (n *Network) exitIfClosedLocked() {
	if n.closed {
		n.exitClosedLocked()
	}
}

func (n *Network) exitClosedLocked() {
	n.mu.Unlock()
	runtime.Goexit()
}
