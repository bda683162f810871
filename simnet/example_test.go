package simnet_test

import (
	"fmt"
	"os"
	"time"

	"github.com/dist-example/dist-example/simnet"
	"github.com/dist-example/dist-example/simnet/netem"
)

// An echo server and a client over a link with 50 ms of delay each way, in virtual time.
func Example() {
	profile, _ := netem.Parse("delay 50ms")
	n, _ := simnet.New(simnet.Config{Seed: 1, Default: profile})
	defer n.Close()
	_, _ = n.AddHost("client") // 10.0.0.1
	_, _ = n.AddHost("server") // 10.0.0.2
	srv, _ := n.Listen("server:7")
	cli, _ := n.Listen("client:0")
	clk := n.Clock()

	n.Go("echo server", func() {
		buf := make([]byte, 1500)
		for {
			k, from, err := srv.ReadFrom(buf)
			if err != nil {
				return // closed
			}
			_, _ = srv.WriteTo(buf[:k], from)
		}
	})
	n.Go("client", func() {
		start := clk.Now()
		_, _ = cli.WriteTo([]byte("hello"), srv.LocalAddr())
		buf := make([]byte, 1500)
		k, from, _ := cli.ReadFrom(buf)
		fmt.Printf("%s from %v after %v\n", buf[:k], from, clk.Since(start))
		_ = srv.Close()
	})
	err := n.Run()
	fmt.Println("run:", err, "at", n.Elapsed())
	// Output:
	// hello from 10.0.0.2:7 after 100ms
	// run: <nil> at 100ms
}

// The trace shows every packet's fate; a rate limit spaces packets out deterministically.
func Example_trace() {
	profile, _ := netem.Parse("delay 10ms rate 1024kbit") // 100 bytes + 28 of headers take 1 ms
	n, _ := simnet.New(simnet.Config{Default: profile, Trace: os.Stdout})
	defer n.Close()
	_, _ = n.AddHost("a")
	_, _ = n.AddHost("b")
	src, _ := n.Listen("a:1")
	dst, _ := n.Listen("b:2")
	for range 3 {
		_, _ = src.WriteTo(make([]byte, 100), dst.LocalAddr())
	}
	_, _ = src.WriteTo(nil, strAddr("b:3")) // an empty datagram still has its headers
	_ = n.Run()
	s, _ := n.LinkStats("a", "b")
	fmt.Printf("sent %d delivered %d no listener %d\n", s.Sent, s.Delivered, s.NoListener)
	// Output:
	// 00:00:00.000000000 a->b #0 len=100 queued due=00:00:00.011000000
	// 00:00:00.000000000 a->b #1 len=100 queued due=00:00:00.012000000
	// 00:00:00.000000000 a->b #2 len=100 queued due=00:00:00.013000000
	// 00:00:00.000000000 a->b #3 len=0 queued due=00:00:00.013218750
	// 00:00:00.011000000 a->b #0 len=100 deliver
	// 00:00:00.012000000 a->b #1 len=100 deliver
	// 00:00:00.013000000 a->b #2 len=100 deliver
	// 00:00:00.013218750 a->b #3 len=0 noport port=3
	// sent 4 delivered 3 no listener 1
}

// Faults are scheduled at virtual times; datagrams sent across a partition are counted.
func ExampleNetwork_Partition() {
	n, _ := simnet.New(simnet.Config{})
	defer n.Close()
	_, _ = n.AddHost("a")
	_, _ = n.AddHost("b")
	src, _ := n.Listen("a:1")
	dst, _ := n.Listen("b:1")
	n.Go("sender", func() {
		for range 10 { // one per second
			_, _ = src.WriteTo([]byte("x"), dst.LocalAddr())
			n.Clock().Sleep(time.Second)
		}
	})
	n.At(2500*time.Millisecond, func() { _ = n.Partition([]string{"a"}, []string{"b"}) })
	n.At(5500*time.Millisecond, n.Heal)
	_ = n.Run()
	s := n.Stats()
	fmt.Printf("sent %d delivered %d partitioned %d\n", s.Sent, s.Delivered, s.Partitioned)
	// Output:
	// sent 10 delivered 7 partitioned 3
}

// A run whose goroutines can never be woken reports who waits on what instead of hanging.
func ExampleDeadlockError() {
	n, _ := simnet.New(simnet.Config{})
	defer n.Close()
	_, _ = n.AddHost("a")
	c, _ := n.Listen("a:53")
	n.Go("server", func() { _, _, _ = c.ReadFrom(make([]byte, 512)) })
	n.Go("client", func() { n.Clock().Sleep(time.Second) })
	fmt.Println(n.Run())
	// Output:
	// simnet: deadlock at 00:00:01.000000000: every simulated goroutine is blocked and nothing is scheduled:
	// 	goroutine 1 "server": ReadFrom on 10.0.0.1:53 (no deadline)
}

// An observer gets each packet event as a structured value, with nothing formatted:
// here, the ground truth of what a lossy link did to ten datagrams.
func Example_observe() {
	profile, _ := netem.Parse("delay 10ms loss 30%")
	fate := map[simnet.EventKind]int{}
	n, _ := simnet.New(simnet.Config{Seed: 4, Default: profile, Observe: func(ev simnet.Event) {
		if ev.SrcHost == "a" {
			fate[ev.Kind]++
		}
	}})
	defer n.Close()
	_, _ = n.AddHost("a")
	_, _ = n.AddHost("b")
	src, _ := n.Listen("a:1")
	dst, _ := n.Listen("b:2")
	for range 10 {
		_, _ = src.WriteTo([]byte("x"), dst.LocalAddr())
	}
	_ = n.Run()
	fmt.Println("queued", fate[simnet.EvQueued], "lost", fate[simnet.EvLost], "delivered", fate[simnet.EvDeliver])
	st, _ := n.LinkStats("a", "b")
	fmt.Println("link counters agree:", st.Lost == uint64(fate[simnet.EvLost]) && st.Delivered == uint64(fate[simnet.EvDeliver]))
	// Output:
	// queued 9 lost 1 delivered 9
	// link counters agree: true
}

// SetLink installs a whole profile, as tc qdisc replace; ChangeLink merges into the link's
// current one, as tc qdisc change, keeping corrupt and rate that the new text leaves out.
func ExampleNetwork_ChangeLink() {
	def, _ := netem.Parse("delay 50ms corrupt 1% rate 1mbit")
	n, _ := simnet.New(simnet.Config{Default: def})
	defer n.Close()
	_, _ = n.AddHost("a")
	_, _ = n.AddHost("b")
	faster, _ := netem.Parse("delay 10ms")
	_ = n.ChangeLink("a", "b", faster)
	_ = n.SetLink("b", "a", faster)
	ab, _ := n.LinkProfile("a", "b")
	ba, _ := n.LinkProfile("b", "a")
	fmt.Println("a->b changed:", ab)
	fmt.Println("b->a set:    ", ba)
	// Output:
	// a->b changed: delay 10ms corrupt 1% rate 1mbit
	// b->a set:     delay 10ms
}
