package proxy

import (
	"errors"
	"net"
	"net/netip"
	"os"
	"sync/atomic"
	"time"

	"github.com/dist-example/dist-example/realnet"
	"github.com/dist-example/dist-example/simnet/netem"
)

// session is one client: its own upstream socket, so the upstream's replies to that
// socket can only be for this client and find their way back to it.
type session struct {
	client     netip.AddrPort // read-only
	clientAddr *net.UDPAddr   // read-only: client, as batched writes take it
	conn       *net.UDPConn   // read-only: connected to the upstream
	up         batchConn      // read-only: conn's, for batched writes
	overhead   int            // read-only: IP+UDP header bytes toward the upstream
	upLoopback bool           // read-only: the upstream is a loopback address

	lastActive atomic.Int64 // nanoseconds since the proxy started, of the last datagram read or written either way
	inflight   atomic.Int64 // copies of this session's datagrams queued in either link or being written
}

// touch records activity at now. Readers and both direction loops touch a session from
// different goroutines, so it only moves forward: a loop that read its clock a little
// earlier cannot make the session look idler than a reader just found it.
func (s *session) touch(now time.Duration) {
	for {
		old := s.lastActive.Load()
		if int64(now) <= old || s.lastActive.CompareAndSwap(old, int64(now)) {
			return
		}
	}
}

// ipUDPOverhead is what the rate limiter charges on top of a payload: the UDP header and
// the IP header of the family the datagram travels on (link-layer framing is left to the
// profile's own overhead argument, as tc's rate does).
func ipUDPOverhead(a netip.Addr) int {
	if a.Is4() || a.Is4In6() {
		return 20 + 8
	}
	return 40 + 8
}

// lookup returns the client's session, opening one if there is room. It runs only on
// the listen reader, the one goroutine that creates and expires sessions.
func (p *Proxy) lookup(client netip.AddrPort, now time.Duration) *session {
	p.sessMu.Lock()
	s := p.sessions[client]
	full := len(p.sessions) >= p.cfg.MaxSessions
	closed := p.closed
	p.sessMu.Unlock()
	if s != nil {
		return s
	}
	if closed || full {
		p.sessRejected.Add(1)
		return nil
	}
	conn, err := net.DialUDP("udp", nil, p.upstream)
	if err != nil { // out of descriptors or ports: drop this datagram, keep serving others
		p.sessRejected.Add(1)
		return nil
	}
	if p.cfg.ReadBuffer > 0 {
		_, _ = realnet.SetReadBuffer(conn, p.cfg.ReadBuffer) // best effort; the kernel may cap it
	}
	s = &session{client: client, clientAddr: net.UDPAddrFromAddrPort(client), conn: conn,
		up: newBatchConn(conn), overhead: p.upOverhead, upLoopback: p.upstream.IP.IsLoopback()}
	s.lastActive.Store(int64(now))

	p.sessMu.Lock()
	if p.closed {
		p.sessMu.Unlock()
		conn.Close()
		p.sessRejected.Add(1)
		return nil
	}
	p.sessions[client] = s
	p.sessOpened++ // with the table, so a snapshot always finds Opened = Active + Expired
	p.wg.Add(1)
	p.sessMu.Unlock()
	go p.readUpstream(s)
	return s
}

// sweep closes sessions idle for IdleTimeout with nothing queued; closing the socket ends
// the session's reader. After Close the table is left as it was: it is the final count.
func (p *Proxy) sweep(now time.Duration) {
	var idle []*session
	p.sessMu.Lock()
	if p.closed {
		p.sessMu.Unlock()
		return
	}
	for k, s := range p.sessions {
		if s.inflight.Load() == 0 && now-time.Duration(s.lastActive.Load()) >= p.cfg.IdleTimeout {
			delete(p.sessions, k)
			p.sessExpired++
			idle = append(idle, s)
		}
	}
	p.sessMu.Unlock()
	for _, s := range idle {
		s.conn.Close()
	}
}

// sweepEvery is how often the listen reader looks for idle sessions: a session expires
// between IdleTimeout and IdleTimeout+sweepEvery after its last datagram.
func (p *Proxy) sweepEvery() time.Duration {
	return min(max(p.cfg.IdleTimeout/4, 10*time.Millisecond), 5*time.Second)
}

// readClients relays datagrams from clients into the forward link, and expires idle
// sessions between reads (a read deadline wakes it when no traffic comes). Where the
// platform allows, one system call reads a burst of datagrams.
func (p *Proxy) readClients() {
	defer p.wg.Done()
	fwd := p.dirs[Forward]
	every := p.sweepEvery()
	nextSweep := p.now() + every
	_ = p.listen.SetReadDeadline(time.Now().Add(every)) // sockets run on the wall clock, whatever drives the links

	var buf []byte
	var rcv *reader
	if batching {
		rcv = newReader(p.listen)
	} else {
		buf = make([]byte, maxDatagram)
	}
	in := make([]inbound, 0, maxReadBatch)
	var scratch []netem.Packet[*session]
	var last *session // the session of the latest datagram: a burst mostly comes from one client
	for {
		var n int
		var err error
		var from netip.AddrPort
		if rcv != nil {
			n, err = rcv.read()
		} else {
			var size int
			size, from, err = p.listen.ReadFromUDPAddrPort(buf)
			n = 1
			buf = buf[:cap(buf)]
			if err == nil {
				buf = buf[:size]
			}
		}
		now := p.now()
		expired := errors.Is(err, os.ErrDeadlineExceeded)
		swept := now >= nextSweep
		if swept {
			p.sweep(now)
			nextSweep = now + every
			last = nil // it may have expired
		}
		if swept || expired {
			// Sockets run on the wall clock, whatever drives the links: re-armed whenever
			// it fired too, as a past deadline fails every read before it looks for data
			// (with a clock that lags the wall, no sweep may be due yet).
			_ = p.listen.SetReadDeadline(time.Now().Add(every))
		}
		if err != nil {
			switch {
			case errors.Is(err, net.ErrClosed):
				return
			case expired:
			default: // e.g. ICMP errors surfacing on the socket: count, keep serving
				fwd.readErrors.Add(1)
			}
			continue
		}
		in = in[:0]
		rejected := 0
		for i := range n {
			data := buf
			if rcv != nil {
				data, from = rcv.datagram(i)
			}
			s := last
			if s == nil || s.client != from {
				s = p.lookup(from, now)
			}
			if s == nil {
				rejected++
				continue
			}
			last = s
			s.touch(now)
			in = append(in, inbound{s: s, data: data, overhead: s.overhead})
		}
		scratch = fwd.enqueue(in, rejected, scratch)
		clear(in) // let the sessions go
	}
}

// readUpstream relays the upstream's replies for one session into the reverse link.
func (p *Proxy) readUpstream(s *session) {
	defer p.wg.Done()
	rev := p.dirs[Reverse]
	buf := make([]byte, maxDatagram)
	overhead := ipUDPOverhead(s.client.Addr())
	in := make([]inbound, 1)
	var scratch []netem.Packet[*session]
	for {
		n, err := s.conn.Read(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// A connected socket reports an earlier ICMP port unreachable as
			// ECONNREFUSED once; the upstream may come back, so keep reading.
			rev.readErrors.Add(1)
			continue
		}
		now := p.now()
		s.touch(now)
		in[0] = inbound{s: s, data: buf[:n], overhead: overhead}
		scratch = rev.enqueue(in, 0, scratch)
	}
}
