package netem

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

func TestParseValid(t *testing.T) {
	cases := []struct {
		name, text string
		want       Profile
		canonical  string
	}{
		{"empty", "", Profile{}, ""},
		{"blank", "  \t\n", Profile{}, ""},
		{"facts example",
			"delay 100ms 10ms 25% distribution normal loss 0.3% 25% duplicate 1% corrupt 0.1% reorder 25% 50% gap 5 rate 1mbit limit 1000",
			Profile{Limit: 1000, Delay: 100 * time.Millisecond, Jitter: 10 * time.Millisecond, DelayCorr: Percent(25),
				Dist: DistNormal, Loss: Loss{Model: LossRandom, P: Percent(0.3), Corr: Percent(25)},
				Duplicate: Percent(1), Corrupt: Percent(0.1), Reorder: Percent(25), ReorderCorr: Percent(50), Gap: 5,
				Rate: Rate{Bytes: 125000}},
			"limit 1000 delay 100ms 10ms 25% distribution normal loss 0.3% 25% duplicate 1% reorder 25% 50% gap 5 corrupt 0.1% rate 1mbit"},
		{"prefixes d and r", "d 10ms r 10%", Profile{Delay: 10 * time.Millisecond, Reorder: Percent(10)}, "delay 10ms reorder 10%"},
		{"latency alias", "latency 1.5s", Profile{Delay: 1500 * time.Millisecond}, "delay 1500ms"},
		{"drop alias and random", "drop random 5", Profile{Loss: Loss{Model: LossRandom, P: Percent(5)}}, "loss 5%"},
		{"time units any case", "delay 10MS 250usec", Profile{Delay: 10 * time.Millisecond, Jitter: 250 * time.Microsecond}, "delay 10ms 250us"},
		{"nanoseconds", "delay 1ns", Profile{Delay: 1}, "delay 1ns"},
		{"limit size suffix", "limit 1k", Profile{Limit: 1024}, "limit 1024"},
		{"rate bytes unit", "rate 2MBps", Profile{Rate: Rate{Bytes: 2_000_000}}, "rate 16mbit"},
		{"rate mbps is bytes", "rate 1mbps", Profile{Rate: Rate{Bytes: 1_000_000}}, "rate 8mbit"},
		{"rate bare is bits", "rate 8000", Profile{Rate: Rate{Bytes: 1000}}, "rate 8kbit"},
		{"rate truncates to bytes", "rate 100bit", Profile{Rate: Rate{Bytes: 12}}, "rate 96bit"},
		{"rate cells", "rate 1mbit 0 48 5", Profile{Rate: Rate{Bytes: 125000, CellSize: 48, CellOverhead: 5}}, "rate 1mbit 0 48 5"},
		{"rate negative overhead", "rate 1mbit -20", Profile{Rate: Rate{Bytes: 125000, PacketOverhead: -20}}, "rate 1mbit -20"},
		{"loss state defaults", "loss state 1%", Profile{Loss: stateDefaults(Percent(1))}, "loss state 1%"},
		{"loss state full", "loss state 1% 30% 5% 10% 0.1%",
			Profile{Loss: Loss{Model: LossState, P13: Percent(1), P31: Percent(30), P32: Percent(5), P23: Percent(10), P14: Percent(0.1)}},
			"loss state 1% 30% 5% 10% 0.1%"},
		{"gemodel defaults", "loss gemodel 2", Profile{Loss: gemodelDefaults(Percent(2))}, "loss gemodel 2%"},
		{"gemodel full", "loss gemodel 1% 10% 70% 0.1%",
			Profile{Loss: Loss{Model: LossGemodel, P: Percent(1), R: Percent(10), H1: Percent(70), K1: Percent(0.1)}},
			"loss gemodel 1% 10% 70% 0.1%"},
		{"ecn", "loss 1% ecn", Profile{Loss: Loss{Model: LossRandom, P: Percent(1)}, ECN: true}, "loss 1% ecn"},
		{"uniform distribution", "delay 10ms 5ms distribution uniform", Profile{Delay: 10 * time.Millisecond, Jitter: 5 * time.Millisecond}, "delay 10ms 5ms"},
		{"gap 0 is the default", "delay 1ms reorder 5% gap 0", Profile{Delay: time.Millisecond, Reorder: Percent(5)}, "delay 1ms reorder 5%"},
		{"duplicate correlation with another", "delay 1ms 1ms 1% duplicate 1% 25%",
			Profile{Delay: time.Millisecond, Jitter: time.Millisecond, DelayCorr: Percent(1), Duplicate: Percent(1), DuplicateCorr: Percent(25)},
			"delay 1ms 1ms 1% duplicate 1% 25%"},
		{"slot", "slot 1ms 2ms packets 5 bytes 1k",
			Profile{Slot: Slot{Min: time.Millisecond, Max: 2 * time.Millisecond, Packets: 5, Bytes: 1024}},
			"slot 1ms 2ms packets 5 bytes 1024"},
		{"slot prefixes", "slot 1ms p 5 b 10", Profile{Slot: Slot{Min: time.Millisecond, Max: time.Millisecond, Packets: 5, Bytes: 10}},
			"slot 1ms packets 5 bytes 10"},
		{"slot distribution", "slot distribution pareto 1ms 500us",
			Profile{Slot: Slot{Dist: DistPareto, Delay: time.Millisecond, Jitter: 500 * time.Microsecond}},
			"slot distribution pareto 1ms 500us"},
		{"seed", "seed 18446744073709551615", Profile{Seed: 1<<64 - 1, SeedSet: true}, "seed 18446744073709551615"},
		{"tiny percent", "loss 0.0000001%", Profile{Loss: Loss{Model: LossRandom, P: 4}}, "loss 0.0000001%"},
		{"hundred", "duplicate 100", Profile{Duplicate: Always}, "duplicate 100%"},
		{"rate 0 is no rate limit", "rate 0", Profile{}, ""},
		{"rate 0 in any unit", "delay 1ms rate 0mbit", Profile{Delay: time.Millisecond}, "delay 1ms"},
		{"30% rounds half to even as tc's rint", "loss 30%", Profile{Loss: Loss{Model: LossRandom, P: 1288490188}}, "loss 30%"},
		{"70% rounds half to even as tc's rint", "loss 70%", Profile{Loss: Loss{Model: LossRandom, P: 3006477106}}, "loss 70%"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := Parse(c.text)
			require.NoError(t, err)
			assert.Equal(t, c.want, p)
			assert.Equal(t, c.canonical, p.String())
			assert.NoError(t, p.Validate())
		})
	}
}

