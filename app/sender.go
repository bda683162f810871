package app

import (
	"context"
	"errors"
	"net"
	"time"

	"github.com/dist-example/dist-example/transport"
)

// maxSleep bounds one Clock.Sleep, for a Clock that is not a transport.ContextSleeper, so
// that a cancelled context stops a slow sender soon.
const maxSleep = 250 * time.Millisecond

// Sender writes the numbers Start, Start+1, ... to Dst, one datagram each.
type Sender struct {
	Conn     transport.PacketConn
	Clock    transport.Clock
	Dst      net.Addr
	Interval time.Duration // datagram i is due at start + i*Interval; 0 sends as fast as it can
	Count    int64         // how many to send; 0 means until ctx is done or Conn is closed
	Start    int64         // the first number (numbers wrap past MaxInt64)
}

func (s *Sender) validate() error {
	switch {
	case s.Conn == nil:
		return errors.New("app: Sender.Conn is nil")
	case s.Clock == nil:
		return errors.New("app: Sender.Clock is nil")
	case s.Dst == nil:
		return errors.New("app: Sender.Dst is nil")
	case s.Interval < 0:
		return errors.New("app: Sender.Interval is negative (want >= 0)")
	case s.Count < 0:
		return errors.New("app: Sender.Count is negative (want >= 0, 0 = forever)")
	}
	return nil
}

// batchSize is how many datagrams an unpaced sender hands a transport.BatchWriter at once.
const batchSize = 64

// Run sends until Count datagrams are out, ctx is done or Conn is closed (all three end
// with a nil error), or a write fails. It paces from the clock without drift: a late
// datagram does not delay the ones after it. It blocks only in Clock.Sleep and
// Conn.WriteTo, so the simulator can run it on virtual time. With Interval 0 and a Conn
// that is a transport.BatchWriter, it writes batchSize datagrams per WriteBatchTo call
// instead, reading no clock at all.
func (s *Sender) Run(ctx context.Context) (sent int64, err error) {
	if err := s.validate(); err != nil {
		return 0, err
	}
	if bw, ok := s.Conn.(transport.BatchWriter); ok && s.Interval == 0 {
		return s.runBatched(ctx, bw)
	}
	buf := make([]byte, 0, maxNumberLen)
	start := paceFrom(s.Clock.Now())
	cs, _ := s.Clock.(transport.ContextSleeper)
	// A context whose Done is nil is never done (context.Background): no need to ask.
	cancellable := ctx.Done() != nil
	for ; s.Count == 0 || sent < s.Count; sent++ {
		if s.Interval > 0 && sent > 0 && !s.waitUntil(ctx, cancellable, cs, &start, time.Duration(sent)*s.Interval) {
			return sent, nil
		}
		if cancellable && ctx.Err() != nil {
			return sent, nil
		}
		// buf holds the previous number: counting up by one rewrites its last digits
		// (n > 0 after one: the previous is >= 0, and did not wrap).
		if n := s.Start + sent; sent == 0 || n <= 0 || !IncNumber(buf) {
			buf = AppendNumber(buf[:0], n)
		}
		if _, err := s.Conn.WriteTo(buf, s.Dst); err != nil {
			if errors.Is(err, net.ErrClosed) {
				return sent, nil
			}
			return sent, err
		}
	}
	return sent, nil
}

// runBatched sends as fast as the conn takes datagrams, batchSize per call.
func (s *Sender) runBatched(ctx context.Context, bw transport.BatchWriter) (sent int64, err error) {
	backing := make([]byte, batchSize*maxNumberLen)
	ps := make([][]byte, 0, batchSize)
	for (s.Count == 0 || sent < s.Count) && ctx.Err() == nil {
		k := int64(batchSize)
		if s.Count > 0 {
			k = min(k, s.Count-sent)
		}
		ps = ps[:0]
		for i := range k {
			slot := backing[i*maxNumberLen : i*maxNumberLen : (i+1)*maxNumberLen]
			ps = append(ps, AppendNumber(slot, s.Start+sent+i))
		}
		n, err := bw.WriteBatchTo(ps, s.Dst)
		sent += int64(n)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return sent, nil
			}
			return sent, err
		}
	}
	return sent, nil
}

// waitUntil sleeps until off after start, and reports false if ctx ended first. A Clock
// that is a transport.ContextSleeper (cs, nil if it is not) waits in one call, which ctx
// ends; any other is slept in steps of at most maxSleep, so a cancelled ctx stops the
// sender soon.
func (s *Sender) waitUntil(ctx context.Context, cancellable bool, cs transport.ContextSleeper, start *pace, off time.Duration) bool {
	for {
		if cancellable && ctx.Err() != nil {
			return false
		}
		d := start.until(off, s.Clock.Now())
		if d <= 0 {
			return true
		}
		if cs != nil {
			// It slept d of the clock's time, so due has come: no second look at
			// the clock (a datagram's worth of calls in a simulated run).
			return cs.SleepContext(ctx, d) == nil
		}
		s.Clock.Sleep(min(d, maxSleep))
	}
}

// until is start.Add(off).Sub(now), the time left until off after start.
func until(start time.Time, off time.Duration, now time.Time) time.Duration {
	p := paceFrom(start)
	return p.until(off, now)
}

// pace is a sender's start with what until needs of it read once per run.
type pace struct {
	start time.Time
	plain bool // start has no monotonic reading
	sec   int64
	nsec  int
}

func paceFrom(start time.Time) pace {
	return pace{start: start, plain: start == start.Round(0), sec: start.Unix(), nsec: start.Nanosecond()}
}

// until is start.Add(off).Sub(now). When start has no monotonic reading (a virtual
// clock's), neither has start.Add(off), so Sub takes the wall clocks whatever now holds;
// within 285 years of each other, and off >= 0, it is computed from their seconds and
// nanoseconds: the same number, without Sub's overflow check by a second Add (a tenth of
// a simulated datagram's cost).
func (p *pace) until(off time.Duration, now time.Time) time.Duration {
	if off >= 0 && p.plain {
		if ds := now.Unix() - p.sec; ds >= 0 && ds < 9e9 {
			elapsed := time.Duration(ds)*time.Second + time.Duration(now.Nanosecond()-p.nsec)
			if elapsed >= 0 { // in [0, 9e18]: off - elapsed cannot overflow
				return off - elapsed
			}
		}
	}
	return p.start.Add(off).Sub(now)
}
