package app_test

import (
	"context"
	"fmt"
	"time"

	"github.com/dist-example/dist-example/app"
	"github.com/dist-example/dist-example/simnet"
	"github.com/dist-example/dist-example/simnet/netem"
)

// A Sender and a Receiver over a simulated link that loses 10% and reorders through
// 15 ms of jitter, in virtual time (the run takes milliseconds); the receiver's counts
// match the network's. Over real UDP the same two values run with
// a *net.UDPConn (realnet.Listen) and the wall clock (realnet.Clock) instead of simnet's
// conns and clock; nothing else changes.
func Example() {
	profile, err := netem.Parse("delay 20ms 15ms loss 10%")
	if err != nil {
		panic(err)
	}
	n, err := simnet.New(simnet.Config{Seed: 1, Default: profile})
	if err != nil {
		panic(err)
	}
	defer n.Close()
	_, _ = n.AddHost("host1")
	_, _ = n.AddHost("host2")
	out, _ := n.Listen("host1:0")
	in, _ := n.Listen("host2:2345")
	clk := n.Clock()

	send := &app.Sender{Conn: out, Clock: clk, Dst: in.LocalAddr(), Interval: 10 * time.Millisecond, Count: 200}
	recv := &app.Receiver{Conn: in, Clock: clk, Interval: time.Second,
		OnSummary: func(s app.Summary) {
			c := s.Counts
			if s.Final {
				fmt.Printf("total: received %d of %d, lost %d, reordered %d\n", c.Received, c.Expected, c.Lost, c.Reordered)
				return
			}
			fmt.Printf("%v: received %d, lost %d, reordered %d\n", s.End.Sub(simnet.Epoch), c.Received, c.Lost, c.Reordered)
		}}
	n.Go("sender", func() {
		if _, err := send.Run(context.Background()); err != nil {
			fmt.Println("sender:", err)
		}
		clk.Sleep(time.Second) // let the last datagrams arrive, then stop the receiver
		_ = in.Close()
	})
	n.Go("receiver", func() {
		if err := recv.Run(context.Background()); err != nil {
			fmt.Println("receiver:", err)
		}
	})
	if err := n.Run(); err != nil {
		fmt.Println(err)
	}
	s := n.Stats()
	fmt.Printf("network: sent %d, lost %d, delivered %d\n", s.Sent, s.Lost, s.Delivered)
	// A number counts as lost once it has been missing for a whole interval after a
	// higher one arrived, so losses show up an interval late; the totals add up.

	// Output:
	// 1s: received 82, lost 0, reordered 13
	// 2s: received 93, lost 16, reordered 20
	// 2.99s: received 1, lost 8, reordered 0
	// total: received 176 of 200, lost 24, reordered 33
	// network: sent 200, lost 24, delivered 176
}
