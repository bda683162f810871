package scenario

import (
	"math"
	"strconv"
	"strings"
	"time"

	"pgregory.net/rapid"

	"github.com/dist-example/dist-example/app"
	"github.com/dist-example/dist-example/simnet/netem"
)

// Generators for the property tests: any valid netem profile, a schedule of faults, a
// seed and the run's timing, kept small (at most maxDatagrams datagrams) so that a
// hundred runs and their shrinking stay within seconds.

const maxDatagrams = 400

func probGen(maxPct float64) *rapid.Generator[netem.Prob] {
	return rapid.Custom(func(t *rapid.T) netem.Prob {
		if rapid.IntRange(0, 9).Draw(t, "whole") == 0 {
			return netem.Percent(float64(rapid.IntRange(0, int(maxPct)).Draw(t, "pct")))
		}
		return netem.Percent(rapid.Float64Range(0, maxPct).Draw(t, "pct"))
	})
}

func msGen(lo, hi int) *rapid.Generator[time.Duration] {
	return rapid.Custom(func(t *rapid.T) time.Duration {
		return time.Duration(rapid.IntRange(lo*1000, hi*1000).Draw(t, "us")) * time.Microsecond
	})
}

func lossGen() *rapid.Generator[netem.Loss] {
	return rapid.Custom(func(t *rapid.T) netem.Loss {
		switch rapid.IntRange(0, 6).Draw(t, "model") {
		case 0, 1, 2:
			return netem.Loss{}
		case 3, 4:
			l := netem.Loss{Model: netem.LossRandom, P: probGen(30).Draw(t, "p")}
			if rapid.IntRange(0, 4).Draw(t, "corr?") == 0 {
				l.Corr = probGen(100).Draw(t, "corr")
			}
			return l
		case 5:
			return netem.Loss{Model: netem.LossState, P13: probGen(20).Draw(t, "p13"), P31: probGen(100).Draw(t, "p31"),
				P32: probGen(50).Draw(t, "p32"), P23: probGen(100).Draw(t, "p23"), P14: probGen(10).Draw(t, "p14")}
		default:
			return netem.Loss{Model: netem.LossGemodel, P: probGen(20).Draw(t, "p"), R: probGen(100).Draw(t, "r"),
				H1: probGen(100).Draw(t, "1-h"), K1: probGen(10).Draw(t, "1-k")}
		}
	})
}

// profileGen draws a valid profile, any mix of tc's netem options. It returns the
// profile as Parse reads back its text, so the replay command runs exactly this link.
func profileGen() *rapid.Generator[netem.Profile] {
	return rapid.Custom(func(t *rapid.T) netem.Profile {
		var p netem.Profile
		if rapid.IntRange(0, 6).Draw(t, "perfect") == 0 {
			return p
		}
		chance := func(label string, in int) bool { return rapid.IntRange(0, in-1).Draw(t, label) == 0 }
		if !chance("no delay", 3) {
			p.Delay = msGen(0, 200).Draw(t, "delay")
			if !chance("no jitter", 3) {
				p.Jitter = msGen(0, 100).Draw(t, "jitter")
			}
			if p.Delay > 0 && p.Jitter > 0 && chance("dist", 4) {
				p.Dist = rapid.SampledFrom([]netem.Dist{netem.DistNormal, netem.DistPareto, netem.DistParetoNormal}).Draw(t, "dist")
			}
			if chance("delay corr", 8) {
				p.DelayCorr = probGen(100).Draw(t, "delay corr")
			}
		}
		p.Loss = lossGen().Draw(t, "loss")
		lossy := p.Loss.Model == netem.LossState || p.Loss.Model == netem.LossGemodel || p.Loss.P != 0
		if lossy && chance("ecn", 10) {
			p.ECN = true
		}
		if chance("duplicate", 2) {
			p.Duplicate = probGen(20).Draw(t, "duplicate")
		}
		if chance("corrupt", 5) {
			p.Corrupt = probGen(10).Draw(t, "corrupt")
		}
		if p.Delay > 0 && chance("reorder", 2) {
			p.Reorder = probGen(60).Draw(t, "reorder")
			if chance("gap", 3) {
				p.Gap = uint32(rapid.IntRange(1, 10).Draw(t, "gap"))
			}
		}
		if p.Reorder == 0 {
			p.Gap = 0
		}
		if chance("rate", 5) {
			p.Rate.Bytes = uint64(rapid.IntRange(100, 1_000_000).Draw(t, "rate"))
			if chance("overhead", 4) {
				p.Rate.PacketOverhead = int32(rapid.IntRange(-4, 40).Draw(t, "overhead"))
			}
		}
		if chance("limit", 4) {
			p.Limit = uint32(rapid.IntRange(1, 100).Draw(t, "limit"))
		}
		if chance("slot", 12) {
			p.Slot.Min = msGen(0, 20).Draw(t, "slot min")
			p.Slot.Max = p.Slot.Min + msGen(0, 20).Draw(t, "slot spread")
			p.Slot.Packets = int32(rapid.IntRange(0, 10).Draw(t, "slot packets"))
		}
		if chance("seed", 10) {
			p.Seed, p.SeedSet = rapid.Uint64().Draw(t, "netem seed"), true
		}
		if err := p.Validate(); err != nil {
			t.Fatalf("generator made an invalid profile %q: %v", p, err)
		}
		q, err := netem.Parse(p.String())
		if err != nil {
			t.Fatalf("netem.Parse(%q) of a valid profile: %v", p.String(), err)
		}
		return q
	})
}

