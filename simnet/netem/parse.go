package netem

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// ParseError names the offending token and the rule it broke.
type ParseError struct {
	Token  string // the token at fault ("" at end of input)
	Pos    int    // its index among the whitespace-separated tokens, from 0
	Reason string
	Err    error // the Loader's error, when loading a distribution table failed
}

// Unwrap returns the Loader's error, if any (it wraps fs.ErrNotExist when LoadTable
// found no file).
func (e *ParseError) Unwrap() error { return e.Err }

func (e *ParseError) Error() string {
	if e.Token == "" {
		return "netem: at end of text: " + e.Reason
	}
	return fmt.Sprintf("netem: %q (token %d): %s", e.Token, e.Pos+1, e.Reason)
}

type keyword uint8

const (
	kwNone keyword = iota
	kwLimit
	kwDelay
	kwLoss
	kwSeed
	kwECN
	kwReorder
	kwCorrupt
	kwGap
	kwDuplicate
	kwDistribution
	kwRate
	kwSlot
)

// keywords is tc's matching order (iproute2 tc/q_netem.c): a token selects the first
// keyword it is a prefix of, so "d" is delay, "r" reorder, "s" seed, "l" limit.
var keywords = []struct {
	name string
	kw   keyword
}{
	{"limit", kwLimit}, {"latency", kwDelay}, {"delay", kwDelay}, {"loss", kwLoss}, {"drop", kwLoss},
	{"seed", kwSeed}, {"ecn", kwECN}, {"reorder", kwReorder}, {"corrupt", kwCorrupt}, {"gap", kwGap},
	{"duplicate", kwDuplicate}, {"distribution", kwDistribution}, {"rate", kwRate}, {"slot", kwSlot},
}

var kwNames = [...]string{kwLimit: "limit", kwDelay: "delay", kwLoss: "loss", kwSeed: "seed", kwECN: "ecn",
	kwReorder: "reorder", kwCorrupt: "corrupt", kwGap: "gap", kwDuplicate: "duplicate",
	kwDistribution: "distribution", kwRate: "rate", kwSlot: "slot"}

const keywordList = "limit, delay (latency), loss (drop), seed, ecn, reorder, corrupt, gap, duplicate, " +
	"distribution, rate, slot (or any prefix, first match in that order)"

const distList = "uniform, normal, pareto, paretonormal"

func lookupKeyword(tok string) (keyword, string) {
	for _, k := range keywords {
		if strings.HasPrefix(k.name, tok) {
			return k.kw, k.name
		}
	}
	return kwNone, ""
}

// Parse reads tc netem text ("delay 50ms 10ms loss 5% duplicate 1% reorder 10%"), the
// options that follow "netem" in `tc qdisc add dev D root netem ...`. Errors are
// *ParseError naming the token and the rule. Parse("") is the zero Profile. A
// distribution that is not built in ("distribution experimental") is read as tc reads
// it, by LoadTable from tc's library directory; ParseWith chooses how.
func Parse(text string) (Profile, error) { return ParseWith(text, LoadTable) }

// ParseWith is Parse with load supplying the tables of distributions that are not built
// in (normal, pareto and paretonormal always are); with a nil load such names are errors.
func ParseWith(text string, load Loader) (Profile, error) {
	ps := parser{toks: strings.Fields(text), seen: map[keyword]int{}, dupCorrPos: -1, load: load}
	if err := ps.run(); err != nil {
		return Profile{}, err
	}
	return ps.p, nil
}

type parser struct {
	toks       []string
	i          int
	p          Profile
	seen       map[keyword]int // token index of each keyword given
	dupCorrPos int
	load       Loader
}

func (ps *parser) fail(pos int, reason string) *ParseError {
	if pos >= len(ps.toks) {
		return &ParseError{Token: "", Pos: len(ps.toks), Reason: reason}
	}
	return &ParseError{Token: ps.toks[pos], Pos: pos, Reason: reason}
}

// arg consumes the required argument of what, or fails naming what was expected.
func (ps *parser) arg(what string) (string, int, *ParseError) {
	if ps.i >= len(ps.toks) {
		return "", ps.i, ps.fail(ps.i, what+" is missing")
	}
	ps.i++
	return ps.toks[ps.i-1], ps.i - 1, nil
}

// nextIsNumber is tc's test for an optional argument: the next token starts with a digit
// (or, where signed is true, a '-').
func (ps *parser) nextIsNumber(signed bool) bool {
	if ps.i >= len(ps.toks) {
		return false
	}
	c := ps.toks[ps.i][0]
	return c >= '0' && c <= '9' || signed && c == '-'
}

func (ps *parser) run() error {
	for ps.i < len(ps.toks) {
		pos := ps.i
		tok := ps.toks[pos]
		ps.i++
		kw, name := lookupKeyword(tok)
		if kw == kwNone {
			return ps.fail(pos, "unknown keyword; accepted: "+keywordList)
		}
		if first, ok := ps.seen[kw]; ok {
			return ps.fail(pos, fmt.Sprintf("%s given twice (first as token %d, %q); give each option once",
				kwNames[kw], first+1, ps.toks[first]))
		}
		ps.seen[kw] = pos
		if err := ps.option(kw, name); err != nil {
			return err
		}
	}
	return ps.finish()
}

