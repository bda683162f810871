package netem

import (
	"fmt"
	"math"
	"sync"
)

// The built-in delay tables are generated here exactly as iproute2 generates its .dist
// files at build time (netem/normal.c, pareto.c, paretonormal.c), so no data file is
// needed and every entry equals the installed file's (a test compares them): 4096 int16
// quantiles in units of jitter/8192, ascending.
const (
	distSize  = 4096
	distScale = 8192 // NETEM_DIST_SCALE

	// iproute2's generators: normal.c bins the standard normal CDF into 16384 bins by
	// walking x from −10 in steps of 0.00005, and keeps every fourth bin.
	genBins = 16384
	genStep = .00005
)

var (
	tablesOnce sync.Once
	builtin    [DistParetoNormal + 1]Table
)

// builtinSource is what Table.Source says of a generated table.
const builtinSource = "built in (generated as iproute2's netem/%s.c does; bit-exact with its %s.dist)"

// tableFor returns the table a profile's d and t select: the built-in one, t for
// DistTable, the zero Table (uniform jitter) otherwise.
func tableFor(d Dist, t Table) Table {
	switch {
	case d == DistTable:
		return t
	case d == DistUniform || d > DistParetoNormal:
		return Table{}
	}
	tablesOnce.Do(buildTables)
	return builtin[d]
}

func buildTables() {
	quantile := normalQuantiles()
	var normal, pareto, paretoNormal [distSize]int16
	for k := range distSize {
		n := int(math.RoundToEven(quantile[4*k] * distScale))
		p := paretoValue(genBins*4 - 16*k)
		normal[k] = clamp16(n)
		pareto[k] = clamp16(p)
		// paretonormal.c mixes the unclamped normal value with three parts pareto, per
		// quantile, with C's truncating division.
		paretoNormal[k] = clamp16((n + 3*p) / 4)
	}
	for d, vals := range map[Dist]*[distSize]int16{DistNormal: &normal, DistPareto: &pareto, DistParetoNormal: &paretoNormal} {
		name := d.String()
		builtin[d] = Table{name: name, source: fmt.Sprintf(builtinSource, name, name), vals: packTable(vals[:])}
	}
}

// normalQuantiles is normal.c's table: entry i is the last x of the walk whose
// rint(16384·Φ(x)) is i, that is the largest grid point in bin i. The walk accumulates
// its step in doubles as the C loop does, so the grid is the same to the last bit; the
// explicit float64 conversion keeps the compiler from fusing .5 + .5·erf into one
// rounding (which C compiled for x86-64 does not do either).
func normalQuantiles() *[genBins + 1]float64 {
	var table [genBins + 1]float64
	sqrt2 := math.Sqrt(2.0)
	for x := -10.0; x < 10.05; x += genStep {
		cdf := .5 + float64(.5*math.Erf(x/sqrt2))
		table[int(math.RoundToEven(genBins*cdf))] = x
	}
	return &table
}

// paretoValue is pareto.c's value for i in (0, 65536]: shape a = 3, shifted and scaled
// to mean 0 and roughly unit spread, capped at 32767 before rounding.
func paretoValue(i int) int {
	v := float64(i) / 65536
	v = 1.0 / math.Pow(v, 1.0/3.0)
	v -= 1.5
	v *= (4.0 / 3.0) * distScale
	return int(math.RoundToEven(min(v, math.MaxInt16)))
}

func clamp16(v int) int16 {
	return int16(max(math.MinInt16, min(math.MaxInt16, v)))
}

// maxJitter is the kernel's cap on sigma (it is an s32 in tabledist).
const maxJitter = math.MaxInt32

// tabledist is the kernel's delay draw: mu exactly when sigma is 0 (no random draw),
// uniform over [mu−sigma, mu+sigma) without a table (t zero), otherwise
// mu + v·sigma/8192 for the table entry v = t[rnd mod len(t)], rounded half away from
// zero. sigma must be in [0, maxJitter].
func tabledist(mu, sigma int64, rnd uint32, t Table) int64 {
	if t.vals == "" {
		return int64(rnd%uint32(2*sigma)) + mu - sigma
	}
	n := uint32(t.Len())
	i := rnd & (n - 1) // rnd mod n for the usual power-of-two sizes, without a division
	if n&(n-1) != 0 {
		i = rnd % n
	}
	v := int64(t.at(int(i)))
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
