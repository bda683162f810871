package simnet

import (
	"errors"
	"io"
	"net/netip"
	"strconv"
	"time"

	"github.com/dist-example/dist-example/simnet/internal/record"
	"github.com/dist-example/dist-example/simnet/netem"
)

// tracer turns what the network does into Events and hands each to the text trace
// (Config.Trace) and the observer (Config.Observe), whichever are set; an internal
// observer (record.Attach) gets each as a record.Record first, and no Event is made when
// nothing else listens. Events hold only virtual times, addresses, names, per-link
// sequence numbers and sizes, never pointers or map order, so two runs with the same
// seed produce identical events and traces. A nil *tracer does nothing; the network has
// one only when something listens.
type tracer struct {
	w       io.Writer
	observe func(Event)
	rec     record.Observer
	r       record.Record // rec's argument, reused: handing it over allocates nothing
	recLink *link         // the link of the last record, whose addresses are:
	recSrc  [4]byte
	recDst  [4]byte
	buf     []byte
}

func init() { record.Attach = attachRecorder }

// attachRecorder is record.Attach.
func attachRecorder(nw any, o record.Observer) error {
	n := nw.(*Network)
	n.mu.Lock()
	defer n.mu.Unlock()
	if len(n.links) > 0 {
		return errors.New("simnet: a record observer must be attached before the network has links")
	}
	if n.trace == nil {
		n.trace = &tracer{}
	}
	n.trace.rec = o
	return nil
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

// wantEvents reports whether anything takes Events: the text trace or Config.Observe.
func (t *tracer) wantEvents() bool { return t.w != nil || t.observe != nil }

// linkEvent describes copy p on link l.
func linkEvent(now time.Duration, l *link, kind EventKind, p *netem.Packet[meta]) Event {
	return Event{At: now, Kind: kind, Src: l.src.addr, Dst: l.dst.addr, SrcHost: l.src.name, DstHost: l.dst.name,
		Port: p.Meta.dstPort, Seq: p.Seq, Len: len(p.Data), Dup: p.Duplicate, Corrupt: p.Corrupted, Reordered: p.Reordered}
}

// recordLink hands rec the record of copy p on link l (due: EvQueued's Due, else 0).
func (t *tracer) recordLink(now time.Duration, l *link, kind EventKind, p *netem.Packet[meta], due time.Duration) {
	var f uint8
	if p.Duplicate {
		f |= record.Dup
	}
	if p.Corrupted {
		f |= record.Corrupt
	}
	if p.Reordered {
		f |= record.Reordered
	}
	if l != t.recLink {
		t.recLink, t.recSrc, t.recDst = l, l.src.addr.As4(), l.dst.addr.As4()
	}
	// Field by field: a composite literal is built on the stack and copied, and the
	// copy's wide loads stall on its fresh narrow stores.
	r := &t.r
	r.At, r.Due, r.Seq, r.Len = int64(now), int64(due), p.Seq, uint32(len(p.Data))
	r.Src, r.Dst, r.Port, r.Kind, r.Flags = t.recSrc, t.recDst, p.Meta.dstPort, uint8(kind), f
	if r.Detail != "" {
		r.Detail = ""
	}
	t.rec(r)
}

// recordOf hands rec the record of ev, an event made for the text trace and Observe.
func (t *tracer) recordOf(ev *Event) {
	t.r = record.Record{At: int64(ev.At), Due: int64(ev.Due), Seq: ev.Seq, Len: uint32(ev.Len),
		Port: ev.Port, Kind: uint8(ev.Kind), Detail: ev.Detail}
	if ev.Src.Is4() {
		t.r.Src = ev.Src.As4()
	}
	if ev.Dst.Is4() {
		t.r.Dst = ev.Dst.As4()
	}
	t.rec(&t.r)
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
	var due time.Duration
	if k == EvQueued {
		due = p.Due
	}
	if t.rec != nil {
		t.recordLink(now, l, k, p, due)
	}
	if t.wantEvents() {
		ev := linkEvent(now, l, k, p)
		ev.Due = due
		t.emit(&ev)
	}
}

// arrive reports a copy that left its link: EvDeliver, EvNoPort, EvHostDown or EvRecvBuf.
func (t *tracer) arrive(now time.Duration, l *link, p *netem.Packet[meta], kind EventKind) {
	if t == nil {
		return
	}
	if t.rec != nil {
		t.recordLink(now, l, kind, p, 0)
	}
	if t.wantEvents() {
		ev := linkEvent(now, l, kind, p)
		t.emit(&ev)
	}
}

// other hands ev, an event with no copy on a link (rare), to everything that listens.
func (t *tracer) other(ev *Event) {
	if t.rec != nil {
		t.recordOf(ev)
	}
	if t.wantEvents() {
		t.emit(ev)
	}
}

// drop reports a datagram refused before its link: EvPartition or EvDown.
func (t *tracer) drop(now time.Duration, l *link, size int, port uint16, kind EventKind) {
	if t == nil {
		return
	}
	ev := Event{At: now, Kind: kind, Src: l.src.addr, Dst: l.dst.addr, SrcHost: l.src.name, DstHost: l.dst.name,
		Port: port, Len: size}
	t.other(&ev)
}

// noRoute reports a datagram to an address no host has.
func (t *tracer) noRoute(now time.Duration, src *Host, ip [4]byte, port uint16, size int) {
	if t == nil {
		return
	}
	ev := Event{At: now, Kind: EvNoRoute, Src: src.addr, Dst: netip.AddrFrom4(ip), SrcHost: src.name, Port: port, Len: size}
	t.other(&ev)
}

// fault reports a fault or profile change, so a trace shows why packets started dropping.
func (t *tracer) fault(now time.Duration, what string) {
	if t == nil {
		return
	}
	ev := Event{At: now, Kind: EvFault, Detail: what}
	t.other(&ev)
}
