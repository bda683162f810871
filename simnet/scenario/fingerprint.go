package scenario

import (
	"encoding/binary"
	"net/netip"

	"github.com/dist-example/dist-example/simnet"
	"github.com/dist-example/dist-example/simnet/internal/record"
)

// eventSize is the fixed part of an event's canonical encoding.
const eventSize = 40

// appendRecord appends r's canonical encoding, the input of the fingerprint: fixed-width
// little-endian fields, the same bytes on every platform and in every run that has the
// same events.
//
//	offset  size  field
//	 0      8     At (ns)
//	 8      1     Kind
//	 9      1     flags: 1 Dup, 2 Corrupt, 4 Reordered
//	10      2     Port
//	12      4     Len
//	16      8     Seq
//	24      8     Due (ns)
//	32      4     Src (IPv4; 0.0.0.0 when absent)
//	36      4     Dst
//	then, for EvFault only: 4 bytes of len(Detail), and Detail
//
// Every field of simnet.Event is covered except the host names, which the addresses
// stand for (simnet gives each name one address).
func appendRecord(b []byte, r *record.Record) []byte {
	n := len(b)
	if cap(b)-n < eventSize {
		b = append(b, make([]byte, eventSize)...)
	} else {
		b = b[:n+eventSize]
	}
	e := (*[eventSize]byte)(b[n:])
	le := binary.LittleEndian
	le.PutUint64(e[0:], uint64(r.At))
	e[8] = r.Kind
	e[9] = r.Flags
	le.PutUint16(e[10:], r.Port)
	le.PutUint32(e[12:], r.Len)
	le.PutUint64(e[16:], r.Seq)
	le.PutUint64(e[24:], uint64(r.Due))
	copy(e[32:36], r.Src[:])
	copy(e[36:40], r.Dst[:])
	if r.Kind == uint8(simnet.EvFault) {
		b = le.AppendUint32(b, uint32(len(r.Detail)))
		b = append(b, r.Detail...)
	}
	return b
}

// appendEvent appends ev's canonical encoding: that of its record.
func appendEvent(b []byte, ev *simnet.Event) []byte {
	r := recordOfEvent(ev)
	return appendRecord(b, &r)
}

// recordOfEvent is the record simnet hands an internal observer for ev.
func recordOfEvent(ev *simnet.Event) record.Record {
	r := record.Record{At: int64(ev.At), Due: int64(ev.Due), Seq: ev.Seq, Len: uint32(ev.Len), Port: ev.Port,
		Kind: uint8(ev.Kind), Detail: ev.Detail}
	if ev.Dup {
		r.Flags |= record.Dup
	}
	if ev.Corrupt {
		r.Flags |= record.Corrupt
	}
	if ev.Reordered {
		r.Flags |= record.Reordered
	}
	putAddr(&r.Src, ev.Src)
	putAddr(&r.Dst, ev.Dst)
	return r
}

// putAddr sets dst to an IPv4 address, or zeros for none (simnet's hosts are all IPv4).
func putAddr(dst *[4]byte, a netip.Addr) {
	if a.Is4() {
		*dst = a.As4()
		return
	}
	*dst = [4]byte{}
}
