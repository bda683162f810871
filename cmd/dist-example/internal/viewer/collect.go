package viewer

import (
	"time"

	"github.com/dist-example/dist-example/simnet"
)

// Fate is what became of one copy of a datagram; each has its colour on the page.
type Fate uint8

const (
	InOrder   Fate = iota // the datagram's first copy delivered, after no later datagram's
	Reordered             // the datagram's first copy delivered after a later datagram's copy
	Duplicate             // a copy delivered after the datagram's first one
	Lost                  // removed by netem's loss model
	Limit                 // tail-dropped at netem's queue limit
	Cut                   // refused by a partition or a down link, or arrived at a crashed host
	Refused               // arrived where nobody listens, or at a full receive buffer
	InFlight              // still on the link when the run ended
	NumFates
)

var fateNames = [NumFates]string{"in order", "reordered", "duplicate", "lost", "limit", "cut", "refused", "in flight"}

func (f Fate) String() string {
	if f < NumFates {
		return fateNames[f]
	}
	return "?"
}

// MaxCopies is the bound on copies a page holds one by one (about 10 bytes each in the
// file). A run with more keeps the first MaxCopies individually and every copy in the
// per-bucket counts, which the page draws where it has no individual copies.
const MaxCopies = 500_000

// maxCopies is MaxCopies, lowered by tests.
var maxCopies = MaxCopies

// buckets is how many per-bucket counts span the run's duration (more follow while the
// link drains).
const buckets = 2000

// first-event codes of a copy (what happened when it was sent).
const (
	sendQueued byte = 'q'
	sendLost   byte = 'l'
	sendLimit  byte = 'm'
	sendCut    byte = 'p' // partition
	sendDown   byte = 'd'
)

// arrival codes.
const (
	arrNone     byte = 0
	arrDeliver  byte = 'D'
	arrNoPort   byte = 'N'
	arrHostDown byte = 'H'
	arrRecvBuf  byte = 'B'
)

// Copy is one copy of a datagram on a link, as the page holds it.
type Copy struct {
	DG                    int32         // the datagram: its index among the link's datagrams, from 0
	Seq                   int64         // the link's sequence number, -1 for a copy refused before the link
	Sent                  time.Duration // its first event
	Due                   time.Duration // when it was due to leave (queued copies)
	Arrived               time.Duration // when it left the link, -1 if it never did
	Len                   int
	Send                  byte // sendQueued, ...
	Arrive                byte // arrNone, arrDeliver, ...
	Dup, Corrupt, Reorder bool
	Fate                  Fate
}

// Link is everything the page shows of one direction.
type Link struct {
	Src, Dst string
	port     uint16 // the destination port of its first copy (for noport lines)
	Copies   []Copy // the first MaxCopies, in the order of their first event
	Dropped  int    // copies beyond MaxCopies (counted in Counts only)
	// Counts[b][f]: copies with fate f whose first event fell in bucket b.
	Counts [][NumFates]uint32
	// QueueMax[b]: the most copies on the link (netem's queue) during bucket b.
	QueueMax []uint32
	// Intervals: the network's counts per interval of the collector's Every.
	Intervals []IntervalTruth

	queue   uint32
	bySeq   []int32     // link sequence number -> copy (light index)
	light   []lightCopy // every copy
	dgs     []dgState
	maxDG   int32
	pending struct { // a duplicate seen before its original (netem reports the clone first)
		seq uint64
		dg  int32
		ok  bool
	}
}

type lightCopy struct {
	sent int64
	dg   int32
	full int32 // index in Copies, -1 beyond MaxCopies
}

type dgState struct {
	sent      int64 // the first event of its first copy
	delivered bool
}

// Fault is a fault or profile change, at its virtual time.
type Fault struct {
	At     time.Duration
	Detail string
}

// Collector builds a page's data from the simulator's events (simnet.Config.Observe,
// or scenario.Config.Observe). The zero value is not usable; see NewCollector.
type Collector struct {
	Width  time.Duration // of a bucket
	Every  time.Duration // of an interval (IntervalTruth)
	Links  []*Link       // in order of their first event
	Hosts  []string      // in order of first appearance
	Faults []Fault
	End    time.Duration // the last event's time
	Events int
}

