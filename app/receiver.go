package app

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"sync"
	"time"

	"github.com/dist-example/dist-example/transport"
)

// readBufSize is larger than any well-formed datagram. A datagram that fills the buffer
// may have been truncated (UDP reads cut a longer one short without saying so), and the
// part read could even parse ("000...0" of a longer "000...07"), so a full read counts as
// malformed.
const readBufSize = 2048

// logSampleLen bounds how much of a malformed datagram is logged.
const logSampleLen = 64

// logGap is the least time between two logged samples of malformed datagrams, so a
// flood of garbage with a short summary interval cannot flood the log.
const logGap = time.Second

// Receiver reads numbered datagrams from Conn, accounts for them, and reports a Summary
// every Interval of Clock time and once at the end.
//
// Its loop blocks only in Conn.ReadFrom, with the read deadline at the next summary
// time: no helper goroutine, channel or ticker, so the simulator can run it on virtual
// time. Closing Conn is how to stop it.
type Receiver struct {
	Conn      transport.PacketConn
	Clock     transport.Clock
	Interval  time.Duration // summary interval, > 0
	OnSummary func(Summary) // called from Run, each interval and once with Final; may be nil
	// Logf, if set, gets a sample of malformed datagrams: at most one per Interval and
	// one per second of Clock time, however many arrive.
	Logf func(format string, args ...any)

	mu   sync.Mutex
	acct Accounting // guarded by mu: Totals reads it from other goroutines
}

func (r *Receiver) validate() error {
	switch {
	case r.Conn == nil:
		return errors.New("app: Receiver.Conn is nil")
	case r.Clock == nil:
		return errors.New("app: Receiver.Clock is nil")
	case r.Interval <= 0:
		return errors.New("app: Receiver.Interval must be > 0")
	}
	return nil
}

// Run receives until Conn is closed or ctx is done (noticed at the next datagram or
// summary time), then reports the last partial interval and the Final totals and
// returns nil. Any other read error ends it the same way but is returned.
func (r *Receiver) Run(ctx context.Context) error {
	if err := r.validate(); err != nil {
		return err
	}
	buf := make([]byte, readBufSize)
	start := r.Clock.Now()
	ivStart, next := start, start.Add(r.Interval)
	if err := r.Conn.SetReadDeadline(next); err != nil {
		if errors.Is(err, net.ErrClosed) { // closed before it started: nothing to count
			return r.finish(ivStart, start, nil)
		}
		return err
	}
	read := readerOf(r.Conn)
	var sampler logSampler
	cancellable := ctx.Done() != nil // nil: never done, no need to ask
	for !cancellable || ctx.Err() == nil {
		n, src, err := read(buf)
		malformed := false
		switch {
		case err == nil && n == len(buf):
			r.mu.Lock()
			r.acct.Malformed()
			r.mu.Unlock()
			malformed = true
		case err == nil:
			r.mu.Lock()
			malformed = r.acct.Observe(src, buf[:n]) == ClassMalformed
			r.mu.Unlock()
		case errors.Is(err, os.ErrDeadlineExceeded):
		case errors.Is(err, net.ErrClosed):
			return r.finish(ivStart, start, nil)
		default:
			return r.finish(ivStart, start, err)
		}
		now := r.Clock.Now()
		if malformed && r.Logf != nil {
			sampler.malformed(r, now, src, buf[:n])
		}
		if now.Before(next) {
			continue
		}
		for !now.Before(next) {
			r.report(ivStart, next)
			ivStart, next = next, next.Add(r.Interval)
		}
		sampler.ivLogged = false
		if err := r.Conn.SetReadDeadline(next); err != nil {
			if errors.Is(err, net.ErrClosed) { // closed between two reads: a normal stop
				err = nil
			}
			return r.finish(ivStart, start, err)
		}
	}
	return r.finish(ivStart, start, nil)
}

// logSampler logs the first malformed datagram of an interval, if logGap has passed
// since the previous sample, and says how many went unlogged in between.
type logSampler struct {
	quietUntil time.Time // no sample before this time
	ivLogged   bool      // a sample was logged this interval
	skipped    int64     // malformed datagrams not logged since the previous sample
}

func (l *logSampler) malformed(r *Receiver, now time.Time, src netip.AddrPort, p []byte) {
	if l.ivLogged || now.Before(l.quietUntil) {
		l.skipped++
		return
	}
	r.Logf("malformed datagram from %v (%d bytes): %q (a sample: at most one per interval and per %v; %d not shown since the previous)",
		src, len(p), p[:min(len(p), logSampleLen)], logGap, l.skipped)
	l.ivLogged, l.skipped, l.quietUntil = true, 0, now.Add(logGap)
}

// report ends the interval [from, to).
func (r *Receiver) report(from, to time.Time) {
	r.mu.Lock()
	c := r.acct.Cut()
	t := r.acct.Totals()
	srcs, more := r.acct.BySource()
	r.mu.Unlock()
	if r.OnSummary != nil {
		r.OnSummary(Summary{Start: from, End: to, Counts: c, Totals: t, StreamCount: len(srcs) + int(more)})
	}
}

// finish reports the partial last interval and the totals of the run since start.
func (r *Receiver) finish(ivStart, start time.Time, err error) error {
	now := r.Clock.Now()
	r.mu.Lock()
	r.acct.Finish() // the numbers still awaited in the windows are lost now
	r.mu.Unlock()
	r.report(ivStart, now)
	r.mu.Lock()
	t := r.acct.Totals()
	srcs, more := r.acct.BySource()
	r.mu.Unlock()
	if r.OnSummary != nil {
		final := Summary{Start: start, End: now, Counts: t, Totals: t, Final: true, StreamCount: len(srcs) + int(more)}
		if len(srcs) > 1 {
			final.Streams = srcs
		}
		r.OnSummary(final)
	}
	return err
}

// Totals returns the running totals (after Run returns, the final ones). It is safe to
// call from any goroutine while Run runs.
func (r *Receiver) Totals() Counts {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.acct.Totals()
}

// addrPortReader is implemented by *net.UDPConn: reading the source as a value saves an
// allocation per datagram, which matters at hundreds of thousands a second.
type addrPortReader interface {
	ReadFromUDPAddrPort(b []byte) (n int, addr netip.AddrPort, err error)
}

// readerOf returns the cheapest way to read a datagram and its source from c.
func readerOf(c transport.PacketConn) func([]byte) (int, netip.AddrPort, error) {
	if fast, ok := c.(addrPortReader); ok {
		return func(b []byte) (int, netip.AddrPort, error) {
			n, ap, err := fast.ReadFromUDPAddrPort(b)
			if a := ap.Addr(); a.Is4In6() { // only these change: no rebuild of the others
				ap = netip.AddrPortFrom(a.Unmap(), ap.Port())
			}
			return n, ap, err
		}
	}
	return func(b []byte) (int, netip.AddrPort, error) {
		n, from, err := c.ReadFrom(b)
		return n, sourceOf(from), err
	}
}

// sourceOf turns a sender's address into the key streams are tracked by, without
// allocating for *net.UDPAddr and any address with an AddrPort method.
func sourceOf(a net.Addr) netip.AddrPort {
	switch a := a.(type) {
	case interface{ AddrPort() netip.AddrPort }:
		ap := a.AddrPort()
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	case nil:
		return netip.AddrPort{}
	}
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil {
		return netip.AddrPort{} // addresses we cannot parse share one stream
	}
	return ap
}
