// Package transporttest is a conformance suite for transport.PacketConn implementations,
// in the spirit of golang.org/x/net/nettest.TestConn but for datagram conns, and written
// so a deterministic simulator can run it as well as a real network.
//
// The suite checks the semantics transport.PacketConn documents: one datagram per read,
// truncation to the read buffer, zero-length datagrams, source addresses, read deadlines
// (errors wrapping os.ErrDeadlineExceeded that are net.Errors with Timeout() true), Close
// unblocking a read with net.ErrClosed, and concurrent writers; and, beyond
// transport.PacketConn, what libraries written against net.PacketConn rely on:
// SetDeadline and SetWriteDeadline, a deadline moved while a read is blocked taking effect
// at once, reads returning on time (at most 500ms late on a real clock), the largest UDP
// payload (65,507 bytes over IPv4) arriving whole and one byte more refused, and
// *net.UDPAddr addresses. RunIn runs each subtest inside a wrapper such as synctest.Test,
// for a network that lives in a testing/synctest bubble.
//
// Usage, for a network whose conns are real:
//
//	type harness struct {
//		transporttest.Goroutines // Go and Wait with real goroutines
//	}
//
//	func (h *harness) Clock() transport.Clock { return clock.New() }
//
//	func (h *harness) Pair(t *testing.T) (a, b transport.PacketConn) {
//		// two conns that can reach each other, closed in t.Cleanup
//	}
//
//	func TestConformance(t *testing.T) {
//		transporttest.Run(t, func(*testing.T) transporttest.Harness { return &harness{} })
//	}
//
// A simulator implements Go with its own simulated goroutines, Clock with its virtual
// clock, and Wait by running the network until nothing is left to do; the suite never
// blocks a Go'd function on anything but the harness clock or a ReadFrom.
package transporttest
