package scenario

import (
	"encoding/hex"
	"net/netip"

	"github.com/dist-example/dist-example/simnet"
	"github.com/dist-example/dist-example/simnet/internal/record"
)

// Truth is what the network itself did to the sender's datagrams, from the simulator's
// events: a datagram is one successful WriteTo of the sender; a copy is one packet on the
// link (netem's duplicate makes a second copy).
type Truth struct {
	Sent        uint64 `json:"sent"`        // datagrams the sender wrote
	Copies      uint64 `json:"copies"`      // copies delivered to the receiver's socket
	Delivered   uint64 `json:"delivered"`   // datagrams with at least one copy delivered
	Undelivered uint64 `json:"undelivered"` // datagrams with no copy delivered (the sum of the By* causes)
	ByLoss      uint64 `json:"by_loss"`     // ...whose first copy the loss model removed
	ByLimit     uint64 `json:"by_limit"`    // ...tail-dropped at the queue limit
	ByPartition uint64 `json:"by_partition"`
	ByOther     uint64 `json:"by_other"` // ...refused at the receiving host (no port, host down, buffer full), or still in flight
	// Edge counts the undelivered datagrams sent before the first or after the last
	// delivered one: no receiver can tell they existed, so its Lost excludes them.
	Edge      uint64 `json:"edge"`
	Extra     uint64 `json:"extra"`     // copies delivered beyond the first of their datagram
	Reordered uint64 `json:"reordered"` // datagrams whose first copy arrived after a copy of a later datagram
	Corrupted uint64 `json:"corrupted"` // copies delivered with one bit flipped
}

// LostInRange is what a receiver can see as lost: the undelivered datagrams between the
// first and the last delivered one.
func (t Truth) LostInRange() uint64 { return t.Undelivered - t.Edge }

// Fate of a datagram's first copy.
const (
	fateNone uint8 = iota
	fateQueued
	fateLost
	fateLimit
	fatePartition
	fateDown
)

// delivery is one copy queued at the receiver's socket, waiting to be read.
type delivery struct {
	idx     int32 // datagram (send index)
	corrupt bool
}

// sink observes the simulator's events (simnet.Config.Observe): it hashes every event's
// canonical encoding (the fingerprint) and follows the data link's events to learn each
// datagram's fate. The simulator reports an enqueue while a WriteTo is under way, so the
// datagram a queued/lost/limit/partition event belongs to is the one being written (see
// begin/end), and a delivery names its copy by the link's sequence number.
type sink struct {
	h      *hasher // of every event's encoding
	events int

	src, dst  [4]byte // the data link's hosts
	following bool    // src and dst are set: work out the ground truth of their link

	writing bool  // a sender WriteTo is under way
	curN    int64 // the number it carries
	cur     int32 // its datagram, -1 until its first event

	dgs   []datagram // by send index
	nums  nums       // the number each datagram carried
	bySeq seqs       // the datagram of each copy on the link, by sequence number
	fifo  []delivery // the copies delivered and not read yet, if checkReads
	// checkReads: keep fifo, for readConn's check of each read (Config.NoReadCheck unset).
	checkReads bool
	head       int
	maxIdx     int32 // highest datagram delivered so far, -1 before any

	t Truth
}

// datagram is what the sink knows of one datagram the sender wrote (besides its number,
// in nums): what happened to its first copy, and whether a copy was delivered.
type datagram uint8

// delivered is the bit of a datagram with a copy delivered; the bits below are its fate.
const delivered datagram = 1 << 7

func (d datagram) fate() uint8 { return uint8(d &^ delivered) }

// maxPrealloc bounds the datagrams a sink makes room for up front.
const maxPrealloc = 1 << 22

// newSink returns a sink; expect, if positive, is how many datagrams the sender will
// write, so that the per-datagram tables are allocated once.
func newSink(expect int) *sink {
	s := &sink{h: newHasher(), cur: -1, maxIdx: -1}
	if expect = min(expect, maxPrealloc); expect > 0 {
		s.dgs = make([]datagram, 0, expect)
		// Two runs per duplicate: room for 3% duplicates, so that the runs are not
		// copied as they grow (room that is never used is never touched).
		s.bySeq.runs = make([]seqRun, 0, expect/16+16)
	}
	return s
}

