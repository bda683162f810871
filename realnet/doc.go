// Package realnet runs the transport interfaces on the kernel's UDP: *net.UDPConn is the
// transport.PacketConn and clock.New() the transport.Clock. It also reads the two things
// a real-network test needs to tell network loss from receiver loss: the socket receive
// buffer size (SetReadBuffer) and the host's UDP counters (ReadUDPCounters,
// ReadUDP6Counters). BatchConn adds batched sending for senders that burst.
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
//	// Sender of bursts: up to 64 datagrams per system call (sendmmsg on Linux).
//	bc := realnet.NewBatchConn(conn)
//	_, err = bc.WriteBatchTo(payloads, dst)
//
// The package's tests run the transport/transporttest conformance suite over 127.0.0.1
// and [::1].
package realnet
