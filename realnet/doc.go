// Package realnet runs the transport interfaces on the kernel's UDP: *net.UDPConn is the
// transport.PacketConn and clock.New() the transport.Clock. It also reads the two things
// a real-network test needs to tell network loss from receiver loss: the socket receive
// buffer size (SetReadBuffer) and the host's UDP counters (ReadUDPCounters).
//
// Usage:
//
//	// Receiver.
//	conn, err := realnet.Listen(":9000")
//	if err != nil { ... }
//	defer conn.Close()
//	got, err := realnet.SetReadBuffer(conn, 4<<20) // got is about 2*want on Linux
//	before, _ := realnet.ReadUDPCounters()
//	// ... run the receiver on conn with realnet.Clock() ...
//	after, _ := realnet.ReadUDPCounters()
//	dropped := after.RcvbufErrors - before.RcvbufErrors
//
//	// Sender.
//	conn, dst, err := realnet.Dial("192.0.2.7:9000")
//	if err != nil { ... }
//	defer conn.Close()
//	_, err = conn.WriteTo(payload, dst)
//
// The package's tests run the transport/transporttest conformance suite over 127.0.0.1
// and [::1].
package realnet
