package proxy

import (
	"math"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dist-example/dist-example/simnet/netem"
)

// Direction names one way through the proxy.
type Direction int

const (
	Forward Direction = iota // client to upstream (what -netem impairs)
	Reverse                  // upstream back to the client (what -reverse-netem impairs)
)

// Directions lists both, in report order.
var Directions = [...]Direction{Forward, Reverse}

func (d Direction) String() string {
	switch d {
	case Forward:
		return "forward"
	case Reverse:
		return "reverse"
	}
	return "direction(" + strconv.Itoa(int(d)) + ")"
}

// ParseDirection reads "forward" or "reverse".
func ParseDirection(s string) (Direction, error) {
	switch s {
	case "forward":
		return Forward, nil
	case "reverse":
		return Reverse, nil
	}
	return 0, &DirectionError{Name: s}
}

// DirectionError is returned for a direction name other than forward or reverse.
type DirectionError struct{ Name string }

func (e *DirectionError) Error() string {
	return "proxy: unknown direction " + strconv.Quote(e.Name) + " (accepted: forward, reverse)"
}

// never is the armed time of a loop with nothing queued.
const never = time.Duration(math.MaxInt64)

// maxReady bounds the packets dequeued but not yet written. Past it, packets wait in the
// link, where the profile's limit bounds them: a socket slower than the traffic then
// shows up as limit drops instead of unbounded memory.
const maxReady = 256

// DefaultQueueBytes is the default of Config.QueueBytes.
const DefaultQueueBytes = 64 << 20

// direction is one way through the proxy: one netem link, fed by reader goroutines and
// drained by one loop. Dequeue attempts happen where the kernel makes them, after each
// enqueue and when the next packet falls due; dequeued packets wait in ready, in dequeue
// order, for the loop, the only goroutine writing this direction to a socket.
type direction struct {
	dir      Direction            // read-only
	now      func() time.Duration // read-only: time since the proxy started
	pool     *bufPool             // read-only
	out      route                // read-only: where packets leave
	w        waiter               // sleep is the loop's; kick anyone's (use kick)
	backup   waiter               // the backup loop's, nil for none (see loop)
	done     <-chan struct{}      // read-only: closed when the proxy closes
	seed     uint64               // read-only: the link's, for a link started afresh
	maxBytes int64                // read-only: most payload buffer bytes held at once

	mu    sync.Mutex
	link  *netem.Link[*session]    // requires mu
	ready []netem.Packet[*session] // requires mu: dequeued, not yet written, in order
	// writing is the write token: whoever sets it (the loop, or a reader whose burst left
	// at once) takes ready, writes it with wr and gives spare back; one writer at a time
	// keeps the datagrams in dequeue order.
	writing bool                     // requires mu
	spare   []netem.Packet[*session] // requires mu: the other batch buffer, when not writing
	wr      *writer                  // the token holder's
	base    netem.Stats              // requires mu: counts of links replaced by a reset (InFlight 0)
	flushed uint64                   // requires mu: copies dropped from the queue by a reset

	// unwritten counts copies the link has released but the loop has not yet counted
	// as written (in ready or in the batch about to be written). Raised under mu,
	// lowered without it, just before the write.
	unwritten atomic.Int64
	armed     time.Duration // requires mu: the due time the loop will wake for, or never
	// queued is the buffer bytes of the copies in the link, in ready or being written.
	// Raised under mu, lowered without it once a copy is written.
	queued atomic.Int64

	received    atomic.Uint64 // datagrams read for this direction
	rejected    atomic.Uint64 // datagrams not given to the link (no session)
	byteDrops   atomic.Uint64 // datagrams not given to the link (maxBytes held already)
	readErrors  atomic.Uint64 // socket read errors other than close and deadline
	writeErrors atomic.Uint64 // packets the link delivered but the socket refused
	bytesOut    atomic.Uint64 // payload bytes of the delivered copies
	late        latencyHist   // how long after its due time each copy's write started
}

// inbound is one datagram read for a direction.
type inbound struct {
	s        *session
	data     []byte // the reader's buffer: copied before enqueue returns
	overhead int    // what the rate limiter charges on top of the payload (IP and UDP headers)
}

