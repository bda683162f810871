package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/dist-example/dist-example/transport"
)

// PingDupWindow is how many recent sequence numbers the pinger remembers to tell a
// duplicate reply from a first one (a 65536-bit table, 8 KiB, as ping keeps). A reply
// for a probe sent more than PingDupWindow probes ago is counted as Unknown.
const PingDupWindow = 1 << 16

// pingReadBuf is large enough for any UDP payload, so a reply is never truncated.
const pingReadBuf = 1 << 16

// PingConfig configures Ping. Conn, Clock and Dest are required.
type PingConfig struct {
	Conn  transport.PacketConn
	Clock transport.Clock
	Dest  net.Addr // the echo server

	Interval time.Duration // between probe sends; > 0
	Count    uint64        // probes to send; 0 sends until Conn is closed or ctx is done
	Size     int           // bytes per probe, PingHeaderLen..PingMaxSize
	Timeout  time.Duration // how long to wait for replies after the last probe; > 0

	// OnProbe, if set, is called after each send with the probe's sequence number, its
	// send time (from the pinger's start) and the WriteTo error, if any.
	OnProbe func(seq uint64, sent time.Duration, err error)
	// OnReply, if set, is called for every valid reply, duplicates included.
	OnReply func(PingReply)
}

// PingReply describes one valid reply, for per-reply output and plots.
type PingReply struct {
	Seq       uint64
	Bytes     int      // datagram length
	From      net.Addr // the sender of the reply
	Sent      time.Duration
	At        time.Duration // arrival, like Sent measured from the pinger's start
	RTT       time.Duration // At - Sent
	Duplicate bool          // the probe had been answered before; not in the RTT stats
	Reordered bool          // first reply with a sequence below the highest answered before
}

func (c *PingConfig) validate() error {
	switch {
	case c.Conn == nil:
		return errors.New("app: ping: no Conn")
	case c.Clock == nil:
		return errors.New("app: ping: no Clock")
	case c.Dest == nil:
		return errors.New("app: ping: no Dest address")
	case c.Interval <= 0:
		return fmt.Errorf("app: ping: Interval %v; want > 0", c.Interval)
	case c.Size < PingHeaderLen || c.Size > PingMaxSize:
		return fmt.Errorf("app: ping: Size %d; want %d..%d bytes", c.Size, PingHeaderLen, PingMaxSize)
	case c.Timeout <= 0:
		return fmt.Errorf("app: ping: Timeout %v; want > 0", c.Timeout)
	}
	return nil
}

// pinger is the state of one Ping run. Only its own loop touches it.
type pinger struct {
	cfg   PingConfig
	start time.Time
	stats PingStats

	sent     uint64        // probes sent; the next sequence number
	base     time.Duration // probe i is due at base + i*Interval
	lastSent time.Duration
	highest  uint64 // highest sequence answered; valid when stats.Received > 0
	seen     [PingDupWindow / 64]uint64
}

// Ping sends Count probes (or, with Count 0, probes until stopped) to Dest, one every
// Interval, and matches the echoed replies. It returns when every probe has been
// answered, or Timeout after the last probe, or when Conn is closed or ctx is done (both
// with a nil error: they are how a caller stops an endless run; closing the conn wakes a
// blocked read at once, ctx is noticed at the next send time or reply), or on another
// read error.
//
// The stats are returned in every case. Probes still unanswered count as lost.
//
// It is one loop with no goroutines, channels or timers, so it runs unchanged as a
// simulated goroutine: it blocks only in Conn.ReadFrom, with a read deadline at the next
// send time. Probe i is due at start + i*Interval, so the schedule does not drift; if
// the loop falls more than an Interval behind (a stalled process), the schedule restarts
// from now rather than sending the missed probes in a burst. The send time travels in the
// probe, so RTT = Clock.Now() at receipt - send time, with nothing stored per probe.
//
// Malformed replies, replies from other addresses and replies for unknown sequence
// numbers are counted in the stats and otherwise ignored.
func Ping(ctx context.Context, cfg PingConfig) (PingStats, error) {
	if err := cfg.validate(); err != nil {
		return PingStats{}, err
	}
	p := &pinger{cfg: cfg, start: cfg.Clock.Now()}
	err := p.run(ctx)
	return p.stats, err
}

func (p *pinger) now() time.Duration { return p.cfg.Clock.Now().Sub(p.start) }

func (p *pinger) more() bool { return p.cfg.Count == 0 || p.sent < p.cfg.Count }

