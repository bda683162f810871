package netem

import (
	"math"
	"math/bits"
)

// txTime is the kernel's packet_time_ns: the serialization time in ns of a packet of
// length n at rate r. The kernel does this in u64, so a negative overhead larger than
// the packet wraps to an enormous delay; we clamp lengths at 0 instead.
func txTime(r *Rate, n int) int64 {
	l := max(0, int64(n)+int64(r.PacketOverhead))
	if r.CellSize != 0 {
		cell := int64(r.CellSize)
		cells := (l + cell - 1) / cell
		l = cells * max(0, cell+int64(r.CellOverhead))
	}
	hi, lo := bits.Mul64(uint64(l), 1e9)
	if hi >= r.Bytes {
		return math.MaxInt64
	}
	q, _ := bits.Div64(hi, lo, r.Bytes)
	return int64(min(q, math.MaxInt64))
}