func newDirection(dir Direction, prof netem.Profile, seed uint64, corr netem.Correlation, maxBytes int64,
	now func() time.Duration, w waiter, pool *bufPool, done <-chan struct{}, out route) *direction {
	d := &direction{
		dir: dir, now: now, pool: pool, out: out, done: done, w: w, seed: seed, maxBytes: maxBytes,
		armed: never, ready: make([]netem.Packet[*session], 0, maxReady),
		spare: make([]netem.Packet[*session], 0, maxReady), wr: newWriter(),
	}
	d.link = d.newLink(prof, corr)
	return d
}

func (d *direction) newLink(prof netem.Profile, corr netem.Correlation) *netem.Link[*session] {
	l := netem.NewLink[*session](prof, d.seed)
	l.Clone = d.pool.clone
	l.SetCorrelation(corr)
	return l
}

// enqueue copies each datagram into a pooled buffer and gives them to the link, in
// order, at the current time: one lock and at most one wake-up of the loop for a burst.
// pkts is the caller's scratch space (returned for reuse). rejected is how many more
// datagrams the caller read but gives nobody (no session): the burst is counted as
// received under the lock, together with what the link made of it, so whoever sees a
// datagram received sees it sent, rejected or dropped too.
//
// When the burst left the link at once and nothing else waits in it (no delay, rate or
// slot held anything back) and nobody is writing, the caller writes the burst itself:
// the link still decided each datagram's fate (loss, duplicates, corruption, limit),
// only the hand-off to the loop and its wake-up are saved. Anything held back still
// goes through the loop, on its due time.
func (d *direction) enqueue(in []inbound, rejected int, pkts []netem.Packet[*session]) []netem.Packet[*session] {
	pkts = pkts[:0]
	for _, x := range in {
		buf := d.pool.get(len(x.data))
		copy(buf, x.data)
		pkts = append(pkts, netem.Packet[*session]{Data: buf, WireLen: len(x.data) + x.overhead, Meta: x.s})
	}

	d.mu.Lock()
	d.rejected.Add(uint64(rejected))
	d.received.Add(uint64(len(in) + rejected))
	now := d.now()
	// What the burst adds to the sessions' and the direction's counts, added up here and
	// applied once a run (still under the lock, before the loop can write any of it).
	var added int64   // buffer bytes now queued
	var sess *session // the session of the current run of datagrams
	var held int64    // copies of sess's datagrams queued in this run
	for i := range pkts {
		pkt := &pkts[i]
		size := int64(cap(pkt.Data))
		if d.queued.Load()+added+size > d.maxBytes {
			d.byteDrops.Add(1)
			continue // pkt.Data goes back to the pool below
		}
		orig, dupMade, dup := d.link.Enqueue(now, *pkt)
		queued := int64(0)
		if orig == netem.Queued {
			queued++
		}
		if dupMade && dup == netem.Queued {
			queued++ // the clone's buffer is of the same class
		}
		// Counted under the lock, before the loop can write these copies, so a session is
		// never seen idle while one of its packets is still in the proxy.
		if pkt.Meta != sess {
			if held != 0 {
				sess.inflight.Add(held)
			}
			sess, held = pkt.Meta, 0
		}
		held += queued
		added += queued * size
		if orig == netem.Queued {
			pkt.Data = nil // the link holds it now
		}
		// The link never queues a clone without the original (when loss and duplicate
		// both fire, the original goes on), so a buffer not queued is not held.

		// A dequeue attempt after each enqueue, as the kernel makes: a burst given to
		// the link first and dequeued after would leave in another order (reorder puts
		// each packet it sends at once at the head of the queue). What it releases is
		// written only after the lock is given back, once the counts below are in.
		d.dequeueLocked(now)
	}
	if held != 0 {
		sess.inflight.Add(held)
	}
	d.queued.Add(added)
	var batch []netem.Packet[*session]
	if len(d.ready) > 0 && !d.writing && d.link.Len() == 0 {
		batch = d.takeLocked()
	}
	next, ok := d.link.NextDue()
	signal := len(d.ready) > 0 || ok && next < d.armed
	if ok && next < d.armed {
		d.armed = next
	}
	d.mu.Unlock()

	for i := range pkts {
		if pkts[i].Data != nil {
			d.pool.put(pkts[i].Data)
		}
		pkts[i] = netem.Packet[*session]{}
	}
	if signal {
		d.kick()
	}
	if batch != nil && d.flush(batch) {
		d.kick() // what came in meanwhile is the loop's
	}
	return pkts
}

// takeLocked takes the write token and the ready packets.
func (d *direction) takeLocked() []netem.Packet[*session] {
	d.writing = true
	batch := d.ready
	d.ready = d.spare[:0]
	d.spare = nil
	return batch
}