func (p *pinger) due() time.Duration { return p.base + time.Duration(p.sent)*p.cfg.Interval }

func (p *pinger) run(ctx context.Context) error {
	probe := make([]byte, 0, p.cfg.Size)
	buf := make([]byte, pingReadBuf)
	for ctx.Err() == nil {
		now := p.now()
		var deadline time.Duration
		switch {
		case p.more() && now >= p.due():
			var closed bool
			if probe, closed = p.send(probe[:0], now); closed {
				return nil
			}
			continue
		case p.more():
			deadline = p.due()
		case p.stats.Received >= p.sent:
			return nil // everything answered: no reason to wait out the timeout
		default:
			deadline = p.lastSent + p.cfg.Timeout
			if now >= deadline {
				return nil
			}
		}
		if err := p.cfg.Conn.SetReadDeadline(p.start.Add(deadline)); err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			return fmt.Errorf("app: ping: set read deadline: %w", err)
		}
		n, from, err := p.cfg.Conn.ReadFrom(buf)
		switch {
		case errors.Is(err, os.ErrDeadlineExceeded):
			continue
		case errors.Is(err, net.ErrClosed):
			return nil
		case err != nil:
			return fmt.Errorf("app: ping: read: %w", err)
		}
		p.receive(buf[:n], from, p.now())
	}
	return nil
}

// send sends the next probe and reports whether the conn was closed, the one send error
// that ends the run; other send errors are counted and the run goes on, as ping's does.
func (p *pinger) send(probe []byte, now time.Duration) (_ []byte, closed bool) {
	if late := now - p.due(); late > p.cfg.Interval {
		p.base += late // restart the schedule from now: no catch-up burst
	}
	seq := p.sent
	probe, err := AppendPingProbe(probe, PingProbe{Seq: seq, Sent: now}, p.cfg.Size)
	if err != nil {
		panic(err) // unreachable: Size was validated by Ping
	}
	_, err = p.cfg.Conn.WriteTo(probe, p.cfg.Dest)
	if errors.Is(err, net.ErrClosed) {
		return probe, true
	}
	p.seen[(seq%PingDupWindow)/64] &^= 1 << (seq % 64)
	p.sent++
	p.lastSent = now
	p.stats.Transmitted++
	if err != nil {
		p.stats.SendErrors++
	}
	if p.cfg.OnProbe != nil {
		p.cfg.OnProbe(seq, now, err)
	}
	return probe, false
}

// receive accounts for one datagram that arrived at time at.
func (p *pinger) receive(b []byte, from net.Addr, at time.Duration) {
	if !pingSameAddr(from, p.cfg.Dest) {
		p.stats.Foreign++
		return
	}
	pr, err := ParsePingProbe(b)
	if err != nil || pr.Sent < 0 || pr.Sent > at {
		p.stats.Malformed++
		return
	}
	if pr.Seq >= p.sent || p.sent-pr.Seq > PingDupWindow {
		p.stats.Unknown++
		return
	}
	r := PingReply{Seq: pr.Seq, Bytes: len(b), From: from, Sent: pr.Sent, At: at, RTT: at - pr.Sent}
	word, bit := &p.seen[(pr.Seq%PingDupWindow)/64], uint64(1)<<(pr.Seq%64)
	if *word&bit != 0 {
		r.Duplicate = true
		p.stats.Duplicates++
	} else {
		*word |= bit
		r.Reordered = p.stats.Received > 0 && pr.Seq < p.highest
		if r.Reordered {
			p.stats.Reordered++
		}
		if p.stats.Received == 0 || pr.Seq > p.highest {
			p.highest = pr.Seq
		}
		p.stats.Received++
		p.stats.RTT.Add(r.RTT)
	}
	if p.cfg.OnReply != nil {
		p.cfg.OnReply(r)
	}
}

// pingSameAddr reports whether a reply from "from" comes from dest. UDP addresses compare
// by IP (an IPv4 address equals its IPv4-in-IPv6 form) and port; a destination with an
// unspecified IP, such as ":2346", accepts any IP on its port, since the reply then
// comes from whichever local address answered.
func pingSameAddr(from, dest net.Addr) bool {
	if from == nil {
		return false
	}
	fu, ok1 := from.(*net.UDPAddr)
	du, ok2 := dest.(*net.UDPAddr)
	if ok1 && ok2 {
		if fu.Port != du.Port {
			return false
		}
		return du.IP == nil || du.IP.IsUnspecified() || fu.IP.Equal(du.IP)
	}
	return from.Network() == dest.Network() && from.String() == dest.String()
}