// NewCollector returns a collector for a run whose sender stops at duration, counting
// the network's view per interval of every (the receiver's summary interval).
func NewCollector(duration, every time.Duration) *Collector {
	w := max(time.Millisecond, (duration+buckets-1)/buckets)
	return &Collector{Width: w, Every: max(every, time.Millisecond)}
}

func (c *Collector) link(ev *simnet.Event) *Link {
	for _, l := range c.Links {
		if l.Src == ev.SrcHost && l.Dst == ev.DstHost {
			return l
		}
	}
	c.host(ev.SrcHost)
	c.host(ev.DstHost)
	l := &Link{Src: ev.SrcHost, Dst: ev.DstHost, port: ev.Port, maxDG: -1}
	c.Links = append(c.Links, l)
	return l
}

func (c *Collector) host(name string) {
	for _, h := range c.Hosts {
		if h == name {
			return
		}
	}
	c.Hosts = append(c.Hosts, name)
}

func (c *Collector) bucket(at time.Duration) int { return int(at / c.Width) }

// grow makes room for bucket b. The buckets it adds held the queue as it is now, since
// nothing changed it between the last event and this one: that is their maximum so far
// (a copy in flight across a bucket with no event is on the link all through it).
func (l *Link) grow(b int) {
	for len(l.Counts) <= b {
		l.Counts = append(l.Counts, [NumFates]uint32{})
		l.QueueMax = append(l.QueueMax, l.queue)
	}
}

// Observe takes one event. Events must come in the simulator's order.
func (c *Collector) Observe(ev simnet.Event) {
	c.Events++
	c.End = max(c.End, ev.At)
	switch ev.Kind {
	case simnet.EvFault:
		c.Faults = append(c.Faults, Fault{At: ev.At, Detail: ev.Detail})
	case simnet.EvQueued:
		c.send(&ev, sendQueued)
	case simnet.EvLost:
		c.send(&ev, sendLost)
	case simnet.EvLimit:
		c.send(&ev, sendLimit)
	case simnet.EvPartition:
		c.send(&ev, sendCut)
	case simnet.EvDown:
		c.send(&ev, sendDown)
	case simnet.EvDeliver:
		c.arrive(&ev, arrDeliver)
	case simnet.EvNoPort:
		c.arrive(&ev, arrNoPort)
	case simnet.EvHostDown:
		c.arrive(&ev, arrHostDown)
	case simnet.EvRecvBuf:
		c.arrive(&ev, arrRecvBuf)
	}
}

// datagram finds the datagram a new copy belongs to. netem gives a duplicate the
// sequence number after its original's, and reports it before the original when the
// clone is queued or lost and after it when both are tail-dropped.
func (l *Link) datagram(ev *simnet.Event, seqd bool) int32 {
	if seqd && l.pending.ok && !ev.Dup && ev.Seq == l.pending.seq {
		l.pending.ok = false
		return l.pending.dg
	}
	if seqd && ev.Dup && ev.Seq > 0 && ev.Seq-1 < uint64(len(l.bySeq)) && l.bySeq[ev.Seq-1] >= 0 {
		return l.light[l.bySeq[ev.Seq-1]].dg
	}
	dg := int32(len(l.dgs))
	l.dgs = append(l.dgs, dgState{sent: int64(ev.At)})
	if seqd && ev.Dup {
		l.pending.seq, l.pending.dg, l.pending.ok = ev.Seq-1, dg, true
	}
	return dg
}

