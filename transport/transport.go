// Package transport holds the two small interfaces the application code is written
// against: PacketConn, the part of net.PacketConn that app calls, and Clock, the part of
// package time it uses. Real UDP (package realnet) and the simulator (package simnet)
// both satisfy them, so the same sender and receiver run on either network.
//
// Keep both interfaces small: every method added here is a method every network, the
// simulator included, must implement.
package transport

import (
	"context"
	"net"
	"time"
)

// PacketConn is the subset of net.PacketConn the application uses. *net.UDPConn satisfies
// it with no wrapper, and so does *simnet.Conn.
//
// Semantics are UDP's, as net.PacketConn documents them:
//   - ReadFrom returns one datagram per call; a buffer shorter than the datagram gets its
//     first len(p) bytes and the rest is discarded.
//   - WriteTo sends p as one datagram (a zero-length datagram is legal).
//   - After the read deadline passes, ReadFrom fails with an error for which
//     errors.Is(err, os.ErrDeadlineExceeded) is true; a zero time clears the deadline.
//   - After Close, ReadFrom and WriteTo fail with an error for which
//     errors.Is(err, net.ErrClosed) is true, and a ReadFrom blocked at that moment returns.
//   - Methods are safe for concurrent use.
type PacketConn interface {
	ReadFrom(p []byte) (n int, addr net.Addr, err error)
	WriteTo(p []byte, addr net.Addr) (n int, err error)
	SetReadDeadline(t time.Time) error
	LocalAddr() net.Addr
	Close() error
}

// BatchWriter is optionally implemented by a PacketConn that can send several datagrams
// in one system call (sendmmsg on Linux; realnet.BatchConn). A sender with several
// datagrams due at once uses it when the conn has it and WriteTo when not, so a network
// need not implement it (the simulator does not).
type BatchWriter interface {
	// WriteBatchTo sends each of ps as one datagram to addr, in order, and returns how
	// many were sent: len(ps), or fewer with a non-nil error (net.ErrClosed after Close,
	// as WriteTo). It need not be safe for concurrent use with itself.
	WriteBatchTo(ps [][]byte, addr net.Addr) (n int, err error)
}

// ContextSleeper is optionally implemented by a Clock whose sleep can end early, when a
// context does (the simulator's clock and realnet's wall clock do). A sender waiting for
// a datagram due far ahead then waits in one call, which cancellation ends; with a Clock
// that lacks it, the sender wakes every 250ms of the clock's time to look at its
// context, which in virtual time costs an event each, however idle the run.
type ContextSleeper interface {
	// SleepContext blocks for d of the clock's time and returns nil, or returns
	// ctx.Err() as soon as ctx is done (at once if it already is); d <= 0 returns at once.
	SleepContext(ctx context.Context, d time.Duration) error
}

// Clock is the part of package time the application uses. clock.New() and *clock.Mock from
// github.com/benbjohnson/clock satisfy it, and so does the simulator's virtual clock.
// The application reads time only through a Clock, never through package time's globals,
// so that under the simulator it runs on virtual time.
type Clock interface {
	// Now returns the current time of this clock.
	Now() time.Time
	// Sleep blocks the caller for d of this clock's time; d <= 0 returns at once.
	Sleep(d time.Duration)
}

// Compile-time checks that the real types satisfy the interfaces with no wrapper.
var _ PacketConn = (*net.UDPConn)(nil)
