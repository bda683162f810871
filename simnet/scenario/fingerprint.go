package scenario

import (
	"encoding/binary"
	"net/netip"

	"github.com/dist-example/dist-example/simnet"
)

// eventSize is the fixed part of an event's canonical encoding.
const eventSize = 40

// Flag bits of the encoding.
const (
	flagDup = 1 << iota
	flagCorrupt
	flagReordered
)

// appendEvent appends ev's canonical encoding, the input of the fingerprint: fixed-width
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
func appendEvent(b []byte, ev *simnet.Event) []byte {
	n := len(b)
	if cap(b)-n < eventSize {
		b = append(b, make([]byte, eventSize)...)
	} else {
		b = b[:n+eventSize]
	}
	e := b[n : n+eventSize]
	le := binary.LittleEndian
	le.PutUint64(e[0:], uint64(ev.At))
	e[8] = byte(ev.Kind)
	var f byte
	if ev.Dup {
		f |= flagDup
	}
	if ev.Corrupt {
		f |= flagCorrupt
	}
	if ev.Reordered {
		f |= flagReordered
	}
	e[9] = f
	le.PutUint16(e[10:], ev.Port)
	le.PutUint32(e[12:], uint32(ev.Len))
	le.PutUint64(e[16:], ev.Seq)
	le.PutUint64(e[24:], uint64(ev.Due))
	putAddr(e[32:36], ev.Src)
	putAddr(e[36:40], ev.Dst)
	if ev.Kind == simnet.EvFault {
		b = le.AppendUint32(b, uint32(len(ev.Detail)))
		b = append(b, ev.Detail...)
	}
	return b
}

// putAddr writes an IPv4 address, or zeros for none (simnet's hosts are all IPv4).
func putAddr(dst []byte, a netip.Addr) {
	if a.Is4() {
		a4 := a.As4()
		copy(dst, a4[:])
		return
	}
	clear(dst)
}
