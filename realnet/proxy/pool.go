package proxy

import (
	"math/bits"
	"sync"
)

// Payload buffers come from power-of-two size classes, from 64 bytes to 64 KiB, so a
// small datagram does not pin a 64 KiB buffer while it waits in a link, and a busy proxy
// does not allocate (and collect) a buffer per datagram.
const (
	minClassShift = 6  // 64 bytes
	maxClassShift = 16 // 64 KiB, the largest UDP payload rounded up
	numClasses    = maxClassShift - minClassShift + 1

	// poolBytesPerClass caps the idle memory each class may keep: a burst of large
	// datagrams must not leave the proxy holding their buffers forever.
	poolBytesPerClass = 4 << 20
)

// bufPool is a set of bounded free lists: a stack per class under its own mutex, which
// costs a fraction of a channel operation (the proxy takes and gives back a buffer per
// datagram). Not a sync.Pool: putting a []byte in a sync.Pool allocates its header,
// which is what pooling is meant to avoid, and the stack bounds the idle memory
// explicitly. Safe for concurrent use.
type bufPool struct {
	free [numClasses]freeList
}

type freeList struct {
	mu   sync.Mutex
	bufs [][]byte // requires mu: idle buffers of the class, at most max
	max  int      // read-only
}

func newBufPool() *bufPool {
	p := &bufPool{}
	for i := range p.free {
		size := 1 << (minClassShift + i)
		p.free[i].max = max(16, poolBytesPerClass/size)
	}
	return p
}

// class returns the index of the smallest class holding n bytes, or -1 if n is too big.
func class(n int) int {
	if n <= 1<<minClassShift {
		return 0
	}
	c := bits.Len(uint(n-1)) - minClassShift
	if c >= numClasses {
		return -1
	}
	return c
}

// get returns a slice of length n (its contents are garbage).
func (p *bufPool) get(n int) []byte {
	c := class(n)
	if c < 0 {
		return make([]byte, n)
	}
	f := &p.free[c]
	f.mu.Lock()
	if k := len(f.bufs); k > 0 {
		b := f.bufs[k-1]
		f.bufs[k-1] = nil
		f.bufs = f.bufs[:k-1]
		f.mu.Unlock()
		return b[:n]
	}
	f.mu.Unlock()
	return make([]byte, n, 1<<(minClassShift+c))
}

// put gives b back; buffers not made by get (wrong capacity) are left to the collector.
func (p *bufPool) put(b []byte) {
	c := class(cap(b))
	if c < 0 || cap(b) != 1<<(minClassShift+c) {
		return
	}
	f := &p.free[c]
	f.mu.Lock()
	if len(f.bufs) < f.max {
		f.bufs = append(f.bufs, b[:0])
	}
	f.mu.Unlock()
}

// clone is the Link's Clone hook: duplicates take their copy from the pool too.
func (p *bufPool) clone(b []byte) []byte {
	c := p.get(len(b))
	copy(c, b)
	return c
}
