//go:build !linux

package proxy

import "time"

// preciseWaiter exists on Linux only; elsewhere the loops sleep on Go's timers.
type preciseWaiter struct{ clockWaiter }

func newPreciseWaiter(now func() time.Duration, realtime bool) *preciseWaiter { return nil }
