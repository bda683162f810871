package simnet

import (
	"errors"
	"net"
	"strings"
	"time"
)

// Sentinel errors. Conn errors are *net.OpError values wrapping these (or
// os.ErrDeadlineExceeded and net.ErrClosed, as package net does), so errors.Is works.
var (
	ErrAddrInUse     = errors.New("simnet: address already in use")
	ErrNoFreePort    = errors.New("simnet: no free ephemeral port")
	ErrTooLarge      = errors.New("simnet: message too long (a UDP payload is at most 65507 bytes)")
	ErrUnknownHost   = errors.New("simnet: unknown host")
	ErrHostDown      = errors.New("simnet: host is down")
	ErrNetworkClosed = errors.New("simnet: network closed")
	ErrRunning       = errors.New("simnet: the network is already running (Run called from a simulated goroutine or concurrently)")
	ErrNotSimulated  = errors.New("simnet: blocking call outside a simulated goroutine (start it with Network.Go; nothing would wake it)")
	ErrBadAddr       = errors.New("simnet: bad destination address")
	// ErrStray: a blocking call (Conn.ReadFrom, Clock.Sleep) from a goroutine that
	// Network.Go did not start, such as one a simulated goroutine started with a plain
	// go statement, while a simulated goroutine runs. Such a call cannot be simulated
	// (nothing would know to wake that goroutine); Sleep panics with it, ReadFrom returns
	// it, and Run returns it too.
	ErrStray = errors.New("simnet: blocking call from a goroutine not started by Network.Go (a plain go statement in a simulated goroutine?)")
)

// closedError is what a conn's operations fail with once the conn is closed: net.ErrClosed
// itself for Close, or a crash, which also matches ErrHostDown.
type closedError struct{ crash bool }

var (
	errClosed = &closedError{}
	errCrash  = &closedError{crash: true}
)

func (e *closedError) Error() string {
	if e.crash {
		return net.ErrClosed.Error() + " (host crashed)"
	}
	return net.ErrClosed.Error()
}

func (e *closedError) Is(target error) bool {
	return target == net.ErrClosed || (e.crash && target == ErrHostDown)
}

// DeadlockError reports that simulated goroutines are blocked and nothing is scheduled
// that could ever wake them.
type DeadlockError struct {
	At         time.Duration    // virtual time of the deadlock
	Goroutines []GoroutineState // the blocked goroutines, by ID
}

// GoroutineState describes one blocked simulated goroutine.
type GoroutineState struct {
	ID      int    // in order of Network.Go calls, from 1
	Name    string // as given to Network.Go
	Waiting string // what it waits on, e.g. "ReadFrom on 10.0.0.2:9 (no deadline)"
}

func (e *DeadlockError) Error() string {
	var b strings.Builder
	b.WriteString("simnet: deadlock at ")
	b.WriteString(formatVT(e.At))
	b.WriteString(": every simulated goroutine is blocked and nothing is scheduled:")
	for _, g := range e.Goroutines {
		b.WriteString("\n\tgoroutine ")
		b.WriteString(itoa(g.ID))
		b.WriteString(" \"")
		b.WriteString(g.Name)
		b.WriteString("\": ")
		b.WriteString(g.Waiting)
	}
	return b.String()
}
