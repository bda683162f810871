package netem

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// Prob is a probability in tc's fixed point: rint(fraction·(2^32−1)), an exact half to even. An event with
// probability p fires when a 32-bit draw R satisfies R ≤ p, except that 0 never fires;
// so Always (100%) always fires. Keeping tc's representation makes "5%" mean exactly
// what it means to the kernel, and makes String/Parse round-trip exact.
type Prob uint32

// Always is 100%.
const Always Prob = math.MaxUint32

// Percent converts a percentage (0..100, clamped) to a Prob as tc does,
// rint(pct/100·(2^32−1)): to nearest, an exact half to even.
func Percent(pct float64) Prob {
	switch {
	case !(pct > 0): // also NaN
		return 0
	case pct >= 100:
		return Always
	}
	return Prob(math.RoundToEven(pct / 100 * float64(Always)))
}

// Percent returns p as a percentage.
func (p Prob) Percent() float64 { return float64(p) / float64(Always) * 100 }

// String prints the shortest percentage that parses back to exactly p ("5%").
func (p Prob) String() string { return formatPercent(p) }

// Dist names a delay distribution. The zero value is tc's default uniform jitter.
type Dist uint8

const (
	DistUniform      Dist = iota // jitter uniform over [delay−jitter, delay+jitter)
	DistNormal                   // iproute2's normal table (built in)
	DistPareto                   // iproute2's pareto table (a = 3, built in)
	DistParetoNormal             // iproute2's paretonormal table (built in)
	// DistTable draws from a table that is not built in, held in Profile.Table (or
	// Slot.Table): one LoadTable read from tc's library directory, as tc loads
	// "distribution experimental", or one made with NewTable or ReadTable.
	DistTable
)

var distNames = [...]string{"uniform", "normal", "pareto", "paretonormal", "table"}

func (d Dist) String() string {
	if int(d) < len(distNames) {
		return distNames[d]
	}
	return fmt.Sprintf("Dist(%d)", uint8(d))
}

// isBuiltinDist reports whether name is one of the distributions Parse knows without a
// file (uniform included).
func isBuiltinDist(name string) bool {
	for d := DistUniform; d <= DistParetoNormal; d++ {
		if name == distNames[d] {
			return true
		}
	}
	return false
}

// LossModel selects the loss generator.
type LossModel uint8

const (
	LossNone    LossModel = iota // no loss clause
	LossRandom                   // loss [random] P [CORR]
	LossState                    // loss state p13 [p31 [p32 [p23 [p14]]]] (4-state GI model)
	LossGemodel                  // loss gemodel p [r [1-h [1-k]]] (Gilbert-Elliott)
)

// Loss is the loss clause. Only the fields of the selected Model may be nonzero.
type Loss struct {
	Model LossModel
	P     Prob // random: loss probability; gemodel: p, the good→bad transition
	Corr  Prob // random: correlation
	R     Prob // gemodel: r, the bad→good transition
	H1    Prob // gemodel: 1−h, loss probability in the bad state
	K1    Prob // gemodel: 1−k, loss probability in the good state
	P13   Prob // state: gap → burst loss (1→3)
	P31   Prob // state: burst loss → gap (3→1)
	P32   Prob // state: burst loss → burst receive (3→2)
	P23   Prob // state: burst receive → burst loss (2→3)
	P14   Prob // state: gap → isolated loss (1→4)
}

// Rate is netem's rate clause: serialization at Bytes per second, charging each packet
// its length plus PacketOverhead, rounded up to whole cells of CellSize bytes each costing
// CellSize+CellOverhead when CellSize is set.
type Rate struct {
	Bytes          uint64 // bytes per second; 0 means no rate limit
	PacketOverhead int32
	CellSize       uint32
	CellOverhead   int32
}

// maxRateBytes keeps Bytes·8 representable, so every rate prints in bit units.
const maxRateBytes = math.MaxUint64 / 8

// Slot is netem's slot clause: packets leave only in slots that open at a random
// interval, each carrying at most Packets packets and Bytes bytes (0 = unlimited).
// Either the uniform form (Min, Max) or, when Dist is not DistUniform, the table form
// (Dist, Delay, Jitter) is used.
type Slot struct {
	Min, Max      time.Duration // uniform form: the next slot opens U[Min, Max] after the last
	Dist          Dist          // table form: distribution of the interval
	Table         Table         // table form with DistTable: the table (see Profile.Table)
	Delay, Jitter time.Duration // table form: its mean and spread
	Packets       int32         // per-slot packet budget, 0 = unlimited
	Bytes         int32         // per-slot byte budget, 0 = unlimited
}

