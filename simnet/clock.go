package simnet

import (
	"time"

	"github.com/dist-example/dist-example/transport"
)

// Clock is a network's virtual clock: Now is Epoch plus the virtual time elapsed, and
// Sleep parks the calling simulated goroutine until the virtual time has passed.
type Clock struct {
	n *Network // read-only
}

var _ transport.Clock = (*Clock)(nil)

// Now returns Epoch plus the network's virtual time. It may be called from anywhere.
func (c *Clock) Now() time.Time {
	return Epoch.Add(c.n.Elapsed())
}

// Since returns the virtual time elapsed since t.
func (c *Clock) Since(t time.Time) time.Duration { return c.Now().Sub(t) }

// Sleep blocks the calling simulated goroutine for d of virtual time; d <= 0 returns at
// once. Called outside a simulated goroutine it panics, because nothing would ever
// advance the clock for it (use Network.RunFor from test code).
func (c *Clock) Sleep(d time.Duration) {
	n := c.n
	n.mu.Lock()
	g := n.cur
	if g == nil {
		n.mu.Unlock()
		panic("simnet: Clock.Sleep called outside a simulated goroutine (start it with Network.Go; test code advances time with Network.RunFor)")
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
