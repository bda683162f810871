package netem

import (
	"math"
	"sync"
)

// Delay tables are built here from the formulas iproute2 uses to generate its .dist
// files (netem/normal.c, pareto.c, paretonormal.c), so no data file is needed: 4096
// int16 quantiles in units of jitter/8192, ascending.
const (
	distSize  = 4096
	distScale = 8192 // NETEM_DIST_SCALE
)

type distTable [distSize]int16

var (
	tablesOnce sync.Once
	tables     [DistParetoNormal + 1]*distTable
)

// tableFor returns the table for d, or nil for uniform jitter.
func tableFor(d Dist) *distTable {
	if d == DistUniform || d > DistParetoNormal {
		return nil
	}
	tablesOnce.Do(buildTables)
	return tables[d]
}

func buildTables() {
	var normal, pareto, paretoNormal distTable
	for k := range distSize {
		n := normalValue(k)
		p := paretoValue(k)
		normal[k] = clamp16(n)
		pareto[k] = clamp16(p)
		// iproute2 mixes the unclamped normal value with three parts pareto, per
		// quantile, with C's truncating division.
		paretoNormal[k] = clamp16((n + 3*p) / 4)
	}
	tables[DistNormal], tables[DistPareto], tables[DistParetoNormal] = &normal, &pareto, &paretoNormal
}

// normalValue is entry k of the normal table: iproute2 bins the standard normal CDF
// into 16384 bins, keeps every fourth, and stores the largest x of each kept bin, i.e.
// the quantile at the bin's upper edge (4k + 0.5)/16384, scaled by 8192.
func normalValue(k int) int {
	q := (float64(4*k) + 0.5) / 16384
	x := math.Sqrt2 * math.Erfinv(2*q-1)
	return int(math.RoundToEven(x * distScale))
}

// paretoValue is entry k of the pareto table (shape a = 3, shifted and scaled to mean 0
// and roughly unit spread): u runs from 1 down in steps of 16/65536.
func paretoValue(k int) int {
	u := float64(65536-16*k) / 65536
	v := (math.Pow(u, -1.0/3) - 1.5) * (4.0 / 3.0) * distScale
	return int(math.RoundToEven(min(v, math.MaxInt16)))
}

func clamp16(v int) int16 {
	return int16(max(math.MinInt16, min(math.MaxInt16, v)))
}

// maxJitter is the kernel's cap on sigma (it is an s32 in tabledist).
const maxJitter = math.MaxInt32

// tabledist is the kernel's delay draw: mu exactly when sigma is 0 (no random draw),
// uniform over [mu−sigma, mu+sigma) without a table, otherwise mu + t·sigma/8192 for a
// table entry t, rounded half away from zero. sigma must be in [0, maxJitter].
func tabledist(mu, sigma int64, rnd uint32, t *distTable) int64 {
	if t == nil {
		return int64(rnd%uint32(2*sigma)) + mu - sigma
	}
	v := int64(t[rnd%distSize])
	x := (sigma % distScale) * v
	if x >= 0 {
		x += distScale / 2
	} else {
		x -= distScale / 2
	}
	return x/distScale + (sigma/distScale)*v + mu
}

// capJitter applies the kernel's |sigma| ≤ INT_MAX ns.
func capJitter(j int64) int64 {
	if j < 0 {
		j = -j
	}
	if j < 0 || j > maxJitter { // j < 0 only for MinInt64
		return maxJitter
	}
	return j
}
