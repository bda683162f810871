package netem

import (
	"fmt"
	"math/rand/v2"
	"strconv"
)

// crand is a correlated 32-bit draw. The kernel's get_crandom averages a fresh value
// with the previous output, which squeezes draws towards 2^31: "loss 1% 25%" then loses
// almost nothing. We use a model with the stated meaning instead: with probability rho
// the previous value is repeated, otherwise a fresh uniform value is drawn. Each value is
// then exactly uniform (so an event with probability p fires at rate p) and successive
// values have lag-1 correlation rho (so do the events they decide, and delays drawn
// from them). One 64-bit draw supplies both the repeat decision and the fresh value.
//
// With kernel set it is get_crandom itself, R = (U·(2^32−(ρ+1)) + last·(ρ+1)) >> 32, for
// runs that must behave like a real netem qdisc (see Correlation).
type crand struct {
	rho    uint32
	last   uint32
	kernel bool
}

// Correlation selects how a link makes its correlated draws (the CORR of delay, loss,
// duplicate, reorder and corrupt); draws without a correlation are the same either way.
type Correlation uint8

const (
	// CorrelationStated, the default, gives the stated meaning: an event fires at the
	// stated rate and successive draws have the stated lag-1 correlation.
	CorrelationStated Correlation = iota
	// CorrelationKernel is the kernel's get_crandom, a weighted average of a fresh value
	// and the previous result: "loss 10% 25%" then loses about 1.75% and "loss 1% 25%"
	// almost nothing, as a real netem qdisc does.
	CorrelationKernel
)

// ParseCorrelation reads "stated" or "kernel".
func ParseCorrelation(s string) (Correlation, error) {
	switch s {
	case "stated":
		return CorrelationStated, nil
	case "kernel":
		return CorrelationKernel, nil
	}
	return 0, fmt.Errorf("correlation %q: want stated (rate and lag-1 correlation as stated, the default) or kernel (Linux's get_crandom, as a real qdisc)", s)
}

// Validate reports a Correlation that is neither CorrelationStated nor CorrelationKernel.
func (c Correlation) Validate() error {
	if c > CorrelationKernel {
		return fmt.Errorf("netem: %v: want stated or kernel", c)
	}
	return nil
}

func (c Correlation) String() string {
	switch c {
	case CorrelationStated:
		return "stated"
	case CorrelationKernel:
		return "kernel"
	}
	return "Correlation(" + strconv.Itoa(int(c)) + ")"
}

// reset sets the correlation and, like the kernel, a new starting value drawn from the
// source the kernel leaves unseeded (aux here, so runs stay reproducible).
func (c *crand) reset(rho Prob, aux *rand.PCG) {
	c.rho = uint32(rho)
	c.last = uint32(aux.Uint64() >> 32)
}

func (c *crand) next(r *rand.PCG) uint32 {
	x := r.Uint64()
	if c.rho == 0 {
		return uint32(x >> 32)
	}
	if c.kernel {
		// No overflow: (2^32−1)(2^32−ρ') + (2^32−1)ρ' < 2^64.
		rho := uint64(c.rho) + 1
		c.last = uint32(((x>>32)*((1<<32)-rho) + uint64(c.last)*rho) >> 32)
		return c.last
	}
	if uint32(x) <= c.rho {
		return c.last
	}
	c.last = uint32(x >> 32)
	return c.last
}

// u32 is a plain 32-bit draw (prandom_u32_state).
func u32(r *rand.PCG) uint32 { return uint32(r.Uint64() >> 32) }

// fires is tc's threshold test: 0 never fires, Always always does.
func fires(p Prob, r uint32) bool { return p != 0 && uint32(p) >= r }

// splitmix64 spreads one seed into independent-looking stream seeds.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// seedPCG seeds r from seed and a stream label, so that the main and auxiliary streams
// of one link, and the streams of links with different seeds, do not overlap.
func seedPCG(r *rand.PCG, seed, stream uint64) {
	r.Seed(splitmix64(seed^stream), splitmix64(seed+stream*0x9e3779b97f4a7c15+1))
}
