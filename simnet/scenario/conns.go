package scenario

import (
	"math"
	"math/bits"
	"net"
	"net/netip"
	"time"

	"github.com/dist-example/dist-example/app"
	"github.com/dist-example/dist-example/simnet"
	"github.com/dist-example/dist-example/transport"
)

// sendConn is the sender's conn: it tells the trace sink which number each WriteTo
// carries, so the sink can follow every copy of it through the link.
type sendConn struct {
	*simnet.Conn
	s *sink
	// next is the text the sender writes next if it counts up by one (its last
	// datagram's digits plus one, then '\n'), of number nextN; nextLen 0: none expected.
	next    [24]byte
	nextLen int
	nextN   int64
}

var _ transport.PacketConn = (*sendConn)(nil)

func (c *sendConn) WriteTo(p []byte, addr net.Addr) (int, error) {
	c.s.begin(c.number(p))
	k, err := c.Conn.WriteTo(p, addr)
	c.s.end(err == nil)
	return k, err
}

// number is the number p carries, 0 if it is none (app's sender writes only numbers;
// anything else is followed as 0): a datagram that is the expected next text is that
// number without a parse.
func (c *sendConn) number(p []byte) int64 {
	if c.nextLen > 0 && string(p) == string(c.next[:c.nextLen]) {
		n := c.nextN
		c.expectNext()
		return n
	}
	n, err := app.ParseNumber(p)
	if err != nil {
		c.nextLen = 0
		return 0
	}
	// Only bare digits and a '\n' are counted up as text (no sign, no "\r\n").
	if k := len(p); k >= 2 && k <= len(c.next) && p[k-1] == '\n' && p[k-2] != '\r' && p[0] != '-' && p[0] != '+' {
		c.nextLen = copy(c.next[:], p)
		c.nextN = n
		c.expectNext()
	} else {
		c.nextLen = 0
	}
	return n
}

// expectNext turns next, the text of nextN >= 0, into nextN+1's, or expects nothing when
// that would overflow or need one more digit.
func (c *sendConn) expectNext() {
	if c.nextN == math.MaxInt64 || !app.IncNumber(c.next[:c.nextLen]) {
		c.nextLen = 0
		return
	}
	c.nextN++
}

// ReadCheck compares every datagram the receiver read with the copy the network says it
// delivered at that point (reads come in delivery order: a socket is a FIFO).
type ReadCheck struct {
	Reads      uint64 `json:"reads"`      // datagrams the receiver read
	Mismatched uint64 `json:"mismatched"` // uncorrupted copies whose bytes differ from what was sent
	BadCorrupt uint64 `json:"bad_corrupt"`
	// BadCorrupt: corrupted copies that do not differ from what was sent in exactly one
	// bit, with the same length (netem flips one bit).
	Unexpected uint64 `json:"unexpected"` // reads with no delivery to match
	Unread     uint64 `json:"unread"`     // copies delivered but never read
}

// readConn is the receiver's conn: it checks each read against the trace's deliveries,
// feeds the oracle and offers each datagram to an optional observer (captures).
type readConn struct {
	*simnet.Conn
	s      *sink
	m      *model // nil: no oracle
	check  *ReadCheck
	clock  *simnet.Clock
	onRead func(at time.Duration, from, to netip.AddrPort, payload []byte)
	want   []byte
	// noCheck: leave check alone (Config.NoReadCheck); the oracle then parses each read.
	noCheck bool
}

var _ transport.PacketConn = (*readConn)(nil)

func (c *readConn) ReadFrom(p []byte) (int, net.Addr, error) {
	n, from, err := c.Conn.ReadFrom(p)
	if err == nil {
		var ap netip.AddrPort
		if u, ok := from.(*net.UDPAddr); ok {
			ap = u.AddrPort()
		}
		c.saw(p[:n], ap)
	}
	return n, from, err
}

// ReadFromUDPAddrPort keeps app's allocation-free read path.
func (c *readConn) ReadFromUDPAddrPort(p []byte) (int, netip.AddrPort, error) {
	n, from, err := c.Conn.ReadFromUDPAddrPort(p)
	if err == nil {
		c.saw(p[:n], from)
	}
	return n, from, err
}

func (c *readConn) saw(b []byte, from netip.AddrPort) {
	known, num := false, int64(0) // b is num's wire form: the oracle need not parse it
	if !c.noCheck {
		known, num = c.checkRead(b)
	}
	if c.m != nil {
		if known {
			c.m.observeNumber(from, num)
		} else {
			c.m.observe(from, b)
		}
	}
	if c.onRead != nil {
		c.onRead(c.clock.Since(simnet.Epoch), from, c.Conn.AddrPort(), b)
	}
}

// checkRead compares b, the next datagram read, with the copy the network delivered
// next, and reports whether b is that copy's number num, uncorrupted.
func (c *readConn) checkRead(b []byte) (known bool, num int64) {
	c.check.Reads++
	d, ok := c.s.nextDelivery()
	if !ok {
		c.check.Unexpected++
		return false, 0
	}
	switch n := c.s.num(d.idx); {
	case d.corrupt:
		if c.want = app.AppendNumber(c.want[:0], n); !oneBitApart(b, c.want) {
			c.check.BadCorrupt++
		}
	case isNumber(b, n):
		return true, n
	default:
		c.check.Mismatched++
	}
	return false, 0
}

// isNumber reports whether b is n's wire form, app.AppendNumber(nil, n), without making
// it: the digits are read once, front to back, and must have no leading zero.
func isNumber(b []byte, n int64) bool {
	k := len(b) - 1
	if k < 1 || b[k] != '\n' {
		return false
	}
	first := 0 // where the digits begin
	if b[0] == '-' {
		if n >= 0 {
			return false
		}
		first = 1
	} else if n < 0 {
		return false
	}
	digits := b[first:k]
	if len(digits) == 0 || len(digits) > 19 || digits[0] == '0' && len(digits) > 1 {
		return false
	}
	var u uint64 // at most 19 digits: no overflow
	for _, c := range digits {
		d := c - '0'
		if d > 9 {
			return false
		}
		u = u*10 + uint64(d)
	}
	if n < 0 {
		return u == -uint64(n)
	}
	return u == uint64(n)
}

func oneBitApart(a, b []byte) bool {
	if len(a) != len(b) {
		return false
	}
	diff := 0
	for i := range a {
		diff += bits.OnesCount8(a[i] ^ b[i])
	}
	return diff == 1
}
