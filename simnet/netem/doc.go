// Package netem is the fault model of Linux's netem qdisc as a pure, deterministic
// value: a Profile parsed from the same text `tc qdisc ... netem` takes, and a Link that
// runs netem's enqueue and dequeue pipeline on packets. It knows nothing of goroutines,
// clocks or scheduling: the caller passes the current time to every call, so the
// simulator (virtual time) and the userspace proxy (real time) share one implementation,
// and one profile text means the same thing there and on a VM's tc.
//
// # Usage
//
//	p, err := netem.Parse("delay 50ms 10ms 25% loss 1% duplicate 0.5% reorder 10%")
//	if err != nil { ... }        // *ParseError names the token and the rule
//	l := netem.NewLink[Addr](p, seed)
//	l.Enqueue(now, netem.Packet[Addr]{Data: payload, Meta: to})
//	for {
//		pkt, ok := l.Dequeue(now)
//		if !ok { break }
//		deliver(pkt)
//	}
//	if next, ok := l.NextDue(); ok { /* arm a timer for next, then Dequeue again */ }
//
// # Semantics
//
// The pipeline follows the kernel's netem_enqueue (Linux 6.18): duplicate draw, loss
// draw (with ECN marking), drop if no copy remains, clone, corrupt, limit check against
// every packet held, the clone's own pass (never duplicated again) ahead of the
// original, then the reorder decision, or the delay draw, rate, and insertion by time to
// send with ties in arrival order. Dequeue gives the reordered packets first (newest
// first, as the kernel puts them at the head of its queue), then the earliest due
// packet once its slot is open. Probabilities are tc's 32-bit fixed point and fire when
// a 32-bit draw R ≤ P; as in the kernel, a probability of 0 (loss, duplicate, corrupt)
// takes no draw at all, and neither does a delay without jitter. The normal, pareto
// and paretonormal tables are generated as iproute2 generates its .dist files, entry
// for entry equal to them (see dist.go); any other name is read from tc's library
// directory as tc reads it (LoadTable: $TC_LIB_DIR, else /usr/lib/<triplet>/tc,
// /usr/lib/tc, /usr/lib64/tc), so "distribution experimental" and tables made with
// iproute2's maketable work, and Profile.TableSources says where each came from.
// Jitter is capped at 2^31−1 ns as in the kernel, and uniform jitter keeps the kernel's
// R mod 2J, whose modulo bias lowers the mean delay noticeably once 2J is a sizeable
// fraction of 2^32 ns (about 4.3 s).
//
// SetProfile applies tc's "change" semantics (see its doc): a setting counts as given
// when it is nonzero, so "corrupt 0%" or "rate 0" cannot clear a corrupt or rate setting
// there (tc change with "rate 0" would); Replace installs a profile exactly, as
// deleting and re-adding the qdisc would.
//
// # Where this differs from the kernel, and why
//
//   - Correlation. The kernel's get_crandom averages each draw with the previous one,
//     which pulls values towards the middle: "loss 1% 25%" loses almost nothing and
//     "reorder 25% 50%" reorders about 7%. Here a correlated draw repeats the previous
//     uniform value with probability rho and is fresh otherwise, so the event rate is the
//     stated percentage and the lag-1 correlation is the stated one (also for delay).
//     Link.SetCorrelation(CorrelationKernel) switches a link to get_crandom itself, for
//     runs that must lose, reorder and jitter as a real qdisc given the same text does.
//   - Randomness. Every draw comes from the link's seed: netem's own PRNG is a PCG
//     stream, and what the kernel takes from its unseeded RNG (the corrupted byte and
//     bit, uniform slot intervals, the initial correlation state) comes from a second
//     PCG stream. A profile's "seed N" replaces the link seed for the first stream only,
//     as tc's seed seeds only netem's PRNG.
//   - Corrupt flips one bit of Data, the payload: the simulator has no L2/IP header or
//     checksum, so the application sees the damaged payload. An empty payload cannot be
//     corrupted and is not counted.
//   - Lengths. Rate and the slot byte budget charge Packet.WireLen (len(Data) when 0),
//     which the driver sets: simnet and realnet/proxy charge the payload plus the IP and
//     UDP headers. The kernel charges the whole frame, link-layer header included (14
//     bytes on Ethernet), which a profile adds with rate's packet overhead.
//   - ECN. Packets carry an ECT flag set by the caller; with "ecn" a loss event marks an
//     ECT packet CE (Packet.CE) instead of dropping it. UDP traffic that leaves ECT
//     false is dropped, as the kernel drops non-ECT packets.
//   - Negative overheads that would make a length negative are clamped at 0 (the kernel
//     wraps them to an enormous transmit time).
//   - Slots: Dequeue is one kernel dequeue attempt, and a slot is redrawn when an attempt
//     finds the head packet due after the slot; call Dequeue after each Enqueue and at
//     NextDue, as the kernel's qdisc_run and watchdog do.
//   - Due is never before Sent; the kernel's raw time to send (which a negative delay
//     can put in the past) still orders the queue.
//
// # The text
//
// Parse accepts tc's netem grammar (iproute2 tc/q_netem.c) with tc's keyword prefixes
// (first match in tc's order: limit, latency, delay, loss, drop, seed, ecn, reorder,
// corrupt, gap, duplicate, distribution, rate, slot) and tc's checks: reorder needs a
// delay, gap needs reorder, ecn needs loss, a distribution needs delay and jitter,
// percentages lie in 0..100. It is stricter where tc's reading would surprise:
//
//   - A time needs a unit: a bare number is ns to tc ≥ 6.9, µs to older tc and ms to
//     tcset, so "delay 10" is an error that asks for one.
//   - Each keyword may appear once (tc lets most later ones win, partially).
//   - "distribution uniform" is accepted and means the default uniform jitter (tc fails
//     on it for want of a uniform.dist file, but users expect it to work); String leaves
//     it out. normal, pareto and paretonormal are always the built-in tables (tc would
//     read a same-named file from TC_LIB_DIR). A table file's name is letters, digits,
//     '.', '_', '-' and '+', never a path; in the file, junk or a value outside int16 is
//     an error naming the line (tc skips the rest of the line, or wraps the value).
//   - A duplicate correlation without any other nonzero correlation is an error: tc
//     would silently not send it.
//   - "limit 0" (drop everything) and "rate N%" (needs a real device) are errors;
//     numbers are plain decimals (tc's strtod also takes exponents and hex). "rate 0"
//     is no rate limit, as in tc; a nonzero rate below 8bit, which tc truncates to that,
//     is an error, and so are overheads after rate 0 (they would charge nothing).
//   - Percentages round as tc's rint does (an exact half to even: 30% is 1288490188).
//
// String prints canonical text in a fixed order with exact units, which Parse reads
// back to the same Profile; the zero Profile prints "".
package netem
