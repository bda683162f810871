package netem_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/dist-example/dist-example/simnet/netem"
)

func ExampleParse() {
	p, err := netem.Parse("d 50ms 10ms 25% loss 0.5% r 10% rate 8000kbit")
	if err != nil {
		panic(err)
	}
	fmt.Println(p)
	fmt.Println(p.Delay, p.Jitter, p.Loss.P, p.Rate.Bytes)
	// Output:
	// delay 50ms 10ms 25% loss 0.5% reorder 10% rate 8mbit
	// 50ms 10ms 0.5% 1000000
}

func ExampleParseError() {
	_, err := netem.Parse("delay 10ms reorder 5% gap 3 loss 10")
	fmt.Println(err)
	_, err = netem.Parse("delay 10")
	var pe *netem.ParseError
	if errors.As(err, &pe) {
		fmt.Printf("token %d %q\n", pe.Pos, pe.Token)
	}
	// Output:
	// <nil>
	// token 1 "10"
}

func ExampleProfile_String() {
	p := netem.Profile{
		Delay:  1500 * time.Millisecond,
		Jitter: 250 * time.Microsecond,
		Loss:   netem.Loss{Model: netem.LossRandom, P: netem.Percent(0.1)},
	}
	fmt.Printf("%q\n", p.String())
	fmt.Printf("%q\n", netem.Profile{}.String())
	// Output:
	// "delay 1500ms 250us loss 0.1%"
	// ""
}

func ExampleNewLink() {
	p, _ := netem.Parse("delay 10ms rate 8kbit")
	l := netem.NewLink[string](p, 1)
	l.Enqueue(0, netem.Packet[string]{Data: make([]byte, 100), Meta: "a"})
	l.Enqueue(0, netem.Packet[string]{Data: make([]byte, 100), Meta: "b"})
	for {
		next, ok := l.NextDue()
		if !ok {
			break
		}
		pkt, _ := l.Dequeue(next)
		fmt.Println(pkt.Meta, "leaves at", next)
	}
	fmt.Printf("%+v\n", l.Stats())
	// Output:
	// a leaves at 110ms
	// b leaves at 210ms
	// {Sent:2 Delivered:2 Lost:0 Duplicated:0 Corrupted:0 Reordered:0 LimitDrops:0 ECNMarked:0 InFlight:0}
}

func ExampleLink_Enqueue() {
	p, _ := netem.Parse("loss 100% duplicate 100%")
	l := netem.NewLink[int](p, 1)
	l.Observe = func(now time.Duration, kind netem.EventKind, pkt *netem.Packet[int]) {
		fmt.Println(now, kind, pkt.Seq, pkt.Duplicate)
	}
	orig, dupMade, dup := l.Enqueue(5*time.Millisecond, netem.Packet[int]{Data: []byte("hi")})
	fmt.Println(orig, dupMade, dup)
	l.Dequeue(5 * time.Millisecond)
	// Output:
	// 5ms lost 1 true
	// 5ms enqueue 0 false
	// queued true lost
	// 5ms dequeue 0 false
}

func ExampleLink_SetProfile() {
	l := netem.NewLink[int](mustParse("delay 10ms corrupt 1% rate 1mbit loss 5%"), 1)
	l.SetProfile(mustParse("delay 20ms"))
	fmt.Println(l.Profile()) // loss resets, corrupt and rate are kept, as with tc change
	// Output:
	// delay 20ms corrupt 1% rate 1mbit
}

func mustParse(text string) netem.Profile {
	p, err := netem.Parse(text)
	if err != nil {
		panic(err)
	}
	return p
}