// startGen draws the next number after a restart or jump, relative to the highest sent
// so far: close by, past the rewind distance, around the receiver's window, past its
// restart distance, or past its maximum jump, or back to where an earlier stretch
// started (a restarted sender rewinding into numbers it sent before), so that every
// branch of the receiver's stream logic is reached.
func startGen(highest int64, earlier []int64) *rapid.Generator[int64] {
	return rapid.Custom(func(t *rapid.T) int64 {
		const w, rd = app.WindowSize, app.RestartDistance
		if len(earlier) > 0 && rapid.IntRange(0, 2).Draw(t, "back?") == 0 {
			return rapid.SampledFrom(earlier).Draw(t, "earlier start") + int64(rapid.IntRange(0, 3).Draw(t, "plus"))
		}
		var d int64
		switch rapid.IntRange(0, 7).Draw(t, "where") {
		case 7:
			d = app.RewindDistance + int64(rapid.IntRange(1, 500).Draw(t, "past the rewind distance"))
		case 0:
			d = int64(rapid.IntRange(-50, 50).Draw(t, "near"))
		case 1:
			d = int64(rapid.IntRange(w-100, 2*w).Draw(t, "past the window"))
		case 2:
			d = -int64(rapid.IntRange(w-100, rd-1).Draw(t, "below the window"))
		case 3:
			d = -int64(rapid.IntRange(rd-5, rd+1000).Draw(t, "restart below"))
		case 4:
			d = app.MaxJump + int64(rapid.IntRange(-5, 1000).Draw(t, "jump above"))
		case 5:
			return rapid.SampledFrom([]int64{0, math.MinInt64, math.MaxInt64 - 100}).Draw(t, "extreme")
		default:
			return rapid.Int64().Draw(t, "anywhere")
		}
		return highest + d // wraps like the sender's numbers do
	})
}

// scenarioGen draws a whole run.
func scenarioGen() *rapid.Generator[Config] {
	return rapid.Custom(func(t *rapid.T) Config {
		iv := msGen(1, 50).Draw(t, "send interval")
		n := rapid.IntRange(1, maxDatagrams).Draw(t, "datagrams")
		dur := iv * time.Duration(n)
		cfg := Config{
			Seed:         rapid.Uint64().Draw(t, "seed"),
			Profile:      profileGen().Draw(t, "profile"),
			Duration:     dur,
			SendInterval: iv,
			Interval:     time.Duration(rapid.Int64Range(int64(10*time.Millisecond), int64(dur)+int64(time.Second)).Draw(t, "interval")),
			Oracle:       true,
		}
		cfg.Faults = faultsGen(cfg).Draw(t, "faults")
		cfg.Correlation = rapid.SampledFrom([]netem.Correlation{netem.CorrelationStated, netem.CorrelationKernel}).Draw(t, "correlation")
		return cfg
	})
}

// faultsGen draws a schedule in time order, tracking the sender's highest number so
// that restarts and jumps land where they matter.
func faultsGen(cfg Config) *rapid.Generator[[]Fault] {
	return rapid.Custom(func(t *rapid.T) []Fault {
		var fs []Fault
		k := rapid.IntRange(0, 4).Draw(t, "faults")
		var at, segStart, upAt time.Duration
		var start int64
		starts := []int64{0}
		partitioned := false
		for range k {
			at += time.Duration(rapid.Int64Range(0, int64(cfg.Duration)/2).Draw(t, "after"))
			if at >= cfg.Duration {
				break
			}
			// The highest number sent before at: the segment's start plus the sends due.
			sent := int64(0)
			if at > segStart {
				sent = int64((at - segStart + cfg.SendInterval - 1) / cfg.SendInterval)
			}
			highest := start + max(sent-1, 0)
			kind := rapid.SampledFrom([]FaultKind{Partition, Heal, Restart, Jump}).Draw(t, "kind")
			if (kind == Restart || kind == Jump) && at < upAt {
				kind = Heal
			}
			f := Fault{At: at, Kind: kind}
			switch kind {
			case Partition:
				if partitioned {
					f.Kind = Heal
				}
				partitioned = !partitioned
			case Heal:
				partitioned = false
			case Restart:
				f.Down = msGen(0, 300).Draw(t, "down")
				f.Down = min(f.Down, cfg.Duration-at)
				f.Start = startGen(highest, starts).Draw(t, "start")
				segStart, start, upAt = at+f.Down, f.Start, at+f.Down
				starts = append(starts, start)
			case Jump:
				f.Start = startGen(highest, starts).Draw(t, "start")
				segStart, start = at, f.Start
				starts = append(starts, start)
			}
			fs = append(fs, f)
		}
		return fs
	})
}

// replay is the command line that reruns cfg, for failure messages.
func replay(cfg Config) string {
	var b strings.Builder
	b.WriteString("dist-example sim -seed " + strconv.FormatUint(cfg.Seed, 10))
	b.WriteString(" -duration " + cfg.Duration.String())
	b.WriteString(" -send-interval " + cfg.SendInterval.String())
	b.WriteString(" -interval " + cfg.Interval.String())
	b.WriteString(" -netem '" + cfg.Profile.String() + "'")
	if len(cfg.Faults) > 0 {
		b.WriteString(" -faults '" + FormatFaults(cfg.Faults) + "'")
	}
	if cfg.Correlation != netem.CorrelationStated {
		b.WriteString(" -correlation " + cfg.Correlation.String())
	}
	return b.String()
}
