package transport_test

import (
	"testing"
	"time"

	"github.com/benbjohnson/clock"

	"github.com/dist-example/dist-example/transport"
)

// Compile-time checks: benbjohnson/clock's real and mock clocks are transport.Clocks.
var (
	_ transport.Clock = clock.New()
	_ transport.Clock = (*clock.Mock)(nil)
)

func TestClocksSatisfyClock(t *testing.T) {
	var c transport.Clock = clock.New()
	if c.Now().IsZero() {
		t.Fatal("real clock reports the zero time")
	}
	m := clock.NewMock()
	c = m
	start := c.Now()
	m.Add(time.Second)
	if got := c.Now().Sub(start); got != time.Second {
		t.Fatalf("mock clock advanced %v, want 1s", got)
	}
}
