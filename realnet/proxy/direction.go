package proxy

import (
	"math"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/benbjohnson/clock"

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

// direction is one way through the proxy: one netem link, fed by reader goroutines and
// drained by one timer loop. Dequeue attempts happen where the kernel makes them, after
// each enqueue and when the next packet falls due; dequeued packets wait in ready, in
// dequeue order, for the loop, the only goroutine writing this direction to a socket.
type direction struct {
	dir  Direction            // read-only
	now  func() time.Duration // read-only: time since the proxy started
	clk  clock.Clock          // read-only
	pool *bufPool             // read-only
	out  route                // read-only: where packets leave
	wake chan struct{}        // 1-buffered: packets are ready or an earlier due time exists
	done <-chan struct{}      // read-only: closed when the proxy closes

	mu    sync.Mutex
	link  *netem.Link[*session]    // requires mu
	ready []netem.Packet[*session] // requires mu: dequeued, not yet written, in order

	// unwritten counts copies the link has released but the loop has not yet counted
	// as written (in ready or in the batch about to be written). Raised under mu,
	// lowered without it, just before the write.
	unwritten atomic.Int64
	armed     time.Duration // requires mu: the due time the loop will wake for, or never

	received    atomic.Uint64 // datagrams read for this direction
	rejected    atomic.Uint64 // datagrams not given to the link (no session)
	readErrors  atomic.Uint64 // socket read errors other than close and deadline
	writeErrors atomic.Uint64 // packets the link delivered but the socket refused
	bytesOut    atomic.Uint64 // payload bytes of the delivered copies
	lateSum     atomic.Int64  // nanoseconds past due, summed over written packets
	lateMax     atomic.Int64  // the most any packet was written past its due time
}

func newDirection(dir Direction, prof netem.Profile, seed uint64, now func() time.Duration,
	clk clock.Clock, pool *bufPool, done <-chan struct{}, out route) *direction {
	l := netem.NewLink[*session](prof, seed)
	l.Clone = pool.clone
	return &direction{
		dir: dir, now: now, clk: clk, pool: pool, out: out, done: done,
		wake: make(chan struct{}, 1), link: l, armed: never,
		ready: make([]netem.Packet[*session], 0, maxReady),
	}
}

// enqueue copies data into a pooled buffer and gives it to the link at the current time.
// overhead is what the rate limiter charges on top of the payload (the IP and UDP headers).
func (d *direction) enqueue(s *session, data []byte, overhead int) {
	buf := d.pool.get(len(data))
	copy(buf, data)
	pkt := netem.Packet[*session]{Data: buf, WireLen: len(data) + overhead, Meta: s}

	d.mu.Lock()
	now := d.now()
	orig, dupMade, dup := d.link.Enqueue(now, pkt)
	queued := int64(0)
	if orig == netem.Queued {
		queued++
	}
	if dupMade && dup == netem.Queued {
		queued++
	}
	// Counted under the lock, before the loop can write these copies, so a session is
	// never seen idle while one of its packets is still in the proxy.
	s.inflight.Add(queued)
	d.dequeueLocked(now)
	next, ok := d.link.NextDue()
	signal := len(d.ready) > 0 || ok && next < d.armed
	if ok && next < d.armed {
		d.armed = next
	}
	d.mu.Unlock()

	if orig != netem.Queued {
		// Our buffer is not held: the link never queues a clone without the original
		// (when loss and duplicate both fire, the original goes on).
		d.pool.put(buf)
	}
	if signal {
		select {
		case d.wake <- struct{}{}:
		default: // a wake is already pending; the loop will see this too
		}
	}
}

// dequeueLocked moves every packet the link releases at now to ready, up to maxReady.
func (d *direction) dequeueLocked(now time.Duration) {
	for len(d.ready) < maxReady {
		p, ok := d.link.Dequeue(now)
		if !ok {
			return
		}
		d.ready = append(d.ready, p)
		d.unwritten.Add(1)
	}
}

// loop writes packets out as they fall due until the proxy closes. One reusable timer,
// re-armed for the link's next due time; enqueues that make packets ready, or an earlier
// due time, wake it.
func (d *direction) loop() {
	timer := d.clk.Timer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	batch := make([]netem.Packet[*session], 0, maxReady)
	w := newWriter()
	idlePasses := 0
	for {
		d.mu.Lock()
		// Read under the lock, so the link sees time go forward across goroutines.
		d.dequeueLocked(d.now())
		batch, d.ready = d.ready, batch[:0]
		next, pending := d.link.NextDue()
		d.armed = never
		if pending {
			d.armed = next
		}
		d.mu.Unlock()

		if len(batch) > 0 {
			// Counted before it is written: once a datagram is on the wire it can be read
			// and answered, so whoever observes that (an arrival, a reply) must already
			// find it counted Delivered. Lateness is how late its write started.
			d.account(batch, d.now())
			// Written without the lock: readers keep enqueueing while the socket works.
			if failed := w.write(batch, d.out); failed > 0 {
				d.writeErrors.Add(uint64(failed))
			}
			d.release(batch, d.now())
			idlePasses = 0
			continue // more may have become ready meanwhile
		}

		if !pending {
			select {
			case <-d.wake:
			case <-d.done:
				return
			}
			continue
		}
		wait := next - d.now()
		if wait <= 0 {
			// Due, yet nothing came out: with slots, that dequeue opened a new slot and
			// NextDue has moved. Look again, but never spin.
			if idlePasses++; idlePasses < 3 {
				continue
			}
			wait = 50 * time.Microsecond
		}
		idlePasses = 0
		timer.Reset(wait)
		select {
		case <-timer.C:
		case <-d.wake:
			timer.Stop()
		case <-d.done:
			return
		}
	}
}

// account adds a batch about to be written at t to the delivery counters.
func (d *direction) account(batch []netem.Packet[*session], t time.Duration) {
	var bytes uint64
	var lateSum, lateMax time.Duration
	for i := range batch {
		p := &batch[i]
		late := max(t-p.Due, 0)
		lateSum += late
		lateMax = max(lateMax, late)
		bytes += uint64(len(p.Data))
	}
	d.bytesOut.Add(bytes)
	d.lateSum.Add(int64(lateSum))
	if int64(lateMax) > d.lateMax.Load() {
		d.lateMax.Store(int64(lateMax)) // only the loop's goroutine stores
	}
	// Last: stats reads this first, so whoever sees the copies delivered sees their bytes.
	d.unwritten.Add(-int64(len(batch)))
}

// release hands a written batch's buffers back and marks its sessions active at t.
// Writing a session's datagram is activity: the peer may answer it, so a session must
// not look idle since its last read (a packet delayed past IdleTimeout would otherwise
// have its session expired as it left, and the answer lost). touch comes before the
// inflight decrement, so a sweep finds the session either busy or freshly active.
func (d *direction) release(batch []netem.Packet[*session], t time.Duration) {
	for i := range batch {
		p := &batch[i]
		p.Meta.touch(t)
		p.Meta.inflight.Add(-1)
		d.pool.put(p.Data)
		batch[i] = netem.Packet[*session]{}
	}
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
	select {
	case d.wake <- struct{}{}:
	default:
	}
	return prof
}

func (d *direction) profile() netem.Profile {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.link.Profile()
}

func (d *direction) stats() DirectionStats {
	d.mu.Lock()
	s := d.link.Stats()
	// Released by the link but not yet handed to the socket still counts as in flight,
	// so Delivered means written (or being written) and the conservation law holds.
	// Read under mu, where it only rises together with the link's Delivered, so the
	// subtraction cannot wrap.
	u := uint64(d.unwritten.Load())
	d.mu.Unlock()
	s.Delivered -= u
	s.InFlight += u
	st := DirectionStats{
		Received:    d.received.Load(),
		Rejected:    d.rejected.Load(),
		Sent:        s.Sent,
		Delivered:   s.Delivered,
		Lost:        s.Lost,
		Duplicated:  s.Duplicated,
		Corrupted:   s.Corrupted,
		Reordered:   s.Reordered,
		LimitDrops:  s.LimitDrops,
		InFlight:    s.InFlight,
		WriteErrors: d.writeErrors.Load(),
		ReadErrors:  d.readErrors.Load(),
		BytesOut:    d.bytesOut.Load(),
		LateMaxUS:   float64(d.lateMax.Load()) / 1e3,
	}
	if s.Delivered > 0 {
		st.LateMeanUS = float64(d.lateSum.Load()) / float64(s.Delivered) / 1e3
	}
	return st
}
