package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func sweep(t *testing.T, args ...string) (stdout, stderr string) {
	t.Helper()
	code, out, errOut := runCmd(context.Background(), append([]string{"sweep"}, args...)...)
	require.Equal(t, 0, code, "sweep %q failed: %s", args, errOut)
	return out, errOut
}

func TestGridExpansion(t *testing.T) {
	texts := func(g *grid) []string {
		var s []string
		for _, p := range g.profiles {
			s = append(s, p.text)
		}
		return s
	}
	g, err := parseGrid("delay 20ms loss {0..0.3..0.1}%")
	require.NoError(t, err)
	assert.Equal(t, []string{"delay 20ms loss 0.0%", "delay 20ms loss 0.1%", "delay 20ms loss 0.2%", "delay 20ms loss 0.3%"}, texts(g))
	assert.True(t, g.numeric)
	assert.Equal(t, "delay 20ms loss X%", g.xLabel)
	assert.Equal(t, 0.3, g.profiles[3].x)

	g, err = parseGrid("delay {10,20}ms {1..2}ms")
	require.NoError(t, err)
	assert.Equal(t, []string{"delay 10ms 1ms", "delay 10ms 2ms", "delay 20ms 1ms", "delay 20ms 2ms"}, texts(g), "the leftmost group varies slowest")
	assert.False(t, g.numeric)
	assert.Equal(t, "profile", g.xLabel)

	g, err = parseGrid("loss 1%; ; delay 5ms {normal,pareto}")
	require.NoError(t, err)
	assert.Equal(t, []string{"loss 1%", "", "delay 5ms normal", "delay 5ms pareto"}, texts(g))
	assert.Equal(t, 3.0, g.profiles[3].x, "x is the index when profiles are listed")

	for _, bad := range []struct{ grid, want string }{
		{"loss {1,5%", "without its '}'"},
		{"loss 1,5}%", "without its '{'"},
		{"loss {1,{2}}%", "do not nest"},
		{"loss {1,,2}%", "an empty value"},
		{"loss {5..1}%", "B must be >= A"},
		{"loss {1..5..0}%", "STEP must be > 0"},
		{"loss {a..5}%", `"a" is not a number`},
		{"loss {1..2..3..4}%", "want {A..B}"},
		{"loss {0..100000}%", "more than 10000"},
		{"delay {1..100}ms {1..101}ms", "more than 10000 profiles"},
	} {
		_, err := parseGrid(bad.grid)
		if assert.Error(t, err, bad.grid) {
			assert.Contains(t, err.Error(), bad.want, bad.grid)
		}
	}
}

func TestSweepFlagErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"zero seeds", []string{"-seeds", "0"}, `-seeds "0": want N (seeds 1 to N) or A-B`},
		{"backward seeds", []string{"-seeds", "5-3"}, `-seeds "5-3"`},
		{"bad shard", []string{"-shard", "3/2"}, `-shard "3/2": want K/N with 1 <= K <= N`},
		{"zero jobs", []string{"-jobs", "0"}, "-jobs 0: want at least 1"},
		{"bad format", []string{"-format", "text"}, `-format "text": want json or csv`},
		{"bad grid", []string{"-netem", "loss {1..}%"}, `-netem "loss {1..}%"`},
		{"bad profile in the grid", []string{"-netem", "loss 1%; jitter 5ms"}, `"jitter"`},
		{"sim's checks", []string{"-duration", "0s"}, "-duration 0s: want a virtual time > 0"},
		{"no -seed", []string{"-seed", "1"}, "unknown flag -seed"},
		{"no -trace", []string{"-trace", "x"}, "unknown flag -trace"},
		{"bad plot", []string{"-plot", "x.gif"}, "-plot:"},
		{"merge nothing", []string{"merge"}, "no parts given"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCmd(context.Background(), append([]string{"sweep"}, tc.args...)...)
			assert.Equal(t, 2, code)
			assert.Empty(t, out, "nothing runs on a usage error")
			assert.Contains(t, errOut, tc.want)
		})
	}
}

func TestSweepHelp(t *testing.T) {
	code, out, _ := runCmd(context.Background(), "sweep", "-h")
	assert.Equal(t, 0, code)
	assert.Contains(t, out, "Examples:")
	assert.Contains(t, out, "-send-interval", "sim's scenario flags are sweep's")
	code, out, _ = runCmd(context.Background(), "sweep", "merge", "-h")
	assert.Equal(t, 0, code)
	assert.Contains(t, out, "Examples:")
}

