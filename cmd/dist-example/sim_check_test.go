package main

import (
	"bytes"
	"io"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSimSameSeedSameBytes(t *testing.T) {
	a, _ := sim(t, "-seed", "42", "-duration", "2m")
	b, _ := sim(t, "-seed", "42", "-duration", "2m")
	c, _ := sim(t, "-seed", "43", "-duration", "2m")
	require.Equal(t, a, b)
	require.NotEqual(t, a, c)
	require.Contains(t, strings.Join(strings.SplitN(a, "\n", 4)[:3], "\n"), "42")
}

func TestSimCheckDeterminism(t *testing.T) {
	out, _ := sim(t, "-seed", "7", "-duration", "10s", "-check-determinism")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	last := lines[len(lines)-1]
	fp := regexp.MustCompile(`^fingerprint ([0-9a-f]{16}) \(sha256 of (\d+) trace events\)$`).FindStringSubmatch(lines[len(lines)-2])
	require.NotNil(t, fp, "the report's last line before the verdict: %q", lines[len(lines)-2])
	require.Equal(t, "deterministic: fingerprint "+fp[1]+" (2 runs, "+fp[2]+" trace events each)", last)
	alone, _ := sim(t, "-seed", "7", "-duration", "10s")
	require.Equal(t, alone, strings.Join(lines[:len(lines)-1], "\n")+"\n", "the first run's report, then the verdict")

	out, _ = sim(t, "-seed", "7", "-duration", "10s", "-check-determinism", "-format", "json")
	js := simJSONLines(t, out)
	verdict, report := js[len(js)-1], js[len(js)-2]
	assert.Equal(t, "deterministic", verdict["type"], "in json mode the verdict is a json line too")
	assert.Equal(t, report["fingerprint"], verdict["fingerprint"])
	assert.Equal(t, report["trace_events"], verdict["trace_events"])
	assert.Equal(t, float64(2), verdict["runs"])
}

// The same flags give the same bytes whatever GOMAXPROCS is: the simulator runs one
// simulated goroutine at a time, and nothing in the output depends on the Go scheduler.
func TestSimSameBytesAcrossGOMAXPROCS(t *testing.T) {
	args := []string{"-seed", "42", "-duration", "1m", "-faults", "partition@10s, heal@12s, restart@30s down=1s start=0"}
	var outs []string
	for _, procs := range []int{1, 2, 4} {
		func() {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
			out, _ := sim(t, args...)
			outs = append(outs, out)
		}()
	}
	require.Equal(t, outs[0], outs[1], "GOMAXPROCS 1 vs 2")
	require.Equal(t, outs[0], outs[2], "GOMAXPROCS 1 vs 4")
}

// The divergence report names the first differing trace line and shows both; text
// traces are made only when the fingerprints differ.
func TestCheckDeterminismNamesTheDivergence(t *testing.T) {
	// fake returns a runner whose i-th call (from 1) reports fps[i-1] and writes
	// traces[i-1] to the trace, if it is asked for one; it counts the traced runs.
	fake := func(traced *int, fps []string, reports []string, traces []string) simRunner {
		calls := 0
		return func(_ *simOptions, w, trace io.Writer) (runID, error) {
			calls++
			require.LessOrEqual(t, calls, len(fps), "too many runs")
			io.WriteString(w, reports[calls-1])
			if trace != nil {
				*traced++
				io.WriteString(trace, traces[calls-1])
			}
			return runID{fps[calls-1], 2}, nil
		}
	}
	queued := "00:00:00.000000000 host1->host2 #0 len=2 queued\n"
	deliver := queued + "00:00:00.050000000 host1->host2 #0 len=2 deliver\n"
	lost := queued + "00:00:00.050000000 host1->host2 #0 len=2 lost\n"
	r := []string{"report\n", "report\n", "", ""}
	for _, tc := range []struct {
		name    string
		fps     []string
		reports []string
		traces  []string
		want    []string // in the error; none: deterministic
		traced  int
	}{
		{"deterministic", []string{"aa", "aa"}, r, nil, nil, 0},
		{"traces diverge", []string{"aa", "bb", "", ""}, r, []string{"", "", deliver, lost},
			[]string{"fingerprints differ (aa of 2 events, bb of 2 events)", "diverge at line 2",
				"run 1: 00:00:00.050000000 host1->host2 #0 len=2 deliver", "run 2: 00:00:00.050000000 host1->host2 #0 len=2 lost"}, 2},
		{"second trace shorter", []string{"aa", "bb", "", ""}, r, []string{"", "", deliver, queued},
			[]string{"line 2", "(end of trace)"}, 2},
		{"difference comes and goes", []string{"aa", "bb", "", ""}, r, []string{"", "", deliver, deliver},
			[]string{"two more runs with text traces agreed (2 lines)"}, 2},
		{"same events, other report", []string{"aa", "aa"}, []string{"x\n", "xx\n"}, nil,
			[]string{"the events match (fingerprint aa) but the reports diverge at line 1"}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			traced := 0
			err := checkDeterminism(&simOptions{}, &out, fake(&traced, tc.fps, tc.reports, tc.traces))
			assert.Equal(t, tc.traced, traced, "text traces only to locate a difference")
			if tc.want == nil {
				require.NoError(t, err)
				assert.Equal(t, "report\ndeterministic: fingerprint aa (2 runs, 2 trace events each)\n", out.String())
				return
			}
			require.Error(t, err)
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
			assert.Equal(t, 1, exitCode(err, io.Discard), "a nondeterministic run is a failure, not a usage error")
		})
	}
	t.Run("real runs, the second with another seed", func(t *testing.T) {
		o, err := parseSimFlags([]string{"-seed", "5", "-duration", "2s"}, io.Discard)
		require.NoError(t, err)
		calls := 0
		err = checkDeterminism(o, io.Discard, func(o *simOptions, w, trace io.Writer) (runID, error) {
			calls++
			o2 := *o
			if calls%2 == 0 {
				o2.cfg.Seed++
			}
			return simOnce(&o2, w, trace)
		})
		require.Error(t, err)
		assert.Equal(t, 4, calls, "two runs, then two traced reruns")
		assert.Regexp(t, `fingerprints differ \([0-9a-f]{16} of \d+ events, [0-9a-f]{16} of \d+ events\); `+
			`rerun with text traces, they diverge at line \d+:\n  run 1: \d\d:\d\d:\d\d\.\d{9} .+\n  run 2: \d\d:\d\d:\d\d\.\d{9} `, err.Error())
	})
}
