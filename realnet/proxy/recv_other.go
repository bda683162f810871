//go:build !(linux && (amd64 || arm64))

package proxy

import (
	"net"
	"net/netip"

	"golang.org/x/net/ipv4"
)

// reader reads bursts of datagrams from one socket. Not safe for concurrent use.
type reader struct {
	bc batchConn
	ms []ipv4.Message
}

func newReader(c *net.UDPConn) *reader {
	r := &reader{bc: newBatchConn(c), ms: make([]ipv4.Message, maxReadBatch)}
	for i := range r.ms {
		r.ms[i].Buffers = [][]byte{make([]byte, maxDatagram)}
	}
	return r
}

// read waits for at least one datagram and returns how many it read. Errors are the
// socket's: deadline exceeded, closed, or one the kernel reports (then n is 0).
func (r *reader) read() (int, error) {
	n, err := r.bc.ReadBatch(r.ms, 0)
	if err != nil {
		return 0, err
	}
	return n, nil
}

// datagram returns the i-th datagram read and its source.
func (r *reader) datagram(i int) ([]byte, netip.AddrPort) {
	m := &r.ms[i]
	var from netip.AddrPort
	if a, ok := m.Addr.(*net.UDPAddr); ok {
		from = a.AddrPort()
	}
	return m.Buffers[0][:m.N], from
}
