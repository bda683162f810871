package simnet

import (
	"io"
	"net/netip"
	"strconv"
	"time"

	"github.com/dist-example/dist-example/simnet/netem"
)

// tracer turns what the network does into Events and hands each to the text trace
// (Config.Trace) and the observer (Config.Observe), whichever are set. Events hold only
// virtual times, addresses, names, per-link sequence numbers and sizes, never pointers
// or map order, so two runs with the same seed produce identical events and traces. A
// nil *tracer does nothing; the network has one only when something listens.
type tracer struct {
	w       io.Writer
	observe func(Event)
	buf     []byte
}

// formatVT prints a virtual time as hh:mm:ss.nnnnnnnnn (hours keep counting past 24).
func formatVT(d time.Duration) string { return string(appendVT(nil, d)) }

func appendVT(b []byte, d time.Duration) []byte {
	if d < 0 {
		b = append(b, '-')
		d = -d
	}
	ns := int64(d)
	sec := ns / 1e9
	b = appendPad(b, sec/3600, 2)
	b = append(b, ':')
	b = appendPad(b, sec/60%60, 2)
	b = append(b, ':')
	b = appendPad(b, sec%60, 2)
	b = append(b, '.')
	return appendPad(b, ns%1e9, 9)
}

func appendPad(b []byte, v int64, width int) []byte {
	var tmp [20]byte
	s := strconv.AppendInt(tmp[:0], v, 10)
	for i := len(s); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, s...)
}

func itoa(i int) string { return strconv.Itoa(i) }

func (t *tracer) emit(ev *Event) {
	if t.w != nil {
		t.buf = append(ev.AppendText(t.buf[:0]), '\n')
		_, _ = t.w.Write(t.buf) // a failing trace writer must not change the simulation
	}
	if t.observe != nil {
		t.observe(*ev) // a copy: the observer cannot reach the network's state
	}
}

// linkEvent describes copy p on link l.
func linkEvent(now time.Duration, l *link, kind EventKind, p *netem.Packet[meta]) Event {
	return Event{At: now, Kind: kind, Src: l.src.addr, Dst: l.dst.addr, SrcHost: l.src.name, DstHost: l.dst.name,
		Port: p.Meta.dstPort, Seq: p.Seq, Len: len(p.Data), Dup: p.Duplicate, Corrupt: p.Corrupted, Reordered: p.Reordered}
}

// netemEvent reports what the netem link decided at enqueue time.
func (t *tracer) netemEvent(now time.Duration, l *link, kind netem.EventKind, p *netem.Packet[meta]) {
	var k EventKind
	switch kind {
	case netem.EvEnqueue:
		k = EvQueued
	case netem.EvLost:
		k = EvLost
	case netem.EvLimitDrop:
		k = EvLimit
	default:
		return // departures are reported on arrival, with their fate
	}
	ev := linkEvent(now, l, k, p)
	if k == EvQueued {
		ev.Due = p.Due
	}
	t.emit(&ev)
}

// arrive reports a copy that left its link: EvDeliver, EvNoPort, EvHostDown or EvRecvBuf.
func (t *tracer) arrive(now time.Duration, l *link, p *netem.Packet[meta], kind EventKind) {
	if t == nil {
		return
	}
	ev := linkEvent(now, l, kind, p)
	t.emit(&ev)
}

// drop reports a datagram refused before its link: EvPartition or EvDown.
func (t *tracer) drop(now time.Duration, l *link, size int, port uint16, kind EventKind) {
	if t == nil {
		return
	}
	ev := Event{At: now, Kind: kind, Src: l.src.addr, Dst: l.dst.addr, SrcHost: l.src.name, DstHost: l.dst.name,
		Port: port, Len: size}
	t.emit(&ev)
}

// noRoute reports a datagram to an address no host has.
func (t *tracer) noRoute(now time.Duration, src *Host, ip [4]byte, port uint16, size int) {
	if t == nil {
		return
	}
	ev := Event{At: now, Kind: EvNoRoute, Src: src.addr, Dst: netip.AddrFrom4(ip), SrcHost: src.name, Port: port, Len: size}
	t.emit(&ev)
}

// fault reports a fault or profile change, so a trace shows why packets started dropping.
func (t *tracer) fault(now time.Duration, what string) {
	if t == nil {
		return
	}
	ev := Event{At: now, Kind: EvFault, Detail: what}
	t.emit(&ev)
}
