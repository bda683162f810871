package netem

import (
	"math"
	"time"

	"pgregory.net/rapid"
)

// Generators of valid profiles. small keeps values a link test can run through quickly
// (short times, small limits and gaps); otherwise every representable value may come.

func genProb(t *rapid.T, label string) Prob {
	switch rapid.IntRange(0, 4).Draw(t, label+"Kind") {
	case 0:
		return 0
	case 1:
		return Always
	case 2:
		return Percent(float64(rapid.IntRange(0, 100).Draw(t, label+"Pct")))
	case 3:
		return Percent(float64(rapid.IntRange(0, 1000).Draw(t, label+"Permille")) / 10)
	}
	return Prob(rapid.Uint32().Draw(t, label))
}

func genTime(t *rapid.T, label string, small bool) time.Duration {
	if small {
		return time.Duration(rapid.Int64Range(0, int64(50*time.Millisecond)).Draw(t, label))
	}
	switch rapid.IntRange(0, 2).Draw(t, label+"Kind") {
	case 0:
		return 0
	case 1:
		return time.Duration(rapid.IntRange(1, 10_000).Draw(t, label+"Ms")) * time.Millisecond
	}
	return time.Duration(rapid.Int64Range(0, math.MaxInt64).Draw(t, label))
}

func genDist(t *rapid.T, label string, uniform bool) Dist {
	lo := DistNormal
	if uniform {
		lo = DistUniform
	}
	return Dist(rapid.IntRange(int(lo), int(DistParetoNormal)).Draw(t, label))
}

func genProfile(t *rapid.T, small bool) Profile {
	var p Profile
	if rapid.Bool().Draw(t, "hasLimit") {
		if small {
			p.Limit = uint32(rapid.IntRange(1, 40).Draw(t, "limit"))
		} else {
			p.Limit = rapid.Uint32Range(1, math.MaxUint32).Draw(t, "limit")
		}
	}
	p.Delay = genTime(t, "delay", small)
	p.Jitter = genTime(t, "jitter", small)
	p.DelayCorr = genProb(t, "delayCorr")
	if p.Delay != 0 && p.Jitter != 0 {
		p.Dist = genDist(t, "dist", true)
	}
	switch LossModel(rapid.IntRange(0, 3).Draw(t, "lossModel")) {
	case LossRandom:
		p.Loss = Loss{Model: LossRandom, P: genProb(t, "loss"), Corr: genProb(t, "lossCorr")}
	case LossState:
		p.Loss = Loss{Model: LossState, P13: genProb(t, "p13"), P31: genProb(t, "p31"),
			P32: genProb(t, "p32"), P23: genProb(t, "p23"), P14: genProb(t, "p14")}
	case LossGemodel:
		p.Loss = Loss{Model: LossGemodel, P: genProb(t, "p"), R: genProb(t, "r"),
			H1: genProb(t, "1-h"), K1: genProb(t, "1-k")}
	}
	p.ECN = p.Loss.active() && rapid.Bool().Draw(t, "ecn")
	p.Corrupt, p.CorruptCorr = genProb(t, "corrupt"), genProb(t, "corruptCorr")
	if p.Delay != 0 {
		p.Reorder = genProb(t, "reorder")
	}
	p.ReorderCorr = genProb(t, "reorderCorr")
	if p.Reorder != 0 {
		if small {
			p.Gap = uint32(rapid.IntRange(0, 6).Draw(t, "gap"))
		} else {
			p.Gap = rapid.Uint32().Draw(t, "gap")
		}
	}
	p.Duplicate = genProb(t, "duplicate")
	if p.DelayCorr != 0 || p.Loss.Corr != 0 || p.ReorderCorr != 0 || p.CorruptCorr != 0 {
		p.DuplicateCorr = genProb(t, "duplicateCorr")
	}
	if rapid.Bool().Draw(t, "hasRate") {
		if small {
			p.Rate.Bytes = rapid.Uint64Range(1000, 10_000_000).Draw(t, "rate")
		} else {
			p.Rate.Bytes = rapid.Uint64Range(1, maxRateBytes).Draw(t, "rate")
		}
		p.Rate.PacketOverhead = rapid.Int32Range(-100, 100).Draw(t, "packetOverhead")
		p.Rate.CellSize = rapid.Uint32Range(0, 128).Draw(t, "cellSize")
		p.Rate.CellOverhead = rapid.Int32Range(-10, 10).Draw(t, "cellOverhead")
	}
	switch rapid.IntRange(0, 2).Draw(t, "slotKind") {
	case 1:
		p.Slot.Min = genTime(t, "slotMin", true)
		p.Slot.Max = p.Slot.Min + genTime(t, "slotSpan", true)
	case 2:
		p.Slot.Dist = genDist(t, "slotDist", false)
		p.Slot.Delay = genTime(t, "slotDelay", true)
		p.Slot.Jitter = 1 + genTime(t, "slotJitter", true)
	}
	if p.Slot != (Slot{}) {
		p.Slot.Packets = rapid.Int32Range(0, 5).Draw(t, "slotPackets")
		p.Slot.Bytes = rapid.Int32Range(0, 5000).Draw(t, "slotBytes")
	}
	if rapid.Bool().Draw(t, "hasSeed") {
		p.Seed, p.SeedSet = rapid.Uint64().Draw(t, "seed"), true
	}
	return p
}