func (c *Collector) send(ev *simnet.Event, code byte) {
	l := c.link(ev)
	seqd := ev.HasSeq()
	dg := l.datagram(ev, seqd)
	idx := int32(len(l.light))
	lc := lightCopy{sent: int64(ev.At), dg: dg, full: -1}
	cp := Copy{DG: dg, Seq: -1, Sent: ev.At, Arrived: -1, Len: ev.Len, Send: code, Dup: ev.Dup,
		Corrupt: ev.Corrupt, Reorder: ev.Reordered}
	if seqd {
		cp.Seq = int64(ev.Seq)
		for uint64(len(l.bySeq)) <= ev.Seq {
			l.bySeq = append(l.bySeq, -1)
		}
		l.bySeq[ev.Seq] = idx
	}
	b := c.bucket(ev.At)
	l.grow(b)
	switch code {
	case sendQueued:
		cp.Due, cp.Fate = ev.Due, InFlight
		l.queue++
		l.QueueMax[b] = max(l.QueueMax[b], l.queue)
	case sendLost:
		cp.Fate = Lost
	case sendLimit:
		cp.Fate = Limit
	default:
		cp.Fate = Cut
	}
	l.Counts[b][cp.Fate]++
	if len(l.Copies) < maxCopies || (len(l.Copies) > 0 && l.Copies[len(l.Copies)-1].DG == dg && l.Dropped == 0) {
		lc.full = int32(len(l.Copies))
		l.Copies = append(l.Copies, cp)
	} else {
		l.Dropped++
	}
	l.light = append(l.light, lc)
}

func (c *Collector) arrive(ev *simnet.Event, code byte) {
	l := c.link(ev)
	if ev.Seq >= uint64(len(l.bySeq)) || l.bySeq[ev.Seq] < 0 {
		return // not queued while we watched: cannot happen with events in order
	}
	lc := &l.light[l.bySeq[ev.Seq]]
	ab := c.bucket(ev.At)
	l.grow(ab) // before the copy leaves: it was on the link until now, in bucket ab too
	l.queue--
	fate := Refused
	switch code {
	case arrHostDown:
		fate = Cut
	case arrDeliver:
		d := &l.dgs[lc.dg]
		iv := l.interval(c.Every, ev.At)
		switch {
		case d.delivered:
			fate = Duplicate
			iv.Extra++
		case lc.dg < l.maxDG:
			fate = Reordered
			iv.Reordered++
		default:
			fate = InOrder
		}
		if !d.delivered {
			iv.Delivered++
		}
		d.delivered = true
		l.maxDG = max(l.maxDG, lc.dg)
	}
	b := c.bucket(time.Duration(lc.sent))
	l.Counts[b][InFlight]--
	l.Counts[b][fate]++
	if lc.full >= 0 {
		cp := &l.Copies[lc.full]
		cp.Arrived, cp.Arrive, cp.Fate = ev.At, code, fate
		cp.Corrupt = cp.Corrupt || ev.Corrupt
	}
}

// interval returns the network's counts for the interval holding at.
func (l *Link) interval(every, at time.Duration) *IntervalTruth {
	i := int(at / every)
	for len(l.Intervals) <= i {
		k := time.Duration(len(l.Intervals))
		l.Intervals = append(l.Intervals, IntervalTruth{Start: k * every, End: (k + 1) * every})
	}
	return &l.Intervals[i]
}

// Finish counts the undelivered datagrams into the intervals they were sent in; call it
// once, after the last event.
func (c *Collector) Finish() {
	for _, l := range c.Links {
		l.grow(c.bucket(c.End)) // to the run's end: what is still in flight stays on the link
		for i := range l.dgs {
			if !l.dgs[i].delivered {
				l.interval(c.Every, time.Duration(l.dgs[i].sent)).Undelivered++
			}
		}
	}
}

// Totals counts a link's copies by fate, over every copy (not only the ones kept).
func (l *Link) Totals() [NumFates]uint64 {
	var t [NumFates]uint64
	for _, b := range l.Counts {
		for f, n := range b {
			t[f] += uint64(n)
		}
	}
	return t
}

// Corrupted counts the kept copies delivered with a bit flipped.
func (l *Link) Corrupted() int {
	n := 0
	for i := range l.Copies {
		if l.Copies[i].Corrupt && l.Copies[i].Arrive == arrDeliver {
			n++
		}
	}
	return n
}

// Datagrams is how many datagrams the link carried (a duplicate is a copy, not a datagram).
func (l *Link) Datagrams() int { return len(l.dgs) }

// IntervalTruth is the network's view of one interval [Start, End): the datagrams first
// delivered in it, the extra copies delivered in it, the first deliveries that were
// reordered, and the datagrams sent in it that were never delivered.
type IntervalTruth struct {
	Start, End                               time.Duration
	Delivered, Extra, Reordered, Undelivered uint64
}
