package scenario

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"io"
)

// Truth is what the network itself did to the sender's datagrams, from the simulator's
// trace: a datagram is one successful WriteTo of the sender; a copy is one packet on the
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

// sink receives the simulator's trace: it hashes every byte (the fingerprint), copies it
// to an optional writer, and reads the lines of the data link to learn each datagram's
// fate. The simulator writes a line while a WriteTo or a delivery is under way, so the
// datagram a "queued"/"lost" line belongs to is the one being written (see begin/end),
// and a "deliver" line names the copy by the link's sequence number.
type sink struct {
	h     hash.Hash
	out   io.Writer // optional copy of the trace
	lines int
	part  []byte // an unfinished line, if a Write ended mid-line
	link  []byte // "src->dst" of the data link
	err   error  // first error of out

	writing bool  // a sender WriteTo is under way
	curN    int64 // the number it carries
	cur     int32 // its datagram, -1 until its first trace line

	nums   []int64 // per datagram: the number it carried
	fate   []uint8 // per datagram: what happened to its first copy
	copies []uint8 // per datagram: copies delivered (saturating)
	bySeq  []int32 // per link sequence number: the datagram, -1 if unknown
	corr   []bool  // per link sequence number: the copy was corrupted
	fifo   []delivery
	head   int
	maxIdx int32 // highest datagram delivered so far, -1 before any

	t Truth
}

func newSink(out io.Writer, link string) *sink {
	return &sink{h: sha256.New(), out: out, link: []byte(link), cur: -1, maxIdx: -1}
}

// Write implements io.Writer for simnet.Config.Trace.
func (s *sink) Write(p []byte) (int, error) {
	s.h.Write(p)
	if s.out != nil && s.err == nil {
		_, s.err = s.out.Write(p)
	}
	if len(s.part) == 0 && len(p) > 0 && p[len(p)-1] == '\n' && bytes.IndexByte(p, '\n') == len(p)-1 {
		s.line(p[:len(p)-1]) // the simulator's case: exactly one line per Write
		return len(p), nil
	}
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			s.part = append(s.part, p...)
			break
		}
		if len(s.part) > 0 {
			s.part = append(s.part, p[:i]...)
			s.line(s.part)
			s.part = s.part[:0]
		} else {
			s.line(p[:i])
		}
		p = p[i+1:]
	}
	return len(p), nil
}

// fingerprint is the first 16 hex digits of the SHA-256 of the whole trace.
func (s *sink) fingerprint() string {
	var sum [sha256.Size]byte
	return hex.EncodeToString(s.h.Sum(sum[:0])[:8])
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
	s.cur = int32(len(s.nums))
	s.nums = append(s.nums, s.curN)
	s.fate = append(s.fate, fateNone)
	s.copies = append(s.copies, 0)
	s.t.Sent++
	return s.cur
}

// line reads one trace line: "VT src->dst #SEQ len=N VERDICT [flags]" or
// "VT src->dst #- len=N partition|down"; other lines (faults, other links) only count.
func (s *sink) line(b []byte) {
	s.lines++
	sp := bytes.IndexByte(b, ' ')
	if sp < 0 || len(s.link) == 0 {
		return
	}
	b = b[sp+1:]
	if !bytes.HasPrefix(b, s.link) || len(b) < len(s.link)+2 || b[len(s.link)] != ' ' || b[len(s.link)+1] != '#' {
		return
	}
	b = b[len(s.link)+2:]
	seq := int64(-1)
	if len(b) > 0 && b[0] == '-' {
		b = b[1:]
	} else {
		seq = 0
		for len(b) > 0 && b[0] >= '0' && b[0] <= '9' {
			seq = seq*10 + int64(b[0]-'0')
			b = b[1:]
		}
	}
	// skip " len=N "
	if i := bytes.IndexByte(b[min(1, len(b)):], ' '); i >= 0 {
		b = b[i+2:]
	} else {
		return
	}
	verdict, flags := b, []byte(nil)
	if i := bytes.IndexByte(b, ' '); i >= 0 {
		verdict, flags = b[:i], b[i:]
	}
	dup := bytes.Contains(flags, []byte(" dup"))
	switch string(verdict) {
	case "queued", "lost", "limit", "partition", "down":
		s.enqueued(seq, string(verdict), dup, bytes.Contains(flags, []byte(" corrupt")))
	case "deliver":
		s.delivered(seq)
	}
}

func (s *sink) enqueued(seq int64, verdict string, dup, corrupt bool) {
	if !s.writing {
		return // not the sender's: nothing else writes on the data link
	}
	idx := s.cur
	if idx < 0 {
		idx = s.newDatagram()
	}
	if seq >= 0 {
		for int64(len(s.bySeq)) <= seq {
			s.bySeq = append(s.bySeq, -1)
			s.corr = append(s.corr, false)
		}
		s.bySeq[seq] = idx
		s.corr[seq] = corrupt
	}
	if dup {
		return
	}
	switch verdict {
	case "queued":
		s.fate[idx] = fateQueued
	case "lost":
		s.fate[idx] = fateLost
	case "limit":
		s.fate[idx] = fateLimit
	case "partition":
		s.fate[idx] = fatePartition
	case "down":
		s.fate[idx] = fateDown
	}
}

func (s *sink) delivered(seq int64) {
	if seq < 0 || seq >= int64(len(s.bySeq)) || s.bySeq[seq] < 0 {
		return
	}
	idx, corrupt := s.bySeq[seq], s.corr[seq]
	s.t.Copies++
	if corrupt {
		s.t.Corrupted++
	}
	if s.copies[idx] == 0 {
		s.t.Delivered++
		if idx < s.maxIdx {
			s.t.Reordered++
		}
	} else {
		s.t.Extra++
	}
	if s.copies[idx] < 255 {
		s.copies[idx]++
	}
	s.maxIdx = max(s.maxIdx, idx)
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
	for i, c := range s.copies {
		if c > 0 {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	for i, c := range s.copies {
		if c > 0 {
			continue
		}
		t.Undelivered++
		if i < first || i > last || first < 0 {
			t.Edge++
		}
		switch s.fate[i] {
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
