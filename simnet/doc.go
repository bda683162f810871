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
// ending, a function scheduled with At, After or Clock.AfterFunc. Events due at the
// current time sit in a FIFO, later ones in a second FIFO when their times only grow (a
// goroutine sleeping for a period, thousands of hosts each sending every 10 ms), else in a
// slice-based 4-ary heap, all of 32-byte events by value (queue.go); the next event is
// the least of the three heads, the exact (time, sequence) order.
//
// Simulated goroutines, started with Network.Go, are Go coroutines (iter.Pull) of which
// exactly one runs at a time: the holder of the run token. One that blocks (ReadFrom with
// nothing queued, Clock.Sleep) or returns records what it waits on and runs the event loop
// itself until it finds the next runnable goroutine; if that is itself it just continues,
// otherwise it hands the token over by a coroutine switch, which the runtime does
// directly, without its scheduler (about 7 times cheaper than a channel hand-off). The
// goroutine that called Run is the driver: it resumes the first coroutine and gets the
// token back when the run stops. Any hand-off is one switch, however many goroutines take
// turns: a goroutine that does not run is parked in some coroutine, and the holder swaps
// places with it there (see transferLocked). Each wait
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
// Only one simulated goroutine runs at a time, so extra Ps add nothing to the simulation
// (sim runs on one); it is the same run whatever GOMAXPROCS is.
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
// # Synctest mode
//
// The cooperative scheduler runs only code written to its rules: goroutines started with
// Network.Go, no go statements, no channels, no package time. Code nobody here wrote
// (miekg/dns, quic-go) and ordinary protocol code break every one of them. For that code
// there is synctest mode: set Config.Synctest and create the network inside a
// testing/synctest bubble (synctest.Test, Go 1.25+):
//
//	synctest.Test(t, func(t *testing.T) {
//		n, _ := simnet.New(simnet.Config{Seed: 1, Default: profile, Synctest: true})
//		defer n.Close()
//		n.AddHost("server"); n.AddHost("client")
//		pc, _ := n.Listen("server:53")           // a dns.Server's PacketConn, a quic.Transport's Conn
//		conn, _ := n.Host("client").Dial("server:53") // a net.Conn for dns.Client.ExchangeWithConn
//		go serve(pc)                              // plain go statements, channels, select
//		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
//		defer cancel()                            // package time's sleeps, timers, timeouts and
//		<-ctx.Done()                              // deadlines from Now: all on the bubble's clock
//	})
//
// The network then runs on the bubble's clock: its virtual time is the bubble's time
// since New (Clock().Now() is package time's Now in the bubble), and the bubble's time
// advances exactly when every goroutine of the bubble is blocked. The event queue and the netem path are the
// cooperative mode's: links' departures, At/After and Clock.AfterFunc functions are
// events, and one bubble timer (time.AfterFunc) is kept at the earliest of them; when it
// fires, every event due runs. Any other call into the network first brings it up to the
// bubble's time and runs what is due. A ReadFrom with nothing queued blocks on a channel
// and, for its deadline, a bubble timer, so its goroutine is durably blocked; a deadline
// moved while it waits takes effect at once. Faults are scheduled with At or with ordinary
// timers; counters, the trace, Observe and fingerprints are the same as in cooperative
// mode. Network.Go starts a plain goroutine, Run waits until those have returned (the
// bubble reports a deadlock if they never can), RunFor and RunUntil sleep on the bubble's
// clock, Clock.Sleep is time.Sleep. Close closes every conn (blocked reads fail with
// net.ErrClosed) and drops pending events; it does not end goroutines, which the bubble
// requires to return by themselves.
//
// The modes cannot be mixed silently. New fails if Config.Synctest is set outside a
// bubble, or unset inside one (the cooperative clock would disagree with time.Now there);
// Run on a cooperative network from inside a bubble fails; a synctest-mode network used
// from outside its bubble panics saying so (after Close its counters may still be read
// from anywhere). Membership is read from the calling goroutine's traceback header
// (", synctest bubble N") where the cost does not matter and, per datagram, from
// time.Now, which carries no monotonic reading inside a bubble.
//
// # Connected conns
//
// Host.Dial and Network.Dial return a conn bound on an ephemeral (or given) port and
// connected to a peer, the analogue of net.DialUDP: it is a net.Conn and a
// net.PacketConn (Read, Write, RemoteAddr, ReadFrom, WriteTo, all three deadlines), reads
// only what the peer sends (datagrams from elsewhere are dropped on arrival and counted as
// NoListener, as Linux answers them with port unreachable), and may still WriteTo any
// address, as sendto on a connected Linux socket may. Addresses are *net.UDPAddr.
// SetReadBuffer sets the conn's receive buffer; SetWriteBuffer is accepted and does
// nothing (writes never block).
//
// # Replay in synctest mode
//
// Every network decision (loss, delay and jitter draws, duplication, reordering,
// corruption, rate and slot) is made by the link's own netem model, from a random stream
// seeded by the network's seed and the link's two addresses, in the order of the link's
// own packets: the n-th datagram on a link gets the same fate in every run with the same
// seed, whatever other goroutines and links do. A run replays exactly when the program
// hands each link the same datagrams in the same order at the same virtual times, which
// is up to the program. package simnettest records runs (Recorder), finds the first event
// where two differ (FirstDiff, Describe), compares them per link (Canonical: events of one
// instant sorted by link) and fails a test that does not replay (Replay). Measured (see
// simnet/thirdparty's TestReplayFigures): the miekg/dns test replays event for event in
// every run at GOMAXPROCS 1 and 2; quic-go does not (0 of 4 runs identical, 1 to 3 of 4
// identical per link), because what it sends at an instant depends on which of its
// goroutines runs first. What breaks replay, and what to do:
//
//   - select between several ready channels picks one at random: give each case its own
//     priority (check the important channel first with a non-blocking receive), or use one
//     channel.
//   - goroutines racing to send on one link at the same virtual instant put their
//     datagrams on it in either order, so each gets the other's fate: send from one
//     goroutine per link, or stagger the senders.
//   - map iteration order is random: sort the keys before sending or scheduling from a map.
//   - crypto/rand (TLS keys, QUIC connection IDs, dns.Id): testing/cryptotest.SetGlobalRandom
//     makes it a seeded stream, but only the order in which goroutines draw from it keeps
//     it the same run to run; set message IDs yourself where the protocol allows it.
//   - math/rand's global functions and time-seeded generators: use a generator seeded from
//     the test (rand.New(rand.NewPCG(seed, ...))).
//   - anything outside the bubble (real sockets, files, other processes): keep it out.
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
