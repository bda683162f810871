package proxy

import (
	"net"
	"runtime"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// Bursts of datagrams go through one system call each where the kernel has recvmmsg and
// sendmmsg (Linux). On loopback that cuts the proxy's cost per datagram by about a third,
// which is what lets it relay at more than half the rate of a direct path on a small
// machine. golang.org/x/net makes the calls; elsewhere datagrams go one per call through
// the net package, which every platform has (x/net's one-message fallback does not).
const batching = runtime.GOOS == "linux"

// maxReadBatch is the most datagrams one read takes; each has a 64 KiB buffer (4 MiB for
// the listen socket's reader). A burst read whole leaves as one GSO run of up to 64
// datagrams (gsoMaxSegments) when nothing holds it back.
const maxReadBatch = 64

// maxWriteBatch is the most datagrams one batched write carries.
const maxWriteBatch = 64

// batchConn is a UDP socket's batched side. ipv4.Message and ipv6.Message are one type.
type batchConn interface {
	ReadBatch(ms []ipv4.Message, flags int) (int, error)
	WriteBatch(ms []ipv4.Message, flags int) (int, error)
}

// newBatchConn returns c's batched side: golang.org/x/net's, with WriteBatch replaced
// where the platform has a cheaper one (rawSendmmsg).
func newBatchConn(c *net.UDPConn) batchConn {
	v6 := false
	if a, ok := c.LocalAddr().(*net.UDPAddr); ok && a.IP.To4() == nil {
		v6 = true
	}
	var x batchConn = ipv4.NewPacketConn(c)
	if v6 {
		x = ipv6.NewPacketConn(c)
	}
	return withRawWrites(c, x, v6)
}