// flush writes a batch taken with the token, gives the token back, and reports whether
// packets are waiting (ready, or in the link) for the loop to look at.
func (d *direction) flush(batch []netem.Packet[*session]) (more bool) {
	// Counted before it is written: once a datagram is on the wire it can be read
	// and answered, so whoever observes that (an arrival, a reply) must already
	// find it counted Delivered. Lateness is how late its write started.
	d.account(batch, d.now())
	// Written without the lock: readers keep enqueueing while the socket works.
	if failed := d.wr.write(batch, d.out); failed > 0 {
		d.writeErrors.Add(uint64(failed))
	}
	d.release(batch, d.now())
	d.mu.Lock()
	d.writing = false
	d.spare = batch[:0]
	more = len(d.ready) > 0 || d.link.Len() > 0
	d.mu.Unlock()
	return more
}

// dequeueLocked moves every packet the link releases at now to ready, up to maxReady.
func (d *direction) dequeueLocked(now time.Duration) {
	n := len(d.ready)
	for len(d.ready) < maxReady {
		p, ok := d.link.Dequeue(now)
		if !ok {
			break
		}
		d.ready = append(d.ready, p)
	}
	if k := len(d.ready) - n; k > 0 {
		d.unwritten.Add(int64(k))
	}
}

// kick wakes the loops.
func (d *direction) kick() {
	d.w.kick()
	if d.backup != nil {
		d.backup.kick()
	}
}

// loop writes packets out as they fall due until the proxy closes, sleeping on w until
// the link's next due time; enqueues that make packets ready, or an earlier due time,
// kick it. A direction may run a second loop, the backup, on a waiter of its own: both
// wait for the same due times and whichever gets there first writes (the write token
// keeps one writer at a time, in order), so a thread that the machine stops for a while
// (a virtual CPU descheduled by its host: tens of microseconds to milliseconds, a few
// percent of the time on this project's VM) does not make the packets late, unless both
// are stopped at once. While one loop writes, the other waits for the next due time,
// not for a kick, so that it stays ready to stand in.
func (d *direction) loop(w waiter) {
	defer w.close()
	idlePasses := 0
	for {
		select {
		case <-d.done:
			return
		default:
		}
		d.mu.Lock()
		// Read under the lock, so the link sees time go forward across goroutines.
		d.dequeueLocked(d.now())
		var batch []netem.Packet[*session]
		busy := d.writing
		if !busy && len(d.ready) > 0 {
			batch = d.takeLocked()
		}
		next, pending := d.link.NextDue()
		d.armed = never
		if pending && (!busy || d.backup != nil) {
			d.armed = next // when this loop (or each of the two) wakes
		}
		d.mu.Unlock()

		if batch != nil {
			d.flush(batch)
			idlePasses = 0
			continue // more may have become ready meanwhile
		}
		if !pending || busy && d.backup == nil {
			// Nothing due, or a reader holds the write token: whoever gives it back kicks.
			w.sleep(never)
			continue
		}
		if next <= d.now() {
			// Due, yet nothing came out: with slots, that dequeue opened a new slot and
			// NextDue has moved. Look again, but never spin.
			if idlePasses++; idlePasses < 3 {
				continue
			}
			next = d.now() + 50*time.Microsecond
		}
		idlePasses = 0
		w.sleep(next)
	}
}

// account adds a batch about to be written at t to the delivery counters.
func (d *direction) account(batch []netem.Packet[*session], t time.Duration) {
	var bytes uint64
	for i := 0; i < len(batch); {
		// A burst that left at once shares one due time: one record for the run.
		due, k := batch[i].Due, 0
		for ; i < len(batch) && batch[i].Due == due; i++ {
			bytes += uint64(len(batch[i].Data))
			k++
		}
		d.late.recordN(t-due, uint64(k))
	}
	d.bytesOut.Add(bytes)
	// Last: stats reads this first, so whoever sees the copies delivered sees their bytes.
	d.unwritten.Add(-int64(len(batch)))
}

