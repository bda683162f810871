package proxy

import "math/bits"

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

// bufPool is a set of bounded free lists. Channels rather than sync.Pool: putting a
// []byte in a sync.Pool allocates its header, which is what pooling is meant to avoid,
// and a channel bounds the idle memory explicitly. Safe for concurrent use.
type bufPool struct {
	free [numClasses]chan []byte // read-only after newBufPool
}

func newBufPool() *bufPool {
	p := &bufPool{}
	for i := range p.free {
		size := 1 << (minClassShift + i)
		p.free[i] = make(chan []byte, max(16, poolBytesPerClass/size))
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
	select {
	case b := <-p.free[c]:
		return b[:n]
	default:
		return make([]byte, n, 1<<(minClassShift+c))
	}
}

// put gives b back; buffers not made by get (wrong capacity) are left to the collector.
func (p *bufPool) put(b []byte) {
	c := class(cap(b))
	if c < 0 || cap(b) != 1<<(minClassShift+c) {
		return
	}
	select {
	case p.free[c] <- b[:0]:
	default:
	}
}

// clone is the Link's Clone hook: duplicates take their copy from the pool too.
func (p *bufPool) clone(b []byte) []byte {
	c := p.get(len(b))
	copy(c, b)
	return c
}
