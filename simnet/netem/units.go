package netem

import (
	"math"
	"math/big"
	"strings"
	"time"
)

// Numbers are read exactly (as rationals), so "0.1%" or "1.5ms" mean precisely what
// they say rather than whatever a float rounds them to. tc uses strtod, which also takes
// exponents, hex and "inf"; we take plain decimals only, which is all tc itself prints.

// maxNumberLen bounds the work a single (possibly hostile) token can cause.
const maxNumberLen = 40

// splitNumber splits "12.5ms" into the decimal "12.5" and the suffix "ms".
func splitNumber(tok string) (num, suffix string) {
	i := 0
	for i < len(tok) && (tok[i] >= '0' && tok[i] <= '9' || tok[i] == '.') {
		i++
	}
	return tok[:i], tok[i:]
}

// decimal parses digits with at most one '.', at least one digit.
func decimal(s string) (*big.Rat, bool) {
	if s == "" || len(s) > maxNumberLen {
		return nil, false
	}
	intPart, frac, _ := strings.Cut(s, ".")
	if intPart+frac == "" || strings.Contains(frac, ".") {
		return nil, false
	}
	n, ok := new(big.Int).SetString(intPart+frac, 10)
	if !ok {
		return nil, false
	}
	den := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(len(frac))), nil)
	return new(big.Rat).SetFrac(n, den), true
}

// roundRat rounds r ≥ 0 to the nearest integer, halves up.
func roundRat(r *big.Rat) *big.Int {
	n := new(big.Int).Mul(r.Num(), big.NewInt(2))
	n.Add(n, r.Denom())
	d := new(big.Int).Mul(r.Denom(), big.NewInt(2))
	return n.Quo(n, d)
}

// rintRat rounds r ≥ 0 to the nearest integer, halves to even, as C's rint does in tc.
func rintRat(r *big.Rat) *big.Int {
	q, m := new(big.Int).QuoRem(r.Num(), r.Denom(), new(big.Int))
	switch c := m.Lsh(m, 1).Cmp(r.Denom()); {
	case c > 0, c == 0 && q.Bit(0) == 1:
		q.Add(q, big.NewInt(1))
	}
	return q
}

var (
	ratAlways  = new(big.Rat).SetInt64(int64(Always))
	ratHundred = big.NewRat(100, 1)
)

// parsePercent reads tc's PCT: a number from 0 to 100, optionally followed by "%". The
// fraction of 2^32−1 is rounded as tc's set_percent does, rint(per·UINT32_MAX), so an
// exact half goes to the even neighbour: 30% is 1288490188 (tc computes in doubles; for
// every percentage with up to five decimals that gives the same as this exact rounding,
// which a test checks).
func parsePercent(tok string) (Prob, string) {
	num, suffix := splitNumber(tok)
	r, ok := decimal(num)
	if !ok || (suffix != "" && suffix != "%") {
		return 0, "not a percentage: want a number from 0 to 100, optionally followed by % (e.g. 5% or 0.1%)"
	}
	if r.Cmp(ratHundred) > 0 {
		return 0, "percentage above 100%"
	}
	v := new(big.Rat).Quo(r, ratHundred)
	v.Mul(v, ratAlways)
	return Prob(rintRat(v).Uint64()), ""
}

var timeUnits = []struct {
	names []string
	ns    int64
}{
	{[]string{"s", "sec", "secs"}, int64(time.Second)},
	{[]string{"ms", "msec", "msecs"}, int64(time.Millisecond)},
	{[]string{"us", "usec", "usecs"}, int64(time.Microsecond)},
	{[]string{"ns", "nsec", "nsecs"}, 1},
}

// parseTime reads tc's TIME, but insists on a unit: a bare number means ns to tc ≥ 6.9,
// µs to older tc and ms to tcset, so accepting one would silently mean three things.
func parseTime(tok string) (time.Duration, string) {
	num, suffix := splitNumber(tok)
	r, ok := decimal(num)
	if !ok {
		return 0, "not a time: want a number with a unit, e.g. 10ms, 1.5s, 250us"
	}
	if suffix == "" {
		return 0, "a time needs a unit (s, ms, us or ns): tc reads a bare number as ns (iproute2 >= 6.9) " +
			"or us (older), tcset as ms"
	}
	for _, u := range timeUnits {
		for _, name := range u.names {
			if strings.EqualFold(suffix, name) {
				v := new(big.Rat).Mul(r, new(big.Rat).SetInt64(u.ns))
				n := roundRat(v)
				if !n.IsInt64() {
					return 0, "time too large"
				}
				return time.Duration(n.Int64()), ""
			}
		}
	}
	return 0, "unknown time unit " + quote(suffix) + "; accepted: s, sec, secs, ms, msec, msecs, us, usec, usecs, ns, nsec, nsecs"
}