// The rows are a function of the flags and the seed only: any -jobs gives the same bytes,
// and every row is what sim prints for its seed.
func TestSweepSameRowsWhateverJobs(t *testing.T) {
	args := []string{"-seeds", "3-9", "-duration", "5s", "-netem", "delay 20ms 5ms loss {0,10}% duplicate 2% reorder 10%"}
	one, _ := sweep(t, append(args, "-jobs", "1")...)
	for _, jobs := range []string{"2", "5"} {
		many, _ := sweep(t, append(args, "-jobs", jobs)...)
		require.Equal(t, one, many, "-jobs %s", jobs)
	}
	prev := runtime.GOMAXPROCS(1)
	single, _ := sweep(t, append(args, "-jobs", "3")...)
	runtime.GOMAXPROCS(prev)
	require.Equal(t, one, single, "GOMAXPROCS=1")
	lines := strings.Split(strings.TrimSpace(one), "\n")
	require.Len(t, lines, 1+14+2+1, "header, 14 rows, 2 summaries, end")
	var row sweepRow
	require.NoError(t, json.Unmarshal([]byte(lines[5]), &row))
	assert.Equal(t, 4, row.Run)
	assert.Equal(t, uint64(7), row.Seed)
	out, _ := sim(t, "-seed", "7", "-duration", "5s", "-netem", "delay 20ms 5ms loss 0% duplicate 2% reorder 10%", "-format", "json")
	assert.Contains(t, out, `"fingerprint":"`+row.Fingerprint+`"`, "the row's run is sim's run for its seed")
	var sum sweepSummary
	require.NoError(t, json.Unmarshal([]byte(lines[8]), &sum))
	assert.Equal(t, "summary", sum.Type)
	assert.Equal(t, 7, sum.Runs)
	require.NotNil(t, sum.Duplicate)
	assert.InDelta(t, 0.02, sum.Duplicate.Mean, 0.01)
	assert.Less(t, sum.Duplicate.CILo, sum.Duplicate.Mean)
	assert.Greater(t, sum.Duplicate.CIHi, sum.Duplicate.Mean)
}

// Shards partition the runs, and merge gives back the single run's bytes, in JSON and CSV.
func TestSweepShardsMerge(t *testing.T) {
	dir := t.TempDir()
	for _, format := range []string{"json", "csv"} {
		args := []string{"-seeds", "5", "-duration", "3s", "-format", format, "-netem", "delay 10ms 3ms loss {0..20..10}%"}
		whole, _ := sweep(t, args...)
		var parts []string
		rows := 0
		for _, k := range []string{"3", "1", "2"} {
			out, _ := sweep(t, append(args, "-shard", k+"/3")...)
			name := filepath.Join(dir, format+k)
			require.NoError(t, os.WriteFile(name, []byte(out), 0o644))
			parts = append(parts, name)
			for _, l := range strings.Split(out, "\n") {
				if strings.Contains(l, `"type":"run"`) || (format == "csv" && regexp.MustCompile(`^\d+,`).MatchString(l)) {
					rows++
				}
			}
		}
		assert.Equal(t, 15, rows, "%s: the shards run each run once", format)
		code, merged, errOut := runCmd(context.Background(), append([]string{"sweep", "merge"}, parts...)...)
		require.Equal(t, 0, code, errOut)
		assert.Equal(t, whole, merged, format)

		// A missing, repeated or unfinished part is refused, naming it.
		code, _, errOut = runCmd(context.Background(), "sweep", "merge", parts[0], parts[1])
		assert.Equal(t, 1, code)
		assert.Contains(t, errOut, "want all 3 shards")
		code, _, errOut = runCmd(context.Background(), "sweep", "merge", parts[0], parts[1], parts[1])
		assert.Equal(t, 1, code)
		assert.Contains(t, errOut, "given twice")
		data, err := os.ReadFile(parts[2])
		require.NoError(t, err)
		cut := filepath.Join(dir, "cut")
		require.NoError(t, os.WriteFile(cut, data[:len(data)*2/3], 0o644))
		code, _, errOut = runCmd(context.Background(), "sweep", "merge", parts[0], parts[1], cut)
		assert.Equal(t, 1, code)
		assert.Contains(t, errOut, cut)
	}
}

// A run whose receiver disagrees with the network is listed with a sim command that
// replays it, and the exit status is 1.
func TestSweepListsDisagreements(t *testing.T) {
	code, out, errOut := runCmd(context.Background(), "sweep", "-seeds", "3", "-duration", "2s", "-netem", "delay 10ms corrupt {0,20}%")
	require.Equal(t, 1, code, errOut)
	assert.Contains(t, errOut, "disagreed with the ground truth")
	re := regexp.MustCompile(`(?m)^sweep: run (\d+) \(profile 1, seed (\d+)\) disagrees .*; replay: dist-example (sim .*)$`)
	m := re.FindStringSubmatch(errOut)
	require.NotNil(t, m, errOut)
	assert.NotContains(t, errOut, "profile 0,", "a clean link's runs agree")
	args := splitShell(t, m[3])
	simOut, _ := sim(t, append(args[1:], "-format", "json")...)
	var row sweepRow
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, `"run":`+m[1]+`,`) {
			require.NoError(t, json.Unmarshal([]byte(l), &row))
		}
	}
	assert.False(t, row.Agree)
	assert.Equal(t, m[3], strings.TrimPrefix(row.Replay, "dist-example "))
	assert.Contains(t, simOut, `"fingerprint":"`+row.Fingerprint+`"`, "the replay command replays the run")
	assert.Contains(t, simOut, `"agree":false`)
}