// num is the number datagram idx carried.
func (s *sink) num(idx int32) int64 { return s.nums.of(idx) }

// follow makes the sink work out the ground truth of the link from src to dst.
func (s *sink) follow(src, dst netip.Addr) { s.src, s.dst, s.following = src.As4(), dst.As4(), true }

// attach makes n hand the sink every event (before Config.Observe sees it); n must have
// no links yet.
func (s *sink) attach(n *simnet.Network) error { return record.Attach(n, s.record) }

// record is the simulator's internal observer.
func (s *sink) record(r *record.Record) {
	s.events++
	s.h.append(r)
	if r.Src != s.src || r.Dst != s.dst || !s.following {
		return
	}
	switch simnet.EventKind(r.Kind) {
	case simnet.EvQueued:
		s.enqueued(r, fateQueued)
	case simnet.EvLost:
		s.enqueued(r, fateLost)
	case simnet.EvLimit:
		s.enqueued(r, fateLimit)
	case simnet.EvPartition:
		s.enqueued(r, fatePartition)
	case simnet.EvDown:
		s.enqueued(r, fateDown)
	case simnet.EvDeliver:
		s.delivered(r.Seq, r.Flags&record.Corrupt != 0)
	}
}

// fingerprint is the first 16 hex digits of the SHA-256 of every event's encoding.
func (s *sink) fingerprint() string {
	return hex.EncodeToString(s.h.digest()[:8])
}

// begin and end bracket a sender WriteTo of number n; ok says whether it succeeded.
func (s *sink) begin(n int64) { s.writing, s.curN, s.cur = true, n, -1 }

func (s *sink) end(ok bool) {
	if ok && s.cur < 0 {
		s.newDatagram() // accepted but not traced (a route to nowhere): sent all the same
	}
	s.writing = false
}

func (s *sink) newDatagram() int32 {
	s.cur = int32(len(s.dgs))
	s.dgs = append(s.dgs, 0)
	s.nums.add(s.cur, s.curN)
	s.t.Sent++
	return s.cur
}

func (s *sink) enqueued(r *record.Record, fate uint8) {
	if !s.writing {
		return // not the sender's: nothing else writes on the data link
	}
	idx := s.cur
	if idx < 0 {
		idx = s.newDatagram()
	}
	if fate == fateQueued || fate == fateLost || fate == fateLimit { // a copy on the link: it has a Seq
		s.bySeq.set(r.Seq, idx)
	}
	if r.Flags&record.Dup == 0 {
		s.dgs[idx] = s.dgs[idx]&delivered | datagram(fate)
	}
}

func (s *sink) delivered(seq uint64, corrupt bool) {
	idx, ok := s.bySeq.get(seq)
	if !ok {
		return
	}
	s.t.Copies++
	if corrupt {
		s.t.Corrupted++
	}
	d := &s.dgs[idx]
	if *d&delivered == 0 {
		*d |= delivered
		s.t.Delivered++
		if idx < s.maxIdx {
			s.t.Reordered++
		}
	} else {
		s.t.Extra++
	}
	s.maxIdx = max(s.maxIdx, idx)
	if !s.checkReads {
		return
	}
	if s.head > 0 && s.head == len(s.fifo) {
		s.fifo, s.head = s.fifo[:0], 0
	}
	s.fifo = append(s.fifo, delivery{idx: idx, corrupt: corrupt})
}

// nextDelivery pops the oldest copy delivered and not yet read.
func (s *sink) nextDelivery() (delivery, bool) {
	if s.head == len(s.fifo) {
		return delivery{}, false
	}
	d := s.fifo[s.head]
	s.head++
	return d, true
}

// truth finishes the per-datagram accounting.
func (s *sink) truth() Truth {
	t := s.t
	first, last := -1, -1
	for i := range s.dgs {
		if s.dgs[i]&delivered != 0 {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	for i := range s.dgs {
		if s.dgs[i]&delivered != 0 {
			continue
		}
		t.Undelivered++
		if i < first || i > last || first < 0 {
			t.Edge++
		}
		switch s.dgs[i].fate() {
		case fateLost:
			t.ByLoss++
		case fateLimit:
			t.ByLimit++
		case fatePartition:
			t.ByPartition++
		default:
			t.ByOther++
		}
	}
	return t
}
