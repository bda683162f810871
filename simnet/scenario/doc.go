// Package scenario runs the application over the simulator and says what happened, from
// both ends: app's Sender on host1 and Receiver on host2, over a link impaired by a
// netem profile, for a virtual duration with scheduled faults (partitions, sender
// restarts and jumps), then until the link is empty.
//
// A Result sets the receiver's summaries beside the network's ground truth (Truth),
// which is read from the simulator's own events (simnet.Config.Observe, structured, so
// nothing is formatted or parsed): which datagram each copy on the link belongs to, what
// the link did to it, and which copies reached the receiver's socket.
// Every datagram the receiver reads is checked against the copy the trace says was
// delivered (ReadCheck): nothing but a corrupted copy may differ from what was sent,
// and a corrupted copy differs in exactly one bit. With Config.Oracle, Result.Expect
// holds app's documented definitions (see app.Counts) applied to the delivered
// datagrams by an independent implementation, so the receiver can be checked exactly
// even when corruption, restarts or jumps make it disagree with the network.
//
// Every event of the run is hashed, in order, in a canonical binary encoding (fixed-width
// fields: virtual time, kind, flags, addresses, port, link sequence number, size, due
// time, fault detail), into Result.Fingerprint, whether or not a text trace is kept
// (Config.Trace, which costs formatting every event): the same Config gives the same
// fingerprint, so two runs that differ anywhere show it at once, and a text trace of both
// then says where.
//
// The package serves `dist-example sim` and the property tests, which generate
// profiles, faults and timings with rapid, check the receiver against the truth, and
// show that test-only faulty receivers are caught.
//
// Usage:
//
//	p, _ := netem.Parse("delay 50ms 10ms loss 5% duplicate 1% reorder 10%")
//	res, err := scenario.Run(scenario.Config{Seed: 42, Profile: p, Duration: 30 * time.Second,
//		SendInterval: 10 * time.Millisecond, Interval: 5 * time.Second})
//	fmt.Println(res.Final.Lost, res.Truth.LostInRange(), res.Fingerprint)
//
//	pr, err := scenario.RunPing(scenario.PingConfig{Seed: 1, Profile: p, Duration: 20 * time.Second,
//		Interval: 10 * time.Millisecond, Size: 64})
package scenario