func (s Slot) enabled() bool { return s.Min != 0 || s.Max != 0 || s.Jitter != 0 }

// DefaultLimit is tc's queue limit in packets, used when Profile.Limit is 0.
const DefaultLimit = 1000

// Profile is a validated netem configuration, the value of the text `tc qdisc ... netem`
// takes. The zero Profile impairs nothing (apart from tc's default limit of 1000 packets).
// Build one with Parse, or fill the fields and call Validate.
type Profile struct {
	Limit         uint32        // queue limit in packets; 0 means DefaultLimit
	Delay         time.Duration // mean added delay
	Jitter        time.Duration // spread of the delay (see Dist)
	DelayCorr     Prob          // correlation of successive delay draws
	Dist          Dist          // delay distribution, needs Delay and Jitter
	Table         Table         // the table when Dist is DistTable, zero otherwise
	Loss          Loss          // loss model
	ECN           bool          // mark ECN-capable packets CE instead of dropping them
	Duplicate     Prob          // probability of sending a packet twice
	DuplicateCorr Prob
	Corrupt       Prob // probability of flipping one bit of the payload
	CorruptCorr   Prob
	Reorder       Prob   // probability of sending a packet at once (needs Delay)
	ReorderCorr   Prob   //
	Gap           uint32 // reorder only every Gap-th packet; 0 means tc's default, 1
	Rate          Rate
	Slot          Slot
	Seed          uint64 // tc's "seed": overrides the link seed for netem's own PRNG
	SeedSet       bool   // whether Seed was given
}

// ErrInvalid is wrapped by every error Validate returns.
var ErrInvalid = errors.New("netem: invalid profile")

// Validate reports whether p can be written as tc netem text that tc accepts and that
// Parse reads back to p. Errors wrap ErrInvalid and name the clause at fault.
func (p Profile) Validate() error {
	if kw, reason := p.check(); kw != "" {
		return fmt.Errorf("%w: %s: %s", ErrInvalid, kw, reason)
	}
	return nil
}

// check returns the keyword whose rule p breaks, and the rule, or "" if p is valid.
func (p Profile) check() (keyword, reason string) {
	if p.Delay < 0 || p.Jitter < 0 {
		return "delay", "delay and jitter must not be negative"
	}
	if kw, r := checkDist("distribution", p.Dist, p.Table); kw != "" {
		return kw, r
	}
	if p.Dist != DistUniform && (p.Delay == 0 || p.Jitter == 0) {
		return "distribution", "a distribution needs a delay and a jitter (e.g. delay 50ms 10ms distribution normal)"
	}
	if kw, r := p.Loss.check(); kw != "" {
		return kw, r
	}
	if p.ECN && !p.Loss.active() {
		return "ecn", "ecn needs a loss setting (e.g. loss 1% ecn)"
	}
	if p.DuplicateCorr != 0 && p.DelayCorr == 0 && p.Loss.Corr == 0 && p.ReorderCorr == 0 && p.CorruptCorr == 0 {
		return "duplicate", "tc sends a duplicate correlation only together with a nonzero delay, loss, " +
			"reorder or corrupt correlation, so a real qdisc would ignore it; add one or drop it"
	}
	if p.Reorder != 0 && p.Delay == 0 {
		return "reorder", "reorder needs a delay (e.g. delay 10ms reorder 25%)"
	}
	if p.Gap != 0 && p.Reorder == 0 {
		return "gap", "gap needs a reorder probability (e.g. reorder 100% gap 5)"
	}
	if p.Rate.Bytes == 0 && p.Rate != (Rate{}) {
		return "rate", "packet and cell overheads need a nonzero rate (rate 0 is no rate limit, which charges nothing)"
	}
	if p.Rate.Bytes > maxRateBytes {
		return "rate", fmt.Sprintf("rate above %d bytes/s", uint64(maxRateBytes))
	}
	return p.Slot.check()
}

