package netem

// resets says which parts of a link's random state a configuration re-initialises.
type resets struct {
	corr, reorder, corrupt, lossModel, slot, seed bool
}

var allResets = resets{true, true, true, true, true, true}

// SetProfile changes the profile mid-run with tc's "change" semantics, keeping queued
// packets and counters. As with `tc qdisc change dev D root netem TEXT`, where p is
// TEXT parsed: limit, delay, jitter, loss model, duplicate, reorder and gap are always
// taken from p (so they reset to their defaults when p leaves them out), while corrupt,
// rate, ecn, slot, seed, the delay table and the delay/loss/duplicate correlations are
// kept unless p sets them (nonzero). A kept setting that the new profile cannot use (ecn
// without loss) is dropped. The delay table is kept as the kernel keeps it: while delay
// or jitter is 0, Profile does not show it (tc text cannot name a distribution without
// both), but the link still holds it, and a later change that gives jitter again without
// naming a distribution uses it (so does jitter around a delay of 0, which only a change
// can set up). The reorder gap counter restarts, as in the kernel. Profile reports the
// result.
func (l *Link[T]) SetProfile(p Profile) {
	n, r := change(l.prof, l.held, p)
	l.apply(n, r)
}

// heldTable is a delay table as a profile names it.
type heldTable struct {
	dist  Dist
	table Table
}

// Replace sets the profile to exactly p, as deleting and re-adding the qdisc would, but
// keeps queued packets, counters and the random streams' positions.
func (l *Link[T]) Replace(p Profile) { l.apply(p, allResets) }

// change merges p into old with tc change semantics; held is the delay table the link
// holds (which old.Dist does not show while old has no jitter). The merged profile's
// Dist and Table are the table the link holds from now on, even when it cannot show it.
func change(old Profile, held heldTable, p Profile) (Profile, resets) {
	n := p
	r := resets{lossModel: p.Loss.Model == LossState || p.Loss.Model == LossGemodel, seed: p.SeedSet}
	// tc sends the delay/loss/duplicate correlations as one attribute, present when any
	// correlation is given.
	if p.DelayCorr != 0 || p.Loss.Corr != 0 || p.DuplicateCorr != 0 || p.ReorderCorr != 0 || p.CorruptCorr != 0 {
		r.corr = true
	} else {
		n.DelayCorr, n.DuplicateCorr = old.DelayCorr, old.DuplicateCorr
		if n.Loss.Model == LossRandom && old.Loss.Model == LossRandom {
			n.Loss.Corr = old.Loss.Corr
		}
	}
	// Reorder is kept by the kernel too, but the gap, always reset, turns it off unless
	// reorder is given again; taking it from p has the same effect.
	r.reorder = p.Reorder != 0 || p.ReorderCorr != 0
	if p.Corrupt != 0 || p.CorruptCorr != 0 {
		r.corrupt = true
	} else {
		n.Corrupt, n.CorruptCorr = old.Corrupt, old.CorruptCorr
	}
	if p.Rate == (Rate{}) {
		n.Rate = old.Rate
	}
	n.ECN = p.ECN || old.ECN
	if p.Slot == (Slot{}) {
		n.Slot = old.Slot
	} else {
		r.slot = true
	}
	if p.Dist == DistUniform {
		n.Dist, n.Table = held.dist, held.table
	}
	if !p.SeedSet {
		n.Seed, n.SeedSet = old.Seed, old.SeedSet
	}
	// Drop what the merged profile cannot express.
	if !n.Loss.active() {
		n.ECN = false
	}
	if n.DelayCorr == 0 && n.Loss.Corr == 0 && n.ReorderCorr == 0 && n.CorruptCorr == 0 {
		n.DuplicateCorr = 0
	}
	return n, r
}

// shown is p as Profile reports it: the delay table is not shown without delay and
// jitter, where tc text cannot name it.
func shown(p Profile) Profile {
	if p.Delay == 0 || p.Jitter == 0 {
		p.Dist, p.Table = DistUniform, Table{}
	}
	return p
}

// apply installs p and re-initialises the random state r names; the queue, the
// counters and the generators' positions are untouched.
func (l *Link[T]) apply(p Profile, r resets) {
	l.prof = shown(p)
	l.limit = p.limit()
	l.gap = p.gap()
	l.sigma = capJitter(int64(p.Jitter))
	l.held, l.table = heldTable{p.Dist, p.Table}, tableFor(p.Dist, p.Table)
	l.slotTab = tableFor(p.Slot.Dist, p.Slot.Table)
	l.counter = 0

	// Correlations always follow the profile; their memories restart only when given.
	l.delayCor.rho, l.dupCor.rho, l.loss.corr.rho = uint32(p.DelayCorr), uint32(p.DuplicateCorr), uint32(p.Loss.Corr)
	l.reorderCor.rho, l.corruptCor.rho = uint32(p.ReorderCorr), uint32(p.CorruptCorr)
	if r.corr {
		l.delayCor.reset(p.DelayCorr, &l.aux)
		l.loss.corr.reset(p.Loss.Corr, &l.aux)
		l.dupCor.reset(p.DuplicateCorr, &l.aux)
	}
	if r.reorder {
		l.reorderCor.reset(p.ReorderCorr, &l.aux)
	}
	if r.corrupt {
		l.corruptCor.reset(p.CorruptCorr, &l.aux)
	}
	if r.lossModel {
		l.loss.state = 1
	}
	if r.slot {
		// get_slot: a configured slot opens now with its full budget, like every later one.
		l.slot = slotState{on: p.Slot.enabled(), pending: p.Slot.enabled(),
			packets: budget(p.Slot.Packets), bytes: budget(p.Slot.Bytes)}
	}
	if r.seed && p.SeedSet {
		seedPCG(&l.rng, p.Seed, streamSeed)
	}
}