func TestSweepPing(t *testing.T) {
	out, _ := sweep(t, "-app", "ping", "-seeds", "4", "-duration", "5s", "-send-interval", "100ms", "-netem", "delay {20,40}ms 5ms")
	var sums []sweepSummary
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if strings.Contains(l, `"type":"summary"`) {
			var s sweepSummary
			require.NoError(t, json.Unmarshal([]byte(l), &s))
			sums = append(sums, s)
		}
	}
	require.Len(t, sums, 2)
	for i, want := range []float64{40, 80} { // the RTT is twice the one-way delay
		require.NotNil(t, sums[i].RTTP50)
		assert.InDelta(t, want, sums[i].RTTP50.Mean, 5, "profile %d", i)
		assert.Equal(t, float64([]int{20, 40}[i]), sums[i].X)
	}
}

func TestSweepPlot(t *testing.T) {
	dir := t.TempDir()
	png := filepath.Join(dir, "s.png")
	sweep(t, "-seeds", "3", "-duration", "2s", "-netem", "delay 10ms loss {0..20..10}%", "-plot", png)
	b, err := os.ReadFile(png)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(string(b), "\x89PNG"))
}

// Ctrl-C (the context's end) starts no more runs; what was done is printed, and the end
// record says the sweep was interrupted.
func TestSweepInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	code, out, errOut := runCmd(ctx, "sweep", "-seeds", "50", "-duration", "1s")
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "interrupted")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	assert.Contains(t, lines[0], `"type":"sweep"`)
	assert.Contains(t, lines[len(lines)-1], `"interrupted":true`)
}

// Stopped by a signal (SIGINT from Ctrl-C, or SIGTERM), sweep exits as sim does: 130 or
// 143, naming the signal.
func TestSweepInterruptedBySignal(t *testing.T) {
	for _, tc := range []struct {
		sig  os.Signal
		code int
		name string
	}{{os.Interrupt, 130, "SIGINT"}, {syscall.SIGTERM, 143, "SIGTERM"}} {
		ctx, cancel := context.WithCancelCause(context.Background())
		cancel(signalled{tc.sig})
		code, out, errOut := runCmd(ctx, "sweep", "-seeds", "50", "-duration", "1s")
		assert.Equal(t, tc.code, code)
		assert.Contains(t, errOut, "sweep: interrupted by "+tc.name+": 0 runs done")
		assert.Contains(t, out, `"interrupted":true`)
	}
}

func TestSweepProgressLine(t *testing.T) {
	var b strings.Builder
	pr := &progress{w: &b, of: 10}
	pr.update(sweepEnd{Runs: 3, Disagree: 1})
	assert.Contains(t, b.String(), "\r\033[Ksweep: 3/10 runs")
	assert.Contains(t, b.String(), "1 disagree")
	pr.clear()
	assert.True(t, strings.HasSuffix(b.String(), "\r\033[K"))
	assert.False(t, isTerminal(&b), "only a terminal gets the progress line")
}

// Rows with quoted text (a why with commas, a replay with quotes) survive CSV and JSON
// merges, and merge lists the disagreeing runs and exits 1 as the sweep did.
func TestSweepMergeKeepsDisagreements(t *testing.T) {
	dir := t.TempDir()
	for _, format := range []string{"csv", "json"} {
		args := []string{"sweep", "-seeds", "3", "-duration", "1s", "-format", format, "-netem", "delay 10ms corrupt {0,30}%"}
		code, whole, wholeErr := runCmd(context.Background(), args...)
		require.Equal(t, 1, code)
		var parts []string
		for _, k := range []string{"1", "2"} {
			code, out, _ := runCmd(context.Background(), append(args, "-shard", k+"/2")...)
			require.Equal(t, 1, code)
			name := filepath.Join(dir, format+k)
			require.NoError(t, os.WriteFile(name, []byte(out), 0o644))
			parts = append(parts, name)
		}
		code, merged, mergedErr := runCmd(context.Background(), append([]string{"sweep", "merge"}, parts...)...)
		assert.Equal(t, 1, code, format)
		assert.Equal(t, whole, merged, format)
		assert.Equal(t, wholeErr, mergedErr, format)
	}
}