func (s Slot) check() (keyword, reason string) {
	if kw, r := checkDist("slot", s.Dist, s.Table); kw != "" {
		return kw, r
	}
	switch {
	case s.Packets < 0 || s.Bytes < 0:
		return "slot", "packets and bytes must not be negative"
	case s.Dist == DistUniform && (s.Delay != 0 || s.Jitter != 0):
		return "slot", "delay and jitter belong to the distribution form (slot distribution NAME DELAY JITTER)"
	case s.Dist == DistUniform && (s.Min < 0 || s.Max < s.Min):
		return "slot", "slot needs 0 <= MIN <= MAX"
	case s.Dist > DistTable:
		return "slot", "unknown slot distribution; accepted: normal, pareto, paretonormal, or DistTable with a Table"
	case s.Dist != DistUniform && (s.Min != 0 || s.Max != 0):
		return "slot", "MIN and MAX belong to the uniform form (slot MIN [MAX])"
	case s.Dist != DistUniform && (s.Delay < 0 || s.Jitter <= 0):
		return "slot", "slot distribution needs DELAY >= 0 and JITTER > 0"
	}
	return "", ""
}

// checkDist checks that a table is given exactly with DistTable, and can be named in text.
func checkDist(kw string, d Dist, t Table) (keyword, reason string) {
	switch {
	case d > DistTable:
		return kw, "unknown distribution; accepted: " + distList + ", or DistTable with a Table"
	case d != DistTable && t != (Table{}):
		return kw, "a Table is used only with DistTable"
	case d == DistTable && t.Len() == 0:
		return kw, "DistTable needs a Table (from LoadTable, ReadTable or NewTable)"
	case d == DistTable && (checkTableName(t.name) != "" || isBuiltinDist(t.name)):
		return kw, "the table's name " + quote(t.name) + " cannot name it in tc text"
	}
	return "", ""
}

// TableSources says where each table p draws from comes from, one line each:
// "distribution experimental: 4096 entries from /usr/lib/x86_64-linux-gnu/tc/experimental.dist",
// "slot distribution normal: 4096 entries, built in (...)". It is empty when p uses none.
func (p Profile) TableSources() []string {
	var out []string
	if t := tableFor(p.Dist, p.Table); t.Len() > 0 {
		out = append(out, "distribution "+t.String())
	}
	if t := tableFor(p.Slot.Dist, p.Slot.Table); t.Len() > 0 {
		out = append(out, "slot distribution "+t.String())
	}
	return out
}

// active reports whether the loss clause can ever fire (tc's "ecn needs loss" test).
func (l Loss) active() bool {
	return l.Model == LossState || l.Model == LossGemodel || (l.Model == LossRandom && l.P != 0)
}

func (l Loss) check() (keyword, reason string) {
	var stray bool
	switch l.Model {
	case LossNone:
		stray = l != Loss{}
	case LossRandom:
		stray = l != Loss{Model: LossRandom, P: l.P, Corr: l.Corr}
	case LossState:
		stray = l != Loss{Model: LossState, P13: l.P13, P31: l.P31, P32: l.P32, P23: l.P23, P14: l.P14}
	case LossGemodel:
		stray = l != Loss{Model: LossGemodel, P: l.P, R: l.R, H1: l.H1, K1: l.K1}
	default:
		return "loss", "unknown loss model; accepted: random, state, gemodel"
	}
	if stray {
		return "loss", "only the fields of the chosen loss model may be set"
	}
	return "", ""
}

// limit is the effective queue limit.
func (p Profile) limit() int {
	if p.Limit == 0 {
		return DefaultLimit
	}
	return int(p.Limit)
}

// gap is the effective reorder gap: tc sets 1 when reorder is given without gap, and
// 0 disables reordering.
func (p Profile) gap() uint32 {
	if p.Reorder == 0 {
		return 0
	}
	return max(p.Gap, 1)
}

// Defaults tc fills in for the Markov models' optional parameters.
func stateDefaults(p13 Prob) Loss {
	return Loss{Model: LossState, P13: p13, P31: Always - p13, P32: 0, P23: Always, P14: 0}
}

func gemodelDefaults(p Prob) Loss {
	return Loss{Model: LossGemodel, P: p, R: Always - p, H1: Always, K1: 0}
}