func (ps *parser) option(kw keyword, name string) *ParseError {
	p := &ps.p
	switch kw {
	case kwLimit:
		tok, pos, err := ps.arg("limit PACKETS")
		if err != nil {
			return err
		}
		n, reason := parseSize(tok, math.MaxUint32)
		if reason == "" && n == 0 {
			reason = "0 would drop every packet (use loss 100% for a black hole)"
		}
		if reason != "" {
			return ps.fail(pos, "limit: "+reason)
		}
		p.Limit = uint32(n)
	case kwDelay:
		var err *ParseError
		if p.Delay, err = ps.time(name); err != nil {
			return err
		}
		if ps.nextIsNumber(false) {
			if p.Jitter, err = ps.time(name + " jitter"); err != nil {
				return err
			}
			if ps.nextIsNumber(false) {
				return ps.percent(name+" correlation", &p.DelayCorr)
			}
		}
	case kwLoss:
		return ps.loss(name)
	case kwSeed:
		tok, pos, err := ps.arg("seed NUMBER")
		if err != nil {
			return err
		}
		n, reason := parseUint(tok, math.MaxUint64)
		if reason != "" {
			return ps.fail(pos, "seed: "+reason)
		}
		p.Seed, p.SeedSet = n, true
	case kwECN:
		p.ECN = true
	case kwReorder:
		return ps.pair(name, &p.Reorder, &p.ReorderCorr)
	case kwCorrupt:
		return ps.pair(name, &p.Corrupt, &p.CorruptCorr)
	case kwDuplicate:
		if err := ps.percent(name, &p.Duplicate); err != nil {
			return err
		}
		if ps.nextIsNumber(false) {
			ps.dupCorrPos = ps.i
			return ps.percent(name+" correlation", &p.DuplicateCorr)
		}
	case kwGap:
		tok, pos, err := ps.arg("gap DISTANCE")
		if err != nil {
			return err
		}
		n, reason := parseUint(tok, math.MaxUint32)
		if reason != "" {
			return ps.fail(pos, "gap: "+reason)
		}
		p.Gap = uint32(n)
	case kwDistribution:
		var err *ParseError
		if p.Dist, p.Table, err = ps.dist("distribution NAME", true); err != nil {
			return err
		}
	case kwRate:
		return ps.rate()
	case kwSlot:
		return ps.slot()
	}
	return nil
}

func (ps *parser) time(what string) (time.Duration, *ParseError) {
	tok, pos, err := ps.arg(what + " TIME")
	if err != nil {
		return 0, err
	}
	v, reason := parseTime(tok)
	if reason != "" {
		return 0, ps.fail(pos, what+": "+reason)
	}
	return v, nil
}

func (ps *parser) percent(what string, dst *Prob) *ParseError {
	tok, pos, err := ps.arg(what + " PERCENT")
	if err != nil {
		return err
	}
	v, reason := parsePercent(tok)
	if reason != "" {
		return ps.fail(pos, what+": "+reason)
	}
	*dst = v
	return nil
}

// pair reads "PERCENT [CORRELATION]".
func (ps *parser) pair(what string, p, corr *Prob) *ParseError {
	if err := ps.percent(what, p); err != nil {
		return err
	}
	if ps.nextIsNumber(false) {
		return ps.percent(what+" correlation", corr)
	}
	return nil
}

func (ps *parser) dist(what string, uniformOK bool) (Dist, Table, *ParseError) {
	tok, pos, err := ps.arg(what)
	if err != nil {
		return 0, Table{}, err
	}
	for d := DistUniform; d <= DistParetoNormal; d++ {
		if tok == distNames[d] && (uniformOK || d != DistUniform) {
			return d, Table{}, nil
		}
	}
	accepted, none := distList, "no table for this distribution; accepted: "
	if !uniformOK {
		accepted, none = "normal, pareto, paretonormal (for uniform slots write slot MIN MAX)", "no table for this slot distribution; accepted: "
	}
	switch {
	case tok == "uniform" || ps.load == nil:
		return 0, Table{}, ps.fail(pos, none+accepted)
	case checkTableName(tok) != "":
		return 0, Table{}, ps.fail(pos, checkTableName(tok)+"; built in: "+accepted)
	}
	t, lerr := ps.load(tok)
	if lerr == nil && (t.Len() == 0 || t.name != tok) {
		lerr = fmt.Errorf("netem: the loader returned table %q (%d entries) for %q", t.name, t.Len(), tok)
	}
	if lerr != nil {
		e := ps.fail(pos, strings.TrimPrefix(lerr.Error(), "netem: "))
		e.Err = lerr
		return 0, Table{}, e
	}
	return DistTable, t, nil
}

// finish applies tc's cross-option checks, naming the option that breaks each.
func (ps *parser) finish() error {
	p := ps.p
	if pos, ok := ps.seen[kwDistribution]; ok && (p.Delay == 0 || p.Jitter == 0) {
		return ps.fail(pos, "a distribution needs a delay and a jitter (e.g. delay 50ms 10ms distribution normal)")
	}
	kw, reason := p.check()
	if kw == "" {
		return nil
	}
	pos := len(ps.toks)
	if k, _ := lookupKeyword(kw); k != kwNone {
		if at, ok := ps.seen[k]; ok {
			pos = at
		}
	}
	if kw == "duplicate" && ps.dupCorrPos >= 0 {
		pos = ps.dupCorrPos
	}
	return ps.fail(pos, reason)
}

func quote(s string) string { return strconv.Quote(s) }

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }
