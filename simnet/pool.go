package simnet

import "math/bits"

// bufPool recycles payload buffers by power-of-two size class, so that a steady stream
// of datagrams allocates nothing: WriteTo copies into a pooled buffer, ReadFrom copies out
// and returns it. It is guarded by Network.mu (a sync.Pool would cost more and, being
// cleared by the GC, would make allocation counts vary between runs).
type bufPool struct {
	free [maxClass + 1][][]byte
}

const (
	minClass = 6  // 64 bytes
	maxClass = 17 // 128 KiB, above MaxPayload
	maxFree  = 4096
)

func classOf(n int) int {
	if n <= 1<<minClass {
		return minClass
	}
	return bits.Len(uint(n - 1))
}

// get returns a buffer of length n.
func (p *bufPool) get(n int) []byte {
	c := classOf(n)
	if f := p.free[c]; len(f) > 0 {
		b := f[len(f)-1]
		f[len(f)-1] = nil
		p.free[c] = f[:len(f)-1]
		return b[:n]
	}
	return make([]byte, n, 1<<c)
}

// put takes back a buffer that get returned; foreign buffers (such as a netem clone not
// made by clone) are left to the garbage collector.
func (p *bufPool) put(b []byte) {
	c := bits.Len(uint(cap(b))) - 1
	if c < minClass || c > maxClass || cap(b) != 1<<c || len(p.free[c]) >= maxFree {
		return
	}
	p.free[c] = append(p.free[c], b)
}

// clone is the netem link's Clone hook: a duplicate's payload comes from the pool too.
func (p *bufPool) clone(b []byte) []byte {
	d := p.get(len(b))
	copy(d, b)
	return d
}
