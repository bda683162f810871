package proxy

import (
	"net"

	"golang.org/x/net/ipv4"

	"github.com/dist-example/dist-example/simnet/netem"
)

// route is how a direction's packets leave.
type route interface {
	// via returns the socket p leaves through and, for an unconnected socket, where to.
	via(p *netem.Packet[*session]) (bc batchConn, dst net.Addr)
	// writeOne sends p on its own.
	writeOne(p *netem.Packet[*session]) error
}

// toUpstream: client -> upstream, through the session's own connected socket.
type toUpstream struct{}

func (toUpstream) via(p *netem.Packet[*session]) (batchConn, net.Addr) { return p.Meta.up, nil }

func (toUpstream) writeOne(p *netem.Packet[*session]) error {
	_, err := p.Meta.conn.Write(p.Data)
	return err
}

// toClient: upstream -> client, through the listen socket.
type toClient struct {
	conn *net.UDPConn // read-only
	bc   batchConn    // read-only: conn's
}

func newToClient(c *net.UDPConn) toClient { return toClient{conn: c, bc: newBatchConn(c)} }

func (r toClient) via(p *netem.Packet[*session]) (batchConn, net.Addr) {
	return r.bc, p.Meta.clientAddr
}

func (r toClient) writeOne(p *netem.Packet[*session]) error {
	_, err := r.conn.WriteToUDPAddrPort(p.Data, p.Meta.client)
	return err
}

// writer writes packets in order, a run through the same socket in one system call
// where the platform allows. One per direction loop; not safe for concurrent use.
type writer struct {
	ms  []ipv4.Message
	one [][1][]byte // each message's one buffer
}

func newWriter() *writer {
	w := &writer{ms: make([]ipv4.Message, maxWriteBatch), one: make([][1][]byte, maxWriteBatch)}
	for i := range w.ms {
		w.ms[i].Buffers = w.one[i][:]
	}
	return w
}

// write sends every packet in order and returns how many the sockets refused (e.g.
// after an ICMP port unreachable reported on a connected socket).
func (w *writer) write(ps []netem.Packet[*session], out route) int {
	failed := 0
	for i := 0; i < len(ps); {
		bc, _ := out.via(&ps[i])
		// A run: consecutive datagrams through the same socket.
		k := 0
		for batching && i+k < len(ps) && k < maxWriteBatch {
			bck, dst := out.via(&ps[i+k])
			if bck != bc {
				break
			}
			w.one[k][0], w.ms[k].Addr = ps[i+k].Data, dst
			k++
		}
		if k < 2 {
			if out.writeOne(&ps[i]) != nil {
				failed++
			}
			i++
			continue
		}
		failed += sendBatch(bc, w.ms[:k])
		for j := range k {
			w.one[j][0], w.ms[j].Addr = nil, nil // let the buffers go
		}
		i += k
	}
	return failed
}
