package proxy_test

import (
	"fmt"
	"net"
	"time"

	"github.com/dist-example/dist-example/realnet/proxy"
	"github.com/dist-example/dist-example/simnet/netem"
)

// A proxy in front of a receiver, first dropping everything, then relaying everything
// after a profile swap.
func Example() {
	recv, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		panic(err)
	}
	defer recv.Close()

	drop, err := netem.Parse("loss 100%")
	if err != nil {
		panic(err) // a *netem.ParseError names the offending token
	}
	p, err := proxy.New(proxy.Config{Listen: "127.0.0.1:0", Upstream: recv.LocalAddr().String(), Forward: drop, Seed: 1})
	if err != nil {
		panic(err)
	}
	defer p.Close()

	client, err := net.DialUDP("udp", nil, p.Addr())
	if err != nil {
		panic(err)
	}
	defer client.Close()
	client.Write([]byte("lost"))
	for p.Counters().Forward.Sent < 1 {
		time.Sleep(time.Millisecond)
	}

	p.SetProfile(proxy.Forward, netem.Profile{}) // the zero profile impairs nothing
	client.Write([]byte("through"))
	buf := make([]byte, 64)
	recv.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, _ := recv.Read(buf)

	c := p.Counters().Forward
	fmt.Printf("received %q; sent %d, lost %d\n", buf[:n], c.Sent, c.Lost)
	// Output: received "through"; sent 2, lost 1
}
