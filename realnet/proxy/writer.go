package proxy

import (
	"net"
	"net/netip"
	"syscall"

	"github.com/dist-example/dist-example/simnet/netem"
)

// maxWriteBatch is the most datagrams one batched write carries.
const maxWriteBatch = 64

// route is how a direction's packets leave.
type route interface {
	// via returns the socket p leaves through and, for an unconnected socket, where to.
	via(p *netem.Packet[*session]) (rc syscall.RawConn, dst netip.AddrPort, hasDst bool)
	// is6 reports whether destinations are written as IPv6 (the socket is AF_INET6).
	is6() bool
	// writeOne sends p on its own.
	writeOne(p *netem.Packet[*session]) error
}

// toUpstream: client -> upstream, through the session's own connected socket.
type toUpstream struct{}

func (toUpstream) via(p *netem.Packet[*session]) (syscall.RawConn, netip.AddrPort, bool) {
	return p.Meta.raw, netip.AddrPort{}, false
}

func (toUpstream) is6() bool { return false }

func (toUpstream) writeOne(p *netem.Packet[*session]) error {
	_, err := p.Meta.conn.Write(p.Data)
	return err
}

// toClient: upstream -> client, through the listen socket.
type toClient struct {
	conn  *net.UDPConn    // read-only
	raw   syscall.RawConn // read-only: conn's
	inet6 bool            // read-only: conn is AF_INET6
}

func newToClient(c *net.UDPConn) (toClient, error) {
	rc, err := c.SyscallConn()
	return toClient{conn: c, raw: rc, inet6: socketIs6(c)}, err
}

func (r toClient) via(p *netem.Packet[*session]) (syscall.RawConn, netip.AddrPort, bool) {
	return r.raw, p.Meta.client, true
}

func (r toClient) is6() bool { return r.inet6 }

func (r toClient) writeOne(p *netem.Packet[*session]) error {
	_, err := r.conn.WriteToUDPAddrPort(p.Data, p.Meta.client)
	return err
}

// writer writes packets in order, a run through the same socket in one system call
// where the platform allows. One per direction loop; not safe for concurrent use.
type writer struct {
	b    *batcher
	bufs [][]byte
	dsts []netip.AddrPort
}

func newWriter() *writer {
	return &writer{b: newBatcher(), bufs: make([][]byte, 0, maxWriteBatch), dsts: make([]netip.AddrPort, 0, maxWriteBatch)}
}

// write sends every packet in order and returns how many the sockets refused (e.g.
// after an ICMP port unreachable reported on a connected socket).
func (w *writer) write(ps []netem.Packet[*session], out route) int {
	failed := 0
	for i := 0; i < len(ps); {
		rc, _, hasDst := out.via(&ps[i])
		// A run: consecutive non-empty datagrams through the same socket (batched
		// calls need a byte to send, so an empty datagram goes alone).
		j := i
		w.bufs, w.dsts = w.bufs[:0], w.dsts[:0]
		for batchingSupported && j < len(ps) && len(w.bufs) < maxWriteBatch && len(ps[j].Data) > 0 {
			rcj, dstj, _ := out.via(&ps[j])
			if rcj != rc {
				break
			}
			w.bufs = append(w.bufs, ps[j].Data)
			w.dsts = append(w.dsts, dstj)
			j++
		}
		if j-i < 2 {
			if out.writeOne(&ps[i]) != nil {
				failed++
			}
			i++
			continue
		}
		dsts := w.dsts
		if !hasDst {
			dsts = nil
		}
		failed += w.b.send(rc, out.is6(), w.bufs, dsts)
		clear(w.bufs)
		i = j
	}
	return failed
}
