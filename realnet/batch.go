package realnet

import (
	"errors"
	"fmt"
	"net"
	"sync"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"

	"github.com/dist-example/dist-example/transport"
)

// maxBatch is the most datagrams BatchConn hands the kernel per system call; beyond a few
// dozen the saving per datagram is negligible.
const maxBatch = 64

// BatchConn is a *net.UDPConn that can also send several datagrams per system call
// (sendmmsg on Linux; one per call elsewhere, through golang.org/x/net). On loopback,
// where the cost is per system call as much as per datagram, it lets a sender go faster
// than with one WriteTo per datagram. It is a transport.PacketConn like the conn it wraps.
type BatchConn struct {
	*net.UDPConn
	w interface {
		WriteBatch(ms []ipv4.Message, flags int) (int, error)
	}

	mu  sync.Mutex // guards ms and one, reused across calls so a batch does not allocate them
	ms  []ipv4.Message
	one [][1][]byte
}

var (
	_ transport.PacketConn  = (*BatchConn)(nil)
	_ transport.BatchWriter = (*BatchConn)(nil)
)

// NewBatchConn wraps c, an IPv4 or IPv6 UDP socket such as Dial returns. Closing the
// BatchConn closes c.
func NewBatchConn(c *net.UDPConn) *BatchConn {
	b := &BatchConn{UDPConn: c, ms: make([]ipv4.Message, maxBatch), one: make([][1][]byte, maxBatch)}
	if a, ok := c.LocalAddr().(*net.UDPAddr); ok && a.IP.To4() == nil && len(a.IP) == net.IPv6len {
		b.w = ipv6.NewPacketConn(c) // ipv6.Message is the same type as ipv4.Message
	} else {
		b.w = ipv4.NewPacketConn(c)
	}
	for i := range b.ms {
		b.ms[i].Buffers = b.one[i][:]
	}
	return b
}

// WriteBatchTo sends each of ps as one datagram to addr, in order, maxBatch per system
// call, and returns how many were sent: len(ps), or fewer with the error that stopped it
// (wrapping net.ErrClosed once the conn is closed).
func (b *BatchConn) WriteBatchTo(ps [][]byte, addr net.Addr) (sent int, err error) {
	if _, ok := addr.(*net.UDPAddr); !ok {
		return 0, fmt.Errorf("realnet: WriteBatchTo %v: want a *net.UDPAddr, got %T", addr, addr)
	}
	b.mu.Lock()
	defer b.unlock()
	for sent < len(ps) {
		k := min(len(ps)-sent, maxBatch)
		for i := range k {
			b.one[i][0] = ps[sent+i]
			b.ms[i].Addr = addr
		}
		n, err := b.w.WriteBatch(b.ms[:k], 0)
		sent += n
		if err != nil {
			return sent, err
		}
		if n == 0 { // cannot happen with a nil error; guards against spinning forever
			return sent, errors.New("realnet: sendmmsg sent nothing and reported no error")
		}
	}
	return sent, nil
}

// unlock drops the references to the caller's buffers, then releases the batch.
func (b *BatchConn) unlock() {
	for i := range b.one {
		b.one[i][0] = nil
	}
	b.mu.Unlock()
}
