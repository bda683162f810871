// Package simnet is a deterministic in-process IPv4/UDP network on a virtual clock, for
// testing UDP programs on bad networks without real time or real sockets.
//
// A Network has hosts (by name and address), conns bound on host:port that implement all
// of net.PacketConn with UDP's semantics, one netem fault model (package simnet/netem)
// per directed host pair, faults beyond netem (partitions, links down, host crashes) and
// a scheduler that runs simulated goroutines one at a time in virtual time. The same seed
// replays the same run: same delivery order, timestamps, counters and trace, whatever
// GOMAXPROCS is and under the race detector.
//
// # Usage
//
//	n, _ := simnet.New(simnet.Config{Seed: 1, Default: profile, Trace: os.Stdout})
//	defer n.Close()
//	n.AddHost("host1") // 10.0.0.1
//	n.AddHost("host2") // 10.0.0.2
//	a, _ := n.Listen("host1:0")    // port 0: 49152, 49153, ... in order
//	b, _ := n.Listen("host2:9000") // or "10.0.0.2:9000", or n.Host("host2").Listen(9000)
//	n.Go("sender", func() { a.WriteTo(msg, b.LocalAddr()); n.Clock().Sleep(time.Second) })
//	n.Go("receiver", func() { b.ReadFrom(buf) })
//	n.At(5*time.Second, func() { n.Partition([]string{"host1"}, []string{"host2"}) })
//	t := n.Clock().AfterFunc(time.Second, retransmit) // t.Stop() cancels it
//	err := n.Run() // or RunFor(d), RunUntil(t); a *DeadlockError if goroutines are stuck
//	fmt.Println(n.Stats().Delivered, n.Links()) // counters, per link and in total
//
// n.Clock() satisfies transport.Clock (Now is Epoch plus virtual time), and *Conn
// satisfies net.PacketConn and transport.PacketConn, so application code runs unchanged.
//
// # Scheduler
//
// Everything that happens is an event in one queue ordered by (virtual time, sequence
// number): a simulated goroutine becoming runnable, a link's next departure (at most one
// pending event per link, re-armed from netem.Link.NextDue), a sleep or read deadline
// ending, a function scheduled with At, After or Clock.AfterFunc. Events due at the current time sit in a FIFO,
// later ones in a slice-based binary heap of events by value; the two together give the
// exact (time, sequence) order.
//
// Simulated goroutines, started with Network.Go, are Go coroutines (iter.Pull) of which
// exactly one runs at a time: the holder of the run token. One that blocks (ReadFrom with
// nothing queued, Clock.Sleep) or returns records what it waits on and runs the event loop
// itself until it finds the next runnable goroutine; if that is itself it just continues,
// otherwise it hands the token over by a coroutine switch, which the runtime does
// directly, without its scheduler (about 7 times cheaper than a channel hand-off). The
// goroutine that called Run is the driver: it resumes the first coroutine and gets the
// token back when the run stops (see transferLocked for how the switches nest). Each wait
// has a token, so a wakeup armed for an earlier wait is ignored; a deadline or sleep event
// wakes a goroutine only if its current wait ends at exactly that time (so the deadline
// of a read that has returned is ignored, and a reader blocking again and again with one
// deadline reuses one event). Stale events do not move the clock. A goroutine's coroutine
// starts when it first runs. A blocking call is checked to come from the holder's own
// goroutine (see caller.go): one from a goroutine that a simulated goroutine started with
// a plain go statement fails with ErrStray, and Run returns it too, instead of parking
// the holder in its place.
//
// A run stops at the requested virtual time (RunFor, RunUntil), or when no event is left
// (Run). If Run finds simulated goroutines still blocked with no event left, nothing can
// ever wake them: it returns a *DeadlockError listing each with what it waits on, instead
// of hanging. RunFor and RunUntil let time pass over such goroutines (a server waiting
// for requests is normal there); Blocked lists them. A panic in a simulated goroutine or
// a scheduled function stops the run and is re-raised by Run.
//
// Only one simulated goroutine runs at a time, so extra Ps add nothing but the Go
// runtime's background work competing with the run; GOMAXPROCS=1 is the fastest, and it
// is the same run either way.
//
// Simulated goroutines may wait only through simnet (Conn reads, Clock.Sleep). Blocking on
// a channel, a mutex held across a wait, a WaitGroup or real time stops the whole
// simulation, since no other simulated goroutine runs meanwhile. Short critical sections
// are fine. For the same reason the Clock has no channel-based timer (a goroutine waiting
// on its channel would keep the run token and time would never reach the timer);
// Clock.AfterFunc runs a function at a virtual time instead, as a scheduled function, and
// its Timer's Stop cancels it.
//
// # Calls from outside the simulation
//
// Test code may call any method while the network is not running: WriteTo, Close,
// SetReadDeadline, faults, Stats. ReadFrom from test code returns a datagram that is
// already queued, and otherwise fails with ErrNotSimulated instead of blocking, because
// no one would run the network meanwhile; Clock.Sleep there panics. Functions scheduled
// with At, After or Clock.AfterFunc run between simulated goroutines with the same rules:
// they must not block. Run must not be called from
// a simulated goroutine (ErrRunning). Close ends every simulated goroutine (see
// Network.Close), so a t.Cleanup(n.Close) leaks nothing.
//
// # Datagrams
//
// WriteTo copies the payload into a pooled buffer, gives it to the link's netem model and
// never blocks; a payload over MaxPayload (65,507 bytes) fails with ErrTooLarge. A copy
// that leaves its link arrives at the conn bound to the destination port: it is dropped
// and counted if no conn is bound (NoListener), the host is crashed (HostDown) or the
// conn's receive buffer (Config.RecvBuffer bytes, each datagram charged its length plus
// DatagramOverhead) is full (RecvBuffer). ReadFrom copies out, truncating to the buffer
// as UDP does, and returns the sender's address as a *net.UDPAddr shared by all datagrams
// from that conn (so reading allocates nothing; do not modify it). Errors are *net.OpError
// values wrapping os.ErrDeadlineExceeded, net.ErrClosed or this package's sentinels.
//
// # Links and faults
//
// Each directed host pair has a netem.Link, created on first use with the pair's own
// profile (SetLink) or the network default (Config.Default, SetDefault; traffic from a
// host to itself is unimpaired unless set). Its random seed is a hash of the network seed
// and the two addresses, so it does not depend on the order links are created in.
//
// Profiles change mid-run in two ways, and each gives the same result whether or not the
// link has carried traffic yet. SetLink and SetDefault install exactly the profile given,
// as `tc qdisc replace`: a corrupt or rate the new text leaves out is gone. ChangeLink has
// `tc qdisc change` semantics (netem.Link.SetProfile): corrupt, rate, ecn, slot, the
// correlations, seed and the delay table are kept unless given again, the rest is taken
// from the new text. Either way datagrams already on the link keep their due times, and
// the link keeps its counters and its random streams' positions. LinkProfile, and the
// trace's "fault profile", "fault change" and "fault default" lines, show the profile in
// force after the call.
//
// netem's rate and slot byte budgets charge each datagram its payload plus
// HeaderOverhead (28 bytes: the IPv4 and UDP headers), as the kernel's netem and
// realnet/proxy do, so `rate 1mbit` sends 100-byte datagrams 1.024 ms apart. The kernel
// also charges the link-layer header (14 bytes on Ethernet), which simnet does not have;
// add it with rate's packet overhead ("rate 1mbit 14") to match a real Ethernet link.
//
// Partition, PartitionOneWay, LinkDown (both directions) and LinkDownOneWay drop
// datagrams at send time until Heal or LinkUp; datagrams already on a link are on the
// wire and still arrive. Heal ends every partition at once (links stay down), and LinkUp
// brings both directions up. Crash closes a host's conns (errors match net.ErrClosed and
// ErrHostDown) and drops what arrives for it until Restart; what it sent before the crash
// is still delivered. On a real host those datagrams would still sit in the sender's
// netem queue, which a crash or `ip link set down` discards; here a link's queue is the
// wire, so only new datagrams are stopped. Schedule any of these with At.
//
// # Counters and trace
//
// LinkStats, Links and Stats count per link and in total, and satisfy
// Sent + Duplicated = Delivered + Dropped() + InFlight at every instant. With
// Config.Trace set, every packet event is one line:
//
//	00:00:01.000000000 host1->host2 #1 len=4 queued due=00:00:01.050000000
//	00:00:01.050000000 host1->host2 #1 len=4 deliver
//
// Verdicts: queued (with dup, corrupt, reorder flags), lost, limit, deliver, noport,
// hostdown, rcvbuf, partition, down, noroute; faults appear as "fault ..." lines. Lines hold
// only virtual times, names, per-link sequence numbers and sizes, so two runs with the same
// seed produce identical traces that can be diffed.
//
// Config.Observe gets the same events as structured Event values, in the same order, with
// nothing formatted: the cheap way to compute ground truth or a fingerprint of a run
// (Event.AppendText gives an event's trace line when one is wanted). Observing does not
// change the run: the observer gets copies and may not call back into the network.
package simnet
