package simnet

import (
	"io"
	"strconv"
	"time"

	"github.com/dist-example/dist-example/simnet/netem"
)

// tracer writes one line per packet event. Lines hold only virtual times, host names,
// per-link sequence numbers and sizes, never pointers or map order, so two runs with the
// same seed produce identical traces. A nil *tracer writes nothing.
type tracer struct {
	w   io.Writer
	buf []byte
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

func (t *tracer) start(now time.Duration, l *link) []byte {
	b := appendVT(t.buf[:0], now)
	b = append(b, ' ')
	return append(b, l.name...)
}

func (t *tracer) flush(b []byte) {
	b = append(b, '\n')
	t.buf = b
	_, _ = t.w.Write(b) // a failing trace writer must not change the simulation
}

func appendPkt(b []byte, seq uint64, size int) []byte {
	b = append(b, " #"...)
	b = strconv.AppendUint(b, seq, 10)
	b = append(b, " len="...)
	return strconv.AppendInt(b, int64(size), 10)
}

// netemEvent traces what the netem link decided at enqueue time.
func (t *tracer) netemEvent(now time.Duration, l *link, kind netem.EventKind, p *netem.Packet[meta]) {
	var b []byte
	switch kind {
	case netem.EvEnqueue:
		b = appendPkt(t.start(now, l), p.Seq, len(p.Data))
		b = append(b, " queued due="...)
		b = appendVT(b, p.Due)
	case netem.EvLost:
		b = appendPkt(t.start(now, l), p.Seq, len(p.Data))
		b = append(b, " lost"...)
	case netem.EvLimitDrop:
		b = appendPkt(t.start(now, l), p.Seq, len(p.Data))
		b = append(b, " limit"...)
	default:
		return // departures are traced on arrival, with their fate
	}
	if p.Duplicate {
		b = append(b, " dup"...)
	}
	if p.Corrupted {
		b = append(b, " corrupt"...)
	}
	if p.Reordered {
		b = append(b, " reorder"...)
	}
	t.flush(b)
}

// arrive traces a packet that left its link: "deliver", "noport", "hostdown" or "rcvbuf".
func (t *tracer) arrive(now time.Duration, l *link, p *netem.Packet[meta], verdict string) {
	if t == nil {
		return
	}
	b := appendPkt(t.start(now, l), p.Seq, len(p.Data))
	b = append(b, ' ')
	b = append(b, verdict...)
	if verdict == "noport" {
		b = append(b, " port="...)
		b = strconv.AppendUint(b, uint64(p.Meta.dstPort), 10)
	}
	t.flush(b)
}

// drop traces a datagram refused before its link: "partition" or "down".
func (t *tracer) drop(now time.Duration, l *link, size int, verdict string) {
	if t == nil {
		return
	}
	b := append(t.start(now, l), " #- len="...)
	b = strconv.AppendInt(b, int64(size), 10)
	b = append(b, ' ')
	b = append(b, verdict...)
	t.flush(b)
}

// noRoute traces a datagram to an address no host has.
func (t *tracer) noRoute(now time.Duration, src *Host, ip [4]byte, size int) {
	if t == nil {
		return
	}
	b := appendVT(t.buf[:0], now)
	b = append(b, ' ')
	b = append(b, src.name...)
	b = append(b, "->"...)
	for i, x := range ip {
		if i > 0 {
			b = append(b, '.')
		}
		b = strconv.AppendUint(b, uint64(x), 10)
	}
	b = append(b, " #- len="...)
	b = strconv.AppendInt(b, int64(size), 10)
	b = append(b, " noroute"...)
	t.flush(b)
}

// fault traces a fault or profile change, so a trace shows why packets started dropping.
func (t *tracer) fault(now time.Duration, what string) {
	if t == nil {
		return
	}
	b := appendVT(t.buf[:0], now)
	b = append(b, " fault "...)
	b = append(b, what...)
	t.flush(b)
}
