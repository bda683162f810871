package scenario

import (
	"net/netip"

	"github.com/dist-example/dist-example/simnet"
	"github.com/dist-example/dist-example/simnet/internal/record"
)

// The tests' own way from a simnet.Event to its canonical encoding, independent of the
// records simnet hands the sink: the tests compare the two.

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