func TestParseInvalid(t *testing.T) {
	cases := []struct {
		name, text, token, reason string
	}{
		{"unknown keyword", "delay 10ms foo", "foo", "unknown keyword; accepted: limit, delay"},
		{"bare time", "delay 10", "10", "a time needs a unit"},
		{"bad time unit", "delay 10m", "10m", `unknown time unit "m"`},
		{"negative time", "delay -5ms", "-5ms", "not a time"},
		{"missing argument", "delay", "", "delay TIME is missing"},
		{"reorder needs delay", "reorder 10%", "reorder", "reorder needs a delay"},
		{"gap needs reorder", "delay 10ms gap 5", "gap", "gap needs a reorder"},
		{"man page gap example", "gap 5 delay 10ms", "gap", "gap needs a reorder"},
		{"ecn needs loss", "ecn", "ecn", "ecn needs a loss"},
		{"ecn needs nonzero loss", "loss 0% ecn", "ecn", "ecn needs a loss"},
		{"distribution needs jitter", "delay 10ms distribution normal", "distribution", "needs a delay and a jitter"},
		{"uniform also needs jitter", "distribution uniform", "distribution", "needs a delay and a jitter"},
		{"not a distribution name", "delay 1ms 1ms distribution ../../etc/passwd", "../../etc/passwd", "it is not a path; built in: uniform, normal"},
		{"percent above 100", "loss 101%", "101%", "above 100%"},
		{"percent garbage", "loss 5%%", "5%%", "not a percentage"},
		{"percent fraction form", "loss 0.5x", "0.5x", "not a percentage"},
		{"repeated keyword", "loss 1% drop 2%", "drop", "loss given twice"},
		{"unknown loss model", "loss bursty 5%", "bursty", "unknown loss model"},
		{"duplicate correlation alone", "duplicate 1% 25%", "25%", "tc sends a duplicate correlation only"},
		{"rate percent", "rate 50%", "50%", "needs a real device"},
		{"rate too small", "rate 7bit", "7bit", "below 8bit"},
		{"rate 0 with overhead", "rate 0 14", "rate", "overheads need a nonzero rate"},
		{"rate unit", "rate 10mb", "10mb", `unknown rate unit "mb"`},
		{"limit zero", "limit 0", "0", "0 would drop every packet"},
		{"limit too big", "limit 5g", "5g", "too large"},
		{"gap not integer", "delay 1ms reorder 1% gap 1.5", "1.5", "not a whole number"},
		{"slot max below min", "slot 2ms 1ms", "1ms", "MAX is below MIN"},
		{"slot uniform distribution", "slot distribution uniform 1ms 1ms", "uniform", "slot distribution"},
		{"slot zero jitter", "slot distribution normal 1ms 0ms", "0ms", "JITTER must be positive"},
		{"slot keyword", "slot fast", "fast", "slot takes MIN [MAX] or distribution"},
		{"slot packets order", "slot 1ms bytes 10 packets 2", "packets", "unknown keyword"},
		{"negative slot packets", "slot 1ms packets -1", "-1", "must not be negative"},
		{"help is not an option", "help", "help", "unknown keyword"},
		{"case sensitive keywords", "DELAY 10ms", "DELAY", "unknown keyword"},
		{"seed not a number", "seed x", "x", "seed: not a whole number"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse(c.text)
			var pe *ParseError
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, c.token, pe.Token)
			if c.token != "" {
				assert.Equal(t, c.token, strings.Fields(c.text)[pe.Pos])
			}
			assert.Contains(t, pe.Reason, c.reason)
			assert.Contains(t, err.Error(), c.reason)
		})
	}
}

