// Package proxy is netem in user space for real UDP: a relay that puts delay, jitter,
// loss, duplication, corruption, reordering and rate limits on the datagrams passing
// through it, with no privileges and no kernel module. Each direction runs the very same
// fault model as the simulator (package simnet/netem, driven here by the real clock), so
// a profile written for simnet means the same on a real network.
//
// Usage:
//
//	fwd, err := netem.Parse("delay 20ms 5ms loss 2%")
//	if err != nil { ... } // names the offending token
//	p, err := proxy.New(proxy.Config{
//		Listen:   "127.0.0.1:9001", // clients send here
//		Upstream: "127.0.0.1:9000", // the real server
//		Forward:  fwd,              // client -> server; Reverse impairs the replies
//		Seed:     1,
//	})
//	if err != nil { ... }
//	defer p.Close() // releases every socket and goroutine
//	...
//	p.SetProfile(proxy.Forward, other) // at once; queued packets and counters are kept
//	p.ChangeProfile(proxy.Forward, o)  // the same with "tc qdisc change" semantics
//	c := p.Counters()                  // per direction, as simnet counts its links
//	http.Serve(ln, p.Handler())        // the control API (see Handler, ListenControl)
//
// How it works. Each client address gets a session: its own socket connected to the
// upstream, so replies come back on it and go to that client; sessions idle for
// IdleTimeout are closed, and at most MaxSessions exist (datagrams from further clients
// are dropped and counted). One goroutine reads the listen socket, one per session reads
// its upstream socket; both give each datagram to the direction's netem link with
// now = time since the proxy started, and attempts a dequeue right after, as the kernel
// does. One loop per direction sleeps on a single timer until the link's next due time
// (or until an enqueue makes packets ready or an earlier due time) and writes out
// everything released, in the link's order. There is no goroutine or timer per packet.
// On Linux bursts are read with recvmmsg and written with sendmmsg (golang.org/x/net),
// runs of one size toward loopback as one segmented send (UDP GSO). A burst the link
// releases at once, with nothing else in it and no write under way, is written by the
// reader that enqueued it: the loop is only woken for what has to wait.
//
// Delivery times: with the real clock on Linux each loop sleeps on a timerfd on a thread
// of its own (at real-time priority where allowed) and spins the last 150 to 800 µs (as
// late as the thread has lately woken), so writes
// start within microseconds of their due times. With more than one CPU a backup loop
// per direction waits for the same due times on a thread of its own and writes whatever
// the other, stopped by the machine for a while, has not (direction.loop); elsewhere, or with a Config.Clock, Go's
// timers can be a millisecond late. DirectionStats.Late* (mean, p50, p90, p99, max)
// report how late packets actually left. README.md documents the command and the API.
//
// Memory is bounded: a link holds at most the profile's limit (default 1000 packets,
// each at most 64 KiB) and at most Config.QueueBytes of payload, each session owns one 64 KiB read buffer, idle payload buffers
// are pooled up to 4 MiB per size class, and the session table is capped.
//
// The rate limiter charges each datagram its payload plus the IP and UDP headers (28
// bytes over IPv4, 48 over IPv6); add link-layer framing with rate's packet overhead.
package proxy
