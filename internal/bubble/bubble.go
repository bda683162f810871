// Package bubble is the clock of a testing/synctest bubble, as simnet's synctest mode uses it.
//
// Inside a bubble, package time's functions read and wait on the bubble's fake clock: time
// starts at midnight UTC 2000-01-01 and advances only when every goroutine of the bubble is
// durably blocked. simnet's synctest mode (simnet.Config.Synctest) keeps its virtual time on
// that clock, and this package is the one place it reaches package time. Nothing here reads
// the real clock when used as intended: simnet calls these functions only after checking
// that the caller is inside the network's bubble (New refuses Synctest outside a bubble, and
// every later call from outside it panics), so simnet, app and transport keep their rule of
// no real time in simulated code.
package bubble

import "time"

// Now is the bubble's current time.
func Now() time.Time { return time.Now() }

// Since is the bubble's time elapsed since t.
func Since(t time.Time) time.Duration { return time.Since(t) }

// Sleep waits d on the bubble's clock.
func Sleep(d time.Duration) { time.Sleep(d) }

// AfterFunc runs f in its own goroutine after d on the bubble's clock.
func AfterFunc(d time.Duration, f func()) *time.Timer { return time.AfterFunc(d, f) }

// NewTimer is a timer on the bubble's clock.
func NewTimer(d time.Duration) *time.Timer { return time.NewTimer(d) }
