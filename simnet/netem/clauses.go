package netem

import (
	"math"
	"strings"
)

// The multi-argument clauses of the grammar: loss models, rate and slot.

func (ps *parser) loss(name string) *ParseError {
	p := &ps.p
	if !ps.nextIsNumber(false) {
		tok, pos, err := ps.arg(name + " MODEL or PERCENT")
		if err != nil {
			return err
		}
		switch tok {
		case "random":
		case "state":
			return ps.lossParams(name+" state", stateDefaults, []*Prob{&p.Loss.P31, &p.Loss.P32, &p.Loss.P23, &p.Loss.P14})
		case "gemodel":
			return ps.lossParams(name+" gemodel", gemodelDefaults, []*Prob{&p.Loss.R, &p.Loss.H1, &p.Loss.K1})
		default:
			return ps.fail(pos, "unknown loss model; accepted: random, state, gemodel, or a percentage")
		}
	}
	p.Loss.Model = LossRandom
	return ps.pair(name, &p.Loss.P, &p.Loss.Corr)
}

// lossParams reads a Markov model's first probability, fills tc's defaults from it, then
// overrides them with whatever optional probabilities follow.
func (ps *parser) lossParams(what string, defaults func(Prob) Loss, rest []*Prob) *ParseError {
	var first Prob
	if err := ps.percent(what, &first); err != nil {
		return err
	}
	ps.p.Loss = defaults(first)
	for _, dst := range rest {
		if !ps.nextIsNumber(false) {
			break
		}
		if err := ps.percent(what, dst); err != nil {
			return err
		}
	}
	return nil
}

func (ps *parser) rate() *ParseError {
	r := &ps.p.Rate
	tok, pos, err := ps.arg("rate RATE")
	if err != nil {
		return err
	}
	var reason string
	if r.Bytes, reason = parseRate(tok); reason != "" {
		return ps.fail(pos, "rate: "+reason)
	}
	if ps.nextIsNumber(true) {
		pos = ps.i
		if r.PacketOverhead, reason = parseInt32(ps.toks[ps.i]); reason != "" {
			return ps.fail(pos, "rate packet overhead: "+reason)
		}
		ps.i++
	}
	if ps.nextIsNumber(false) {
		pos = ps.i
		n, reason := parseUint(ps.toks[ps.i], math.MaxUint32)
		if reason != "" {
			return ps.fail(pos, "rate cell size: "+reason)
		}
		r.CellSize = uint32(n)
		ps.i++
	}
	if ps.nextIsNumber(true) {
		pos = ps.i
		if r.CellOverhead, reason = parseInt32(ps.toks[ps.i]); reason != "" {
			return ps.fail(pos, "rate cell overhead: "+reason)
		}
		ps.i++
	}
	return nil
}

func (ps *parser) slot() *ParseError {
	s := &ps.p.Slot
	var err *ParseError
	if ps.nextIsNumber(false) {
		if s.Min, err = ps.time("slot MIN"); err != nil {
			return err
		}
		s.Max = s.Min
		if ps.nextIsNumber(false) {
			pos := ps.i
			if s.Max, err = ps.time("slot MAX"); err != nil {
				return err
			}
			if s.Max < s.Min {
				return ps.fail(pos, "slot MAX is below MIN")
			}
		}
	} else {
		tok, pos, err := ps.arg("slot MIN or distribution")
		if err != nil {
			return err
		}
		if tok != "distribution" {
			return ps.fail(pos, "slot takes MIN [MAX] or distribution NAME DELAY JITTER")
		}
		if s.Dist, s.Table, err = ps.dist("slot distribution NAME", false); err != nil {
			return err
		}
		if s.Delay, err = ps.time("slot distribution DELAY"); err != nil {
			return err
		}
		pos = ps.i
		if s.Jitter, err = ps.time("slot distribution JITTER"); err != nil {
			return err
		}
		if s.Jitter <= 0 {
			return ps.fail(pos, "slot distribution JITTER must be positive")
		}
	}
	if ps.i < len(ps.toks) && strings.HasPrefix("packets", ps.toks[ps.i]) {
		ps.i++
		tok, pos, err := ps.arg("slot packets N")
		if err != nil {
			return err
		}
		n, reason := parseInt32(tok)
		if reason == "" && n < 0 {
			reason = "must not be negative (0 = unlimited)"
		}
		if reason != "" {
			return ps.fail(pos, "slot packets: "+reason)
		}
		s.Packets = n
	}
	if ps.i < len(ps.toks) && strings.HasPrefix("bytes", ps.toks[ps.i]) {
		ps.i++
		tok, pos, err := ps.arg("slot bytes SIZE")
		if err != nil {
			return err
		}
		n, reason := parseSize(tok, math.MaxInt32)
		if reason != "" {
			return ps.fail(pos, "slot bytes: "+reason)
		}
		s.Bytes = int32(n)
	}
	return nil
}