var rateUnits = []struct {
	name string
	bits float64
}{
	{"bit", 1}, {"kibit", 1 << 10}, {"kbit", 1e3}, {"mibit", 1 << 20}, {"mbit", 1e6},
	{"gibit", 1 << 30}, {"gbit", 1e9}, {"tibit", 1 << 40}, {"tbit", 1e12},
	{"bps", 8}, {"kibps", 8 << 10}, {"kbps", 8e3}, {"mibps", 8 << 20}, {"mbps", 8e6},
	{"gibps", 8 << 30}, {"gbps", 8e9}, {"tibps", 8 << 40}, {"tbps", 8e12},
}

// parseRate reads tc's RATE into bytes per second (truncating, as tc does). Units are
// case-insensitive, so "mbps" is megabytes; a bare number is bit/s. 0 (in any unit) is
// no rate limit, as in tc and the kernel.
func parseRate(tok string) (uint64, string) {
	if strings.Contains(tok, "%") {
		return 0, "a rate as a percentage of the device speed needs a real device; give an absolute rate (e.g. 10mbit)"
	}
	num, suffix := splitNumber(tok)
	r, ok := decimal(num)
	if !ok {
		return 0, "not a rate: want a number with a unit, e.g. 1mbit, 500kbit, 2MBps"
	}
	scale := 0.0
	if suffix == "" {
		scale = 1
	}
	for _, u := range rateUnits {
		if strings.EqualFold(suffix, u.name) {
			scale = u.bits
		}
	}
	if scale == 0 {
		return 0, "unknown rate unit " + quote(suffix) + "; accepted (any case): bit, kbit, mbit, gbit, tbit, " +
			"kibit, mibit, gibit, tibit, and the byte forms bps, kbps, mbps, gbps, tbps, kibps, mibps, gibps, tibps"
	}
	v := new(big.Rat).Mul(r, new(big.Rat).SetFloat64(scale))
	v.Quo(v, big.NewRat(8, 1))
	n := new(big.Int).Quo(v.Num(), v.Denom())
	switch {
	case n.Sign() == 0 && r.Sign() == 0:
		return 0, "" // as tc and the kernel take it: no rate limit
	case n.Sign() == 0:
		return 0, "rate below 8bit (1 byte/s), which tc would truncate to 0, no rate limit; " +
			"write rate 0 for no limit, or at least 8bit"
	case !n.IsUint64() || n.Uint64() > maxRateBytes:
		return 0, "rate too large"
	}
	return n.Uint64(), ""
}

var sizeUnits = []struct {
	name  string
	bytes int64
}{
	{"", 1}, {"b", 1}, {"k", 1 << 10}, {"kb", 1 << 10}, {"m", 1 << 20}, {"mb", 1 << 20},
	{"g", 1 << 30}, {"gb", 1 << 30}, {"kbit", 1 << 10 / 8}, {"mbit", 1 << 20 / 8}, {"gbit", 1 << 30 / 8},
}

// parseSize reads tc's SIZE (get_size): binary multiples, "1k" = 1024.
func parseSize(tok string, limit uint64) (uint64, string) {
	num, suffix := splitNumber(tok)
	r, ok := decimal(num)
	if !ok {
		return 0, "not a size: want a number, optionally with b, k, kb, m, mb, g, gb, kbit, mbit or gbit"
	}
	for _, u := range sizeUnits {
		if strings.EqualFold(suffix, u.name) {
			v := new(big.Rat).Mul(r, new(big.Rat).SetInt64(u.bytes))
			n := new(big.Int).Quo(v.Num(), v.Denom())
			if !n.IsUint64() || n.Uint64() > limit {
				return 0, "too large (at most " + itoa(limit) + ")"
			}
			return n.Uint64(), ""
		}
	}
	return 0, "unknown size unit " + quote(suffix) + "; accepted: b, k, kb, m, mb, g, gb, kbit, mbit, gbit"
}

// parseUint reads a plain decimal integer up to limit (tc's get_u32/get_u64; tc would
// also take 0x hex and 0-prefixed octal, which tc itself never prints).
func parseUint(tok string, limit uint64) (uint64, string) {
	r, ok := decimal(tok)
	if !ok || !r.IsInt() || strings.Contains(tok, ".") {
		return 0, "not a whole number"
	}
	if !r.Num().IsUint64() || r.Num().Uint64() > limit {
		return 0, "too large (at most " + itoa(limit) + ")"
	}
	return r.Num().Uint64(), ""
}

// parseInt32 reads a signed decimal int32 (tc's get_s32), used by the rate overheads.
func parseInt32(tok string) (int32, string) {
	neg := strings.HasPrefix(tok, "-")
	v, reason := parseUint(strings.TrimPrefix(tok, "-"), math.MaxInt32+1)
	switch {
	case reason != "":
		return 0, reason
	case neg:
		return int32(-int64(v)), ""
	case v > math.MaxInt32:
		return 0, "too large (at most 2147483647)"
	}
	return int32(v), ""
}
