package simnet

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/dist-example/dist-example/transport"
)

// ErrInterrupted is returned by Run, RunFor and RunUntil when Interrupt stopped them.
var ErrInterrupted = errors.New("simnet: run interrupted")

// outside is what the scheduler looks at once per event: an Interrupt from another
// goroutine (a signal handler), and the goroutines sleeping in SleepContext on a context
// that may end.
type outside struct {
	interrupt atomic.Bool // set by Interrupt, taken by the run that stops for it
	sleepers  []ctxSleeper
	events    uint64 // events the scheduler has looked at (Events)
}

var _ transport.ContextSleeper = (*Clock)(nil)

// ctxSleeper is a goroutine in SleepContext and the wait (its tok) the context may end.
type ctxSleeper struct {
	g   *gor
	tok uint64
	ctx context.Context
}

// Interrupt stops the run in progress at the current virtual time, before the next
// event, and makes it return ErrInterrupted; if no run is in progress, the next one
// returns ErrInterrupted at once. Nothing is lost: the events not yet run stay queued,
// and a later Run, RunFor or RunUntil goes on from there (a receiver can be closed and
// left to print its totals with RunUntil(Elapsed())). Interrupt may be called from any
// goroutine, a signal handler's included; it does not wait for the run to stop. It has
// no effect on a network in synctest mode (Config.Synctest), which runs on the bubble's
// clock.
func (n *Network) Interrupt() { n.outside.interrupt.Store(true) }

// Events returns how many events the scheduler has taken from its queue: the cost of a
// run in steps, whatever the virtual time it covered.
func (n *Network) Events() uint64 {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.outside.events
}

// pollLocked is the scheduler's look outside, once per event of its loop. It reports
// true when the run must stop for an Interrupt, and wakes the goroutines whose
// SleepContext context has ended. Within a run the wake-up comes at the first event
// after the cancellation, so a context cancelled by the simulation itself (a scheduled
// function) wakes its sleeper at the same virtual time in every replay.
func (n *Network) pollLocked() bool {
	o := &n.outside
	o.events++
	if o.interrupt.Load() {
		o.interrupt.Store(false)
		n.runErr = ErrInterrupted
		return true
	}
	for i := 0; i < len(o.sleepers); i++ {
		s := o.sleepers[i]
		if s.ctx.Err() == nil {
			continue
		}
		if s.g.state == gBlocked && s.g.tok == s.tok {
			n.wakeLocked(s.g)
		}
		o.sleepers[i] = o.sleepers[len(o.sleepers)-1]
		o.sleepers = o.sleepers[:len(o.sleepers)-1]
		i--
	}
	return false
}

// SleepContext is Sleep that also ends when ctx does: it blocks the calling simulated
// goroutine for d of virtual time, however long, as one event, and returns nil; if ctx
// ends first it returns at that virtual time with ctx.Err(). It implements
// transport.ContextSleeper, so app's Sender waits for a far-off datagram in one step
// instead of waking now and then to look at its context.
func (c *Clock) SleepContext(ctx context.Context, d time.Duration) error {
	n := c.n
	if n.st != nil {
		return n.stSleepContext(ctx, d)
	}
	if ctx.Done() == nil { // cannot end: a plain sleep
		c.Sleep(d)
		return nil
	}
	n.mu.Lock()
	g, err := n.holderLocked("Clock.SleepContext")
	if err != nil {
		n.mu.Unlock()
		if err == ErrNotSimulated {
			panic("simnet: Clock.SleepContext called outside a simulated goroutine (start it with Network.Go)")
		}
		panic(err)
	}
	n.exitIfClosedLocked()
	if err := ctx.Err(); err != nil || d <= 0 {
		n.mu.Unlock()
		return err
	}
	until := n.now + d
	if until < n.now {
		until = forever - 1
	}
	// blockLocked takes the next token; the sleeper is armed for that wait only.
	n.outside.sleepers = append(n.outside.sleepers, ctxSleeper{g: g, tok: g.tok + 1, ctx: ctx})
	n.blockLocked(g, waitSleep, nil, until, true)
	n.dropSleeperLocked(g)
	n.exitIfClosedLocked()
	early := n.now < until
	n.mu.Unlock()
	if early {
		return ctx.Err()
	}
	return nil
}

// dropSleeperLocked forgets g's SleepContext wait, if the context did not end it.
func (n *Network) dropSleeperLocked(g *gor) {
	o := &n.outside
	for i, s := range o.sleepers {
		if s.g == g {
			o.sleepers[i] = o.sleepers[len(o.sleepers)-1]
			o.sleepers = o.sleepers[:len(o.sleepers)-1]
			return
		}
	}
}
