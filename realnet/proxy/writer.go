package proxy

import (
	"errors"
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
	// segmentable reports whether p's datagrams may go as one segmented send (GSO): only
	// toward a loopback address. Elsewhere a run would cross a veth or a bridge as one
	// packet, cut apart only in the receiving host, and whatever counts or captures
	// packets on the way (iptables, tcpdump) would see one where the model sent many.
	segmentable(p *netem.Packet[*session]) bool
}

// toUpstream: client -> upstream, through the session's own connected socket.
type toUpstream struct{}

func (toUpstream) via(p *netem.Packet[*session]) (batchConn, net.Addr) { return p.Meta.up, nil }

func (toUpstream) segmentable(p *netem.Packet[*session]) bool { return p.Meta.upLoopback }

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

func (r toClient) segmentable(p *netem.Packet[*session]) bool {
	return p.Meta.client.Addr().IsLoopback()
}

func (r toClient) writeOne(p *netem.Packet[*session]) error {
	_, err := r.conn.WriteToUDPAddrPort(p.Data, p.Meta.client)
	return err
}

// GSO limits: the kernel takes at most 64 segments per send on older kernels, and the
// whole run must fit one IP datagram.
const (
	gsoMaxSegments = 64
	gsoMaxBytes    = 65000
)

// writer writes packets in order: a run through the same socket in one system call where
// the platform allows, and, toward loopback, consecutive datagrams of one session and one
// size as a single segmented send (GSO) inside it. One per direction loop; not safe for concurrent use.
type writer struct {
	ms   []ipv4.Message // one per message of a batch
	segs []int          // datagrams in each message
	oob  [][]byte       // each message's GSO control message
	iov  [][]byte       // the datagrams' buffers, in order; messages take runs of it
	gso  bool           // segmentation still works on this path
}

func newWriter() *writer {
	w := &writer{
		ms: make([]ipv4.Message, maxWriteBatch), segs: make([]int, maxWriteBatch),
		oob: make([][]byte, maxWriteBatch), iov: make([][]byte, maxReady),
		gso: gsoAvailable,
	}
	for i := range w.oob {
		w.oob[i] = make([]byte, gsoCmsgLen)
	}
	return w
}

// segments returns how many datagrams from ps[0] on can leave as one segmented send:
// same session (so the same socket and destination), all of ps[0]'s size but the last,
// which may be shorter and ends the run.
func (w *writer) segments(ps []netem.Packet[*session], out route) int {
	size := len(ps[0].Data)
	if !w.gso || size == 0 || !out.segmentable(&ps[0]) {
		return 1
	}
	k, total := 1, size
	for k < len(ps) && k < gsoMaxSegments {
		n := len(ps[k].Data)
		if ps[k].Meta != ps[0].Meta || n == 0 || n > size || total+n > gsoMaxBytes {
			break
		}
		k++
		total += n
		if n < size {
			break
		}
	}
	return k
}

// write sends every packet in order and returns how many the sockets refused (e.g.
// after an ICMP port unreachable reported on a connected socket).
func (w *writer) write(ps []netem.Packet[*session], out route) int {
	if len(w.iov) < len(ps) {
		w.iov = make([][]byte, len(ps))
	}
	failed := 0
	for i := 0; i < len(ps); {
		bc, _ := out.via(&ps[i])
		// A run: consecutive datagrams through the same socket, as messages.
		nm, np := 0, 0
		for batching && i+np < len(ps) && nm < maxWriteBatch {
			bck, dst := out.via(&ps[i+np])
			if bck != bc {
				break
			}
			k := w.segments(ps[i+np:], out)
			for j := range k {
				w.iov[i+np+j] = ps[i+np+j].Data
			}
			m := &w.ms[nm]
			m.Buffers, m.Addr, m.OOB = w.iov[i+np:i+np+k], dst, nil
			if k > 1 {
				putGSO(w.oob[nm], len(ps[i+np].Data))
				m.OOB = w.oob[nm]
			}
			w.segs[nm] = k
			nm++
			np += k
		}
		if np < 2 {
			if out.writeOne(&ps[i]) != nil {
				failed++
			}
			i++
			continue
		}
		failed += w.send(bc, nm)
		for j := range nm {
			w.ms[j].Buffers, w.ms[j].Addr = nil, nil // let the buffers go
		}
		clear(w.iov[i : i+np])
		i += np
	}
	return failed
}

// send writes the first nm messages, as few sendmmsg calls as it takes, and returns how
// many datagrams the socket refused.
func (w *writer) send(bc batchConn, nm int) (failed int) {
	ms, segs := w.ms[:nm], w.segs[:nm]
	for len(ms) > 0 {
		n, err := bc.WriteBatch(ms, 0)
		n = max(n, 0) // -1 with an errno
		switch {
		case errors.Is(err, net.ErrClosed): // the rest cannot go either
			for _, k := range segs {
				failed += k
			}
			return failed
		case err != nil && n < len(ms):
			// The message at n was refused: as a segmented send the path may not take
			// (send it datagram by datagram, and every later one too), or for a reason of
			// its own (e.g. an earlier ICMP unreachable reported on a connected socket):
			// count it and go on with the rest.
			if segs[n] > 1 && gsoRefused(err) {
				w.gso = false
				failed += w.sendEach(bc, &ms[n])
			} else {
				failed += segs[n]
			}
			n++
		case n == 0: // cannot happen with a nil error; guards against spinning
			for _, k := range segs {
				failed += k
			}
			return failed
		}
		ms, segs = ms[min(n, len(ms)):], segs[min(n, len(segs)):]
	}
	return failed
}

// sendEach sends the datagrams of one segmented message one by one.
func (w *writer) sendEach(bc batchConn, m *ipv4.Message) (failed int) {
	one := []ipv4.Message{{Addr: m.Addr}}
	for _, b := range m.Buffers {
		one[0].Buffers = [][]byte{b}
		if n, err := bc.WriteBatch(one, 0); n != 1 || err != nil {
			failed++
		}
	}
	return failed
}
