package app

import (
	"context"
	"fmt"
	"net"
	"time"
)

// ExamplePing pings over a fake network that answers every probe after 20 ms and loses
// every fourth. On a real network Conn is a *net.UDPConn and Clock the wall clock; in the
// simulator both come from simnet, and Echo serves the other end.
func ExamplePing() {
	conn := newPingFakeConn(func(probe []byte, _ net.Addr) []pingFakeReply {
		if pingTestSeq(probe)%4 == 3 {
			return nil
		}
		return []pingFakeReply{{delay: 20 * time.Millisecond}}
	})
	stats, err := Ping(context.Background(), PingConfig{
		Conn: conn, Clock: conn.clock, Dest: pingTestDest,
		Interval: 100 * time.Millisecond, Count: 8, Size: 64, Timeout: time.Second,
		OnReply: func(r PingReply) { fmt.Printf("%d bytes from %s: seq=%d time=%v\n", r.Bytes, r.From, r.Seq, r.RTT) },
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	s := stats.Summary()
	fmt.Printf("%d transmitted, %d received, %g%% loss, rtt avg %v p99 %v\n", s.Transmitted, s.Received, s.LossPercent, s.Avg, s.P99)
	// Output:
	// 64 bytes from 192.0.2.1:2346: seq=0 time=20ms
	// 64 bytes from 192.0.2.1:2346: seq=1 time=20ms
	// 64 bytes from 192.0.2.1:2346: seq=2 time=20ms
	// 64 bytes from 192.0.2.1:2346: seq=4 time=20ms
	// 64 bytes from 192.0.2.1:2346: seq=5 time=20ms
	// 64 bytes from 192.0.2.1:2346: seq=6 time=20ms
	// 8 transmitted, 6 received, 25% loss, rtt avg 20ms p99 20ms
}
