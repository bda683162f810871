package realnet

import (
	"fmt"
	"net"
)

// SetReadBuffer asks the kernel for a socket receive buffer of want bytes and returns the
// size the kernel then reports for SO_RCVBUF.
//
// A receiver that falls behind loses datagrams in its receive buffer (counted as
// RcvbufErrors in ReadUDPCounters), so a test that wants to blame the network, not the
// receiver, asks for a large buffer and checks what it got.
//
// On Linux, as root (CAP_NET_ADMIN) it uses SO_RCVBUFFORCE, so net.core.rmem_max does not
// cap the size; otherwise, or if that is refused, plain SO_RCVBUF, which rmem_max caps.
// Linux doubles the requested value to leave room for its bookkeeping and reports the
// doubled figure, so got is normally 2*want (or 2*rmem_max when capped); compare got
// against want, not for equality. Elsewhere got is what the platform reports, or 0 when
// it cannot read the size back.
func SetReadBuffer(c *net.UDPConn, want int) (got int, err error) {
	if c == nil {
		return 0, fmt.Errorf("realnet: SetReadBuffer on a nil conn")
	}
	if want <= 0 {
		return 0, fmt.Errorf("realnet: read buffer size %d; want a positive number of bytes", want)
	}
	rc, err := c.SyscallConn()
	if err != nil {
		return 0, fmt.Errorf("realnet: read buffer: %w", err)
	}
	return setReadBuffer(c, rc, want)
}