// Every prefix of every keyword selects the first keyword in tc's order it prefixes.
func TestKeywordPrefixes(t *testing.T) {
	cases := map[string]keyword{
		"l": kwLimit, "li": kwLimit, "la": kwDelay, "lo": kwLoss, "d": kwDelay, "de": kwDelay,
		"dr": kwLoss, "du": kwDuplicate, "di": kwDistribution, "s": kwSeed, "sl": kwSlot, "e": kwECN,
		"r": kwReorder, "ra": kwRate, "c": kwCorrupt, "g": kwGap, "x": kwNone, "delays": kwNone,
	}
	for tok, want := range cases {
		got, _ := lookupKeyword(tok)
		assert.Equal(t, want, got, "token %q", tok)
	}
}

func TestValidate(t *testing.T) {
	bad := map[string]Profile{
		"negative delay":    {Delay: -1},
		"reorder no delay":  {Reorder: 1},
		"gap no reorder":    {Gap: 2, Delay: 1},
		"ecn no loss":       {ECN: true},
		"dist no jitter":    {Delay: 1, Dist: DistNormal},
		"stray loss fields": {Loss: Loss{Model: LossRandom, R: 1}},
		"overhead no rate":  {Rate: Rate{PacketOverhead: 4}},
		"rate too large":    {Rate: Rate{Bytes: maxRateBytes + 1}},
		"slot max < min":    {Slot: Slot{Min: 2, Max: 1}},
		"dup corr alone":    {Duplicate: 1, DuplicateCorr: 1},
		"unknown dist":      {Delay: 1, Jitter: 1, Dist: 9},
	}
	for name, p := range bad {
		t.Run(name, func(t *testing.T) {
			err := p.Validate()
			require.Error(t, err)
			assert.True(t, errors.Is(err, ErrInvalid))
		})
	}
}

// Any valid Profile prints as text that parses back to exactly it.
func TestRoundTrip(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		p := genProfile(rt, rapid.Bool().Draw(rt, "small"))
		require.NoError(rt, p.Validate())
		text := p.String()
		q, err := Parse(text)
		require.NoError(rt, err, "text %q", text)
		require.Equal(rt, p, q, "text %q", text)
		require.Equal(rt, text, q.String())
	})
}

func TestPercentFormatting(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		p := Prob(rapid.Uint32().Draw(rt, "p"))
		q, reason := parsePercent(strings.TrimSuffix(p.String(), "%"))
		require.Empty(rt, reason)
		require.Equal(rt, p, q)
	})
	assert.Equal(t, "5%", Percent(5).String())
	assert.Equal(t, "0.1%", Percent(0.1).String())
	assert.Equal(t, "100%", Always.String())
	assert.Equal(t, "0%", Prob(0).String())
}

// Percentages become tc's fixed point exactly as tc's set_percent computes it in
// doubles, rint(strtod(text)/100·UINT32_MAX): every percentage with up to three
// decimals, and every 97th with five (also through Percent, which takes the float).
func TestPercentAsTcRint(t *testing.T) {
	tc := func(s string) Prob {
		f, err := strconv.ParseFloat(s, 64)
		require.NoError(t, err)
		return Prob(math.RoundToEven(f / 100 * float64(math.MaxUint32)))
	}
	check := func(s string) {
		got, reason := parsePercent(s + "%")
		require.Empty(t, reason, s)
		require.Equal(t, tc(s), got, "%s%%", s)
	}
	for i := 0; i <= 100_000; i++ {
		check(strconv.FormatFloat(float64(i)/1000, 'f', 3, 64))
	}
	for i := 0; i <= 10_000_000; i += 97 {
		s := strconv.FormatFloat(float64(i)/100_000, 'f', 5, 64)
		check(s)
		f, _ := strconv.ParseFloat(s, 64)
		require.Equal(t, tc(s), Percent(f), "Percent(%s)", s)
	}
}
