package scenario

// The sink's per-datagram tables would cost 12 bytes a datagram if kept as arrays (its
// number, the datagram of each link sequence number), and touching that much fresh
// memory is a page fault every few hundred datagrams. Both are runs of consecutive
// values almost everywhere (the sender counts up; a link numbers copies in order), so
// they are kept as runs: one per restart or jump of the sender, one or two per duplicate.

// numRun: datagrams idx, idx+1, ... (up to the next run) carried num, num+1, ...
type numRun struct {
	idx int32
	num int64
}

// nums maps a datagram's send index to the number it carried.
type nums struct {
	runs []numRun // by idx
	at   int      // the run of the last lookup
}

// add records that datagram idx, the next one, carried n.
func (t *nums) add(idx int32, n int64) {
	if k := len(t.runs); k > 0 && t.runs[k-1].num+int64(idx-t.runs[k-1].idx) == n {
		return
	}
	t.runs = append(t.runs, numRun{idx: idx, num: n})
}

// of is the number datagram idx carried; idx must have been added.
func (t *nums) of(idx int32) int64 {
	runs := t.runs
	i := t.at
	if i >= len(runs) || runs[i].idx > idx || i+1 < len(runs) && runs[i+1].idx <= idx {
		lo, hi := 0, len(runs) // the last run with runs[i].idx <= idx
		for hi-lo > 1 {
			if m := int(uint(lo+hi) >> 1); runs[m].idx <= idx {
				lo = m
			} else {
				hi = m
			}
		}
		i, t.at = lo, lo
	}
	return runs[i].num + int64(idx-runs[i].idx)
}

// seqRun: a link's copies seq, seq+1, ..., seq+n-1 belong to datagrams idx, idx+1, ...
type seqRun struct {
	seq uint64
	idx int32
	n   uint32
}

func (r *seqRun) end() uint64 { return r.seq + uint64(r.n) }

// seqs maps a link's sequence numbers to the datagrams their copies belong to.
type seqs struct {
	runs []seqRun // by seq, disjoint
	at   int      // the run of the last lookup
}

// set records that copy seq belongs to datagram idx. Copies come in order but for a
// duplicate's, which the link may report before its original's.
func (t *seqs) set(seq uint64, idx int32) {
	k := len(t.runs)
	if k > 0 {
		last := &t.runs[k-1]
		if seq == last.end() && last.idx+int32(last.n) == idx {
			last.n++
			return
		}
		if seq < last.end() {
			i := t.search(seq)
			if t.runs[i].seq <= seq {
				return // set already (a link numbers each copy once)
			}
			t.runs = append(t.runs, seqRun{})
			copy(t.runs[i+1:], t.runs[i:])
			t.runs[i] = seqRun{seq: seq, idx: idx, n: 1}
			return
		}
	}
	t.runs = append(t.runs, seqRun{seq: seq, idx: idx, n: 1})
}

// search is the first run that ends after seq, len(runs) if none.
func (t *seqs) search(seq uint64) int {
	lo, hi := 0, len(t.runs)
	for lo < hi {
		if m := int(uint(lo+hi) >> 1); t.runs[m].end() <= seq {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// get is the datagram copy seq belongs to, if set.
func (t *seqs) get(seq uint64) (int32, bool) {
	runs := t.runs
	i := t.at
	if i >= len(runs) || runs[i].seq > seq || runs[i].end() <= seq {
		// Deliveries come in about the order of sending: the next run, else a search.
		if i++; i >= len(runs) || runs[i].seq > seq || runs[i].end() <= seq {
			if i = t.search(seq); i == len(runs) || runs[i].seq > seq {
				return 0, false
			}
		}
		t.at = i
	}
	return runs[i].idx + int32(seq-runs[i].seq), true
}
