package realnet

import (
	"context"
	"time"

	"github.com/benbjohnson/clock"

	"github.com/dist-example/dist-example/transport"
)

// Clock returns the wall clock, for app code running on real UDP, so app/ and simnet/
// never touch package time's globals. The proxy chooses the real clock itself when its
// Config.Clock is nil (realnet/proxy.New), to drive its precise delivery timers.
// It is a transport.ContextSleeper: a sender waiting for its next datagram stops as soon
// as its context ends.
func Clock() transport.Clock { return wallClock{clock.New()} }

// wallClock is the wall clock with SleepContext.
type wallClock struct{ clock.Clock }

var _ transport.ContextSleeper = wallClock{}

// SleepContext sleeps for d, or until ctx is done, when it returns ctx.Err().
func (c wallClock) SleepContext(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil || d <= 0 {
		return err
	}
	t := c.Timer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