// release hands a written batch's buffers back and marks its sessions active at t.
// Writing a session's datagram is activity: the peer may answer it, so a session must
// not look idle since its last read (a packet delayed past IdleTimeout would otherwise
// have its session expired as it left, and the answer lost). touch comes before the
// inflight decrement, so a sweep finds the session either busy or freshly active.
func (d *direction) release(batch []netem.Packet[*session], t time.Duration) {
	var bytes int64
	for i := 0; i < len(batch); {
		s, k := batch[i].Meta, int64(0) // a run of one session's datagrams
		for ; i < len(batch) && batch[i].Meta == s; i++ {
			p := &batch[i]
			bytes += int64(cap(p.Data))
			d.pool.put(p.Data)
			batch[i] = netem.Packet[*session]{}
			k++
		}
		s.touch(t)
		s.inflight.Add(-k)
	}
	d.queued.Add(-bytes)
}

// setProfile installs prof, exactly (replace) or with tc's "change" semantics, and
// returns the profile now in force. Either way queued packets keep their due times and
// the counters go on. The loop is woken in case the next due time moved (a new slot
// setting can move it).
func (d *direction) setProfile(prof netem.Profile, change bool) netem.Profile {
	d.mu.Lock()
	if change {
		d.link.SetProfile(prof)
	} else {
		d.link.Replace(prof)
	}
	prof = d.link.Profile()
	d.mu.Unlock()
	d.kick()
	return prof
}

// reset starts a new link with prof, as deleting and re-adding the qdisc does: every
// copy queued in the old one is dropped and counted Flushed, and the new link draws from
// the direction's seed afresh. Packets already released to be written still go. The
// counters go on.
func (d *direction) reset(prof netem.Profile) netem.Profile {
	d.mu.Lock()
	old := d.link
	st := old.Stats()
	var bytes int64
	// Drain the old link: it is discarded, so its own counts of these do not matter.
	for guard := 4*old.Len() + 16; old.Len() > 0 && guard > 0; guard-- {
		next, ok := old.NextDue()
		if !ok {
			break
		}
		p, ok := old.Dequeue(next)
		if !ok {
			continue // a slot opened; NextDue has moved
		}
		p.Meta.inflight.Add(-1)
		bytes += int64(cap(p.Data))
		d.pool.put(p.Data)
	}
	d.queued.Add(-bytes)
	d.flushed += st.InFlight
	st.InFlight = 0
	d.base = addStats(d.base, st)
	d.link = d.newLink(prof, old.Correlation())
	prof = d.link.Profile()
	d.mu.Unlock()
	d.kick()
	return prof
}

// addStats sums two links' counters.
func addStats(a, b netem.Stats) netem.Stats {
	a.Sent += b.Sent
	a.Delivered += b.Delivered
	a.Lost += b.Lost
	a.Duplicated += b.Duplicated
	a.Corrupted += b.Corrupted
	a.Reordered += b.Reordered
	a.LimitDrops += b.LimitDrops
	a.ECNMarked += b.ECNMarked
	a.InFlight += b.InFlight
	return a
}

func (d *direction) profile() netem.Profile {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.link.Profile()
}

func (d *direction) stats() DirectionStats {
	d.mu.Lock()
	s := addStats(d.base, d.link.Stats())
	flushed := d.flushed
	// Released by the link but not yet handed to the socket still counts as in flight,
	// so Delivered means written (or being written) and the conservation law holds.
	// Read under mu, where it only rises together with the link's Delivered, so the
	// subtraction cannot wrap.
	u := uint64(d.unwritten.Load())
	d.mu.Unlock()
	s.Delivered -= u
	s.InFlight += u
	late := d.late.snapshot()
	us := func(t time.Duration) float64 { return float64(t) / 1e3 }
	return DirectionStats{
		Received:       d.received.Load(),
		Rejected:       d.rejected.Load(),
		ByteLimitDrops: d.byteDrops.Load(),
		Sent:           s.Sent,
		Delivered:      s.Delivered,
		Lost:           s.Lost,
		Duplicated:     s.Duplicated,
		Corrupted:      s.Corrupted,
		Reordered:      s.Reordered,
		LimitDrops:     s.LimitDrops,
		Flushed:        flushed,
		InFlight:       s.InFlight,
		QueuedBytes:    uint64(max(d.queued.Load(), 0)),
		WriteErrors:    d.writeErrors.Load(),
		ReadErrors:     d.readErrors.Load(),
		BytesOut:       d.bytesOut.Load(),
		LateMeanUS:     us(late.Mean),
		LateP50US:      us(late.P50),
		LateP90US:      us(late.P90),
		LateP99US:      us(late.P99),
		LateMaxUS:      us(late.Max),
	}
}
