package netem

import (
	"strconv"
	"strings"
	"time"
)

// String prints canonical tc text that Parse reads back to the same value: a fixed
// keyword order, times in the largest unit that is exact, the shortest exact percentages,
// rates in the largest exact bit unit, and nothing for settings left at their zero value.
// The zero Profile prints "". For a Profile that fails Validate the text may not parse.
func (p Profile) String() string {
	var b strings.Builder
	add := func(words ...string) {
		for _, w := range words {
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(w)
		}
	}
	if p.Limit != 0 {
		add("limit", strconv.FormatUint(uint64(p.Limit), 10))
	}
	if p.Delay != 0 || p.Jitter != 0 || p.DelayCorr != 0 {
		add("delay", formatTime(p.Delay))
		if p.Jitter != 0 || p.DelayCorr != 0 {
			add(formatTime(p.Jitter))
		}
		if p.DelayCorr != 0 {
			add(p.DelayCorr.String())
		}
	}
	if p.Dist != DistUniform {
		add("distribution", distName(p.Dist, p.Table))
	}
	p.Loss.format(add)
	if p.ECN {
		add("ecn")
	}
	addPair(add, "duplicate", p.Duplicate, p.DuplicateCorr)
	addPair(add, "reorder", p.Reorder, p.ReorderCorr)
	if p.Gap != 0 {
		add("gap", strconv.FormatUint(uint64(p.Gap), 10))
	}
	addPair(add, "corrupt", p.Corrupt, p.CorruptCorr)
	if p.Rate != (Rate{}) {
		r := p.Rate
		add("rate", formatRate(r.Bytes))
		switch {
		case r.CellOverhead != 0:
			add(itoa32(r.PacketOverhead), strconv.FormatUint(uint64(r.CellSize), 10), itoa32(r.CellOverhead))
		case r.CellSize != 0:
			add(itoa32(r.PacketOverhead), strconv.FormatUint(uint64(r.CellSize), 10))
		case r.PacketOverhead != 0:
			add(itoa32(r.PacketOverhead))
		}
	}
	if p.Slot != (Slot{}) {
		s := p.Slot
		if s.Dist == DistUniform {
			add("slot", formatTime(s.Min))
			if s.Max != s.Min {
				add(formatTime(s.Max))
			}
		} else {
			add("slot", "distribution", distName(s.Dist, s.Table), formatTime(s.Delay), formatTime(s.Jitter))
		}
		if s.Packets != 0 {
			add("packets", itoa32(s.Packets))
		}
		if s.Bytes != 0 {
			add("bytes", itoa32(s.Bytes))
		}
	}
	if p.SeedSet {
		add("seed", strconv.FormatUint(p.Seed, 10))
	}
	return b.String()
}

// distName is what "distribution NAME" says for d: a loaded table's own name.
func distName(d Dist, t Table) string {
	if d == DistTable {
		return t.Name()
	}
	return d.String()
}

func addPair(add func(...string), name string, p, corr Prob) {
	if p == 0 && corr == 0 {
		return
	}
	add(name, p.String())
	if corr != 0 {
		add(corr.String())
	}
}

func (l Loss) format(add func(...string)) {
	var name string
	var vals, defaults []Prob
	switch l.Model {
	case LossRandom:
		add("loss", l.P.String())
		if l.Corr != 0 {
			add(l.Corr.String())
		}
		return
	case LossState:
		d := stateDefaults(l.P13)
		name = "state"
		vals = []Prob{l.P13, l.P31, l.P32, l.P23, l.P14}
		defaults = []Prob{d.P13, d.P31, d.P32, d.P23, d.P14}
	case LossGemodel:
		d := gemodelDefaults(l.P)
		name = "gemodel"
		vals = []Prob{l.P, l.R, l.H1, l.K1}
		defaults = []Prob{d.P, d.R, d.H1, d.K1}
	default:
		return
	}
	// Trailing parameters equal to tc's defaults are left out.
	n := len(vals)
	for n > 1 && vals[n-1] == defaults[n-1] {
		n--
	}
	add("loss", name)
	for _, v := range vals[:n] {
		add(v.String())
	}
}

func itoa32(n int32) string { return strconv.FormatInt(int64(n), 10) }

// formatTime picks the largest unit that represents d exactly.
func formatTime(d time.Duration) string {
	switch {
	case d == 0:
		return "0ms"
	case d%time.Second == 0:
		return strconv.FormatInt(int64(d/time.Second), 10) + "s"
	case d%time.Millisecond == 0:
		return strconv.FormatInt(int64(d/time.Millisecond), 10) + "ms"
	case d%time.Microsecond == 0:
		return strconv.FormatInt(int64(d/time.Microsecond), 10) + "us"
	}
	return strconv.FormatInt(int64(d), 10) + "ns"
}

// formatRate prints bytes/s in the largest decimal bit unit that is exact.
func formatRate(bytes uint64) string {
	bits := bytes * 8
	for _, u := range []struct {
		name string
		div  uint64
	}{{"tbit", 1e12}, {"gbit", 1e9}, {"mbit", 1e6}, {"kbit", 1e3}} {
		if bits%u.div == 0 {
			return strconv.FormatUint(bits/u.div, 10) + u.name
		}
	}
	return strconv.FormatUint(bits, 10) + "bit"
}

// formatPercent finds the shortest decimal percentage that parses back to p: one of
// 2^32 levels needs at most about ten significant digits, usually far fewer.
func formatPercent(p Prob) string {
	f := float64(p) / float64(Always) * 100
	for prec := 0; prec <= 12; prec++ {
		s := strconv.FormatFloat(f, 'f', prec, 64)
		if strings.Contains(s, ".") {
			s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
		}
		if v, reason := parsePercent(s); reason == "" && v == p {
			return s + "%"
		}
	}
	// Unreachable for any uint32; kept so String never prints a wrong value silently.
	return strconv.FormatFloat(f, 'f', 15, 64) + "%"
}
