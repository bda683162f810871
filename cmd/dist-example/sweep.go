package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dist-example/dist-example/simnet/scenario"
)

const sweepUsage = `
usage: dist-example sweep [flags]
       dist-example sweep merge [-plot FILE] PART...

Runs the simulation of "dist-example sim" for every (profile, seed) pair of a grid of
netem profiles and a range of seeds, each an independent run, -jobs at a time, and
prints one row per run (JSON lines or CSV: the receiver's counts, the network's ground
truth, whether they agree, the run's fingerprint) and, after each profile's rows, a
summary of that profile over its seeds: the mean, standard deviation and 95% confidence
interval (Student's t) of the fractions of datagrams lost, duplicated and reordered
(ground truth, per datagram sent) and, with -app ping, of the RTT percentiles p50, p90
and p99. It takes sim's flags (-duration, -send-interval, -interval, -faults, -app,
-size, -correlation); -netem may be a grid:

  profiles separated by ';'        'loss 1%; loss 5% 25%; delay 50ms 10ms'
  {a,b,c}: a list of values        'delay 50ms {1,5,10}ms'
  {A..B} / {A..B..STEP}: numbers   'loss {0..10..2}%'   'delay 20ms 5ms loss 5% {0..75..25}%'
                                   (from A to B inclusive; decimals allowed: {0.5..2..0.5})

Several groups in one profile give every combination, the leftmost varying slowest.
Runs are ordered profile by profile, seed by seed, and every row is a pure function of
(flags, seed): the output is the same, byte for byte, whatever -jobs and GOMAXPROCS are.

Any run that fails, or whose receiver disagrees with the ground truth, is listed on
stderr with the one-line "dist-example sim" command that replays it (the row carries it
too), and the exit status is 1: also when the row explains the difference (corrupted
copies carry other numbers, so leave corrupt out of a sweep that should pass). On a
terminal, a progress line shows on stderr.
Ctrl-C (SIGINT) or SIGTERM starts no more runs: the rows done so far and an end record
marked "interrupted" are written, and sweep exits 130 (SIGINT) or 143 (SIGTERM).

-shard K/N runs only the runs whose index is K-1 modulo N: N shards together run the
sweep once. "dist-example sweep merge PART..." joins the shards' outputs (all N of them,
in any order) into exactly what one run of the whole sweep prints. sweep.yml runs the
shards on the hosts of an inventory and merges them.

Examples:
  dist-example sweep -seeds 100 -netem 'delay 20ms 5ms loss 5% {0..75..25}%' -plot loss.png
  dist-example sweep -seeds 1-16 -duration 10m -netem 'delay 20ms 5ms loss 5% 25%' -jobs 2
  dist-example sweep -seeds 50 -netem 'delay 50ms 10ms reorder {10..50..10}% gap 5' -format csv > reorder.csv
  dist-example sweep -app ping -seeds 20 -netem 'delay 50ms 10ms distribution {normal,pareto}'
  dist-example sweep -seeds 1000 -shard 2/4 > part2.jsonl     # on the second of four machines
  dist-example sweep merge part1.jsonl part2.jsonl part3.jsonl part4.jsonl > all.jsonl
`

func init() {
	register(command{name: "sweep", summary: "run sim over a grid of profiles and many seeds, on every core (and shards across hosts)", run: runSweep})
}

// sweepSkipped are sim's flags that describe one run's output, not its scenario: sweep
// has its own -netem (a grid), -format and -plot, and no -seed (-seeds), -trace, -pcap,
// -html or -check-determinism (replay a run with sim for those).
var sweepSkipped = []string{"seed", "netem", "format", "plot", "html", "trace", "pcap", "check-determinism"}

// sweepPlan is a validated sweep: what to run, and how to print it.
type sweepPlan struct {
	head     sweepHeader
	grid     *grid
	profiles []*simOptions // per grid profile, Seed unset
	seedLo   uint64
	nSeeds   int
	total    int // runs in the whole sweep
	shardK   int // 1-based; 0: not sharded
	shardN   int
	format   string
	plot     string
	jobs     int
}

// runIndex returns run i's profile and seed.
func (p *sweepPlan) runIndex(i int) (prof int, seed uint64) {
	return i / p.nSeeds, p.seedLo + uint64(i%p.nSeeds)
}

// inShard reports whether run i belongs to this shard.
func (p *sweepPlan) inShard(i int) bool { return p.shardN == 0 || i%p.shardN == p.shardK-1 }

// maxSweepRuns bounds profiles x seeds.
const maxSweepRuns = 1 << 40

func runSweep(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "merge" {
		return runSweepMerge(args[1:], stdout, stderr)
	}
	fs := newFlagSet("sweep", sweepUsage, stdout)
	sf := defineSimFlags(fs, sweepSkipped...)
	sf.netem = fs.String("netem", defaultNetem, "the links' impairments: a `GRID` of netem profiles (';' between profiles, {a,b} lists, {A..B..STEP} ranges; see above)")
	seeds := fs.String("seeds", "10", "the seeds, `N|A-B`: 1 to N, or A to B inclusive")
	jobs := fs.Int("jobs", runtime.NumCPU(), "`N` runs at a time, by default as many as this machine has CPUs")
	shard := fs.String("shard", "", "run only the K-th of N disjoint parts of the sweep, `K/N` with 1 <= K <= N")
	format := fs.String("format", "json", "output format, `json|csv`: JSON lines, or the rows as CSV and the other records as \"# {json}\" lines")
	plotPath := fs.String("plot", "", "draw each profile's summary to `FILE` (.png or .svg): against the swept parameter when one {...} group of numbers varies, else one column per profile, named by its group's value or its index")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	p, err := newSweepPlan(sf, givenFlags(fs), *seeds, *shard)
	if err != nil {
		return err
	}
	switch {
	case *jobs < 1:
		return usagef("-jobs %d: want at least 1", *jobs)
	case *format != "json" && *format != "csv":
		return usagef("-format %q: want json or csv", *format)
	}
	p.jobs, p.format, p.plot = *jobs, *format, *plotPath
	// Each run allocates its ground truth and event buffers afresh; with little live
	// heap, the default GOGC would collect after every run or two on every worker.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	plotOut, err := openSweepPlot(p.plot)
	if err != nil {
		return err
	}
	out := bufio.NewWriterSize(stdout, 64<<10)
	w := newSweepWriter(p, out, stderr, plotOut)
	runErr := sweepRun(ctx, p, w)
	return w.finish(runErr)
}

// newSweepPlan validates the sweep's flags: sim's checks for each profile of the grid.
func newSweepPlan(sf *simFlags, given map[string]bool, seeds, shard string) (*sweepPlan, error) {
	p := &sweepPlan{}
	lo, hi, err := parseSeeds(seeds)
	if err != nil {
		return nil, err
	}
	p.seedLo, p.nSeeds = lo, int(hi-lo+1)
	if shard != "" {
		k, n, ok := strings.Cut(shard, "/")
		p.shardK, _ = strconv.Atoi(k)
		p.shardN, _ = strconv.Atoi(n)
		if !ok || p.shardN < 1 || p.shardK < 1 || p.shardK > p.shardN || strconv.Itoa(p.shardK) != k || strconv.Itoa(p.shardN) != n {
			return nil, usagef("-shard %q: want K/N with 1 <= K <= N, e.g. 1/4", shard)
		}
	}
	grid := *sf.netem
	g, err := parseGrid(grid)
	if err != nil {
		return nil, usagef("-netem %q: %v", grid, err)
	}
	p.grid = g
	given["seed"] = true // each run's seed is set below; no random one
	for _, gp := range g.profiles {
		*sf.netem = gp.text
		o, err := sf.options(given)
		if err != nil {
			return nil, err
		}
		p.profiles = append(p.profiles, o)
	}
	*sf.netem = grid
	if int64(len(p.profiles))*int64(p.nSeeds) > maxSweepRuns {
		return nil, usagef("-netem and -seeds: %d profiles x %d seeds: want at most %d runs", len(p.profiles), p.nSeeds, int64(maxSweepRuns))
	}
	p.total = len(p.profiles) * p.nSeeds
	o := p.profiles[0]
	p.head = sweepHeader{Type: "sweep", App: o.app, Netem: grid, Seeds: seeds, Profiles: len(p.profiles), Runs: p.total,
		Duration: o.cfg.Duration.String(), SendInterval: o.cfg.SendInterval.String(), Correlation: o.cfg.Correlation.String(),
		Faults: o.faults, X: g.xLabel, Shard: shard}
	if o.app == "ping" {
		p.head.Size = o.pingSize
	} else {
		p.head.Interval = o.cfg.Interval.String()
	}
	return p, nil
}

// args is the header as sweep's command-line flags (without -shard): what merge parses
// to rebuild the plan the parts were run with.
func (h sweepHeader) args() []string {
	a := []string{"-app", h.App, "-netem", h.Netem, "-seeds", h.Seeds, "-duration", h.Duration,
		"-send-interval", h.SendInterval, "-correlation", h.Correlation, "-faults", h.Faults}
	if h.Interval != "" {
		a = append(a, "-interval", h.Interval)
	}
	if h.Size != 0 {
		a = append(a, "-size", strconv.Itoa(h.Size))
	}
	return a
}

// parseSeeds parses -seeds: N (1..N) or A-B.
func parseSeeds(s string) (lo, hi uint64, err error) {
	bad := usagef("-seeds %q: want N (seeds 1 to N) or A-B (A to B inclusive), e.g. 100 or 1-16", s)
	a, b, isRange := strings.Cut(s, "-")
	if !isRange {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil || n == 0 {
			return 0, 0, bad
		}
		lo, hi = 1, n
	} else {
		if lo, err = strconv.ParseUint(a, 10, 64); err != nil {
			return 0, 0, bad
		}
		if hi, err = strconv.ParseUint(b, 10, 64); err != nil || hi < lo {
			return 0, 0, bad
		}
	}
	if hi-lo >= maxSweepRuns {
		return 0, 0, usagef("-seeds %q: want at most %d seeds", s, int64(maxSweepRuns))
	}
	return lo, hi, nil
}

// sweepJob is one run handed to a worker; done gets its row.
type sweepJob struct {
	i    int
	done chan sweepRow
}

// sweepRun runs the plan's runs (this shard's) on p.jobs workers and hands the rows to w
// in run order. A window of pending runs bounds how far workers get ahead of the oldest
// unfinished run, so memory does not grow with the sweep. On ctx's end it starts no more
// runs, and w gets every run already started.
func sweepRun(ctx context.Context, p *sweepPlan, w *sweepWriter) error {
	window := 4 * p.jobs
	pending := make(chan sweepJob, window)
	work := make(chan sweepJob)
	var wg sync.WaitGroup
	for range p.jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range work {
				j.done <- runOne(p, j.i)
			}
		}()
	}
	go func() {
		defer close(pending)
		defer close(work)
		for i := 0; i < p.total; i++ {
			if !p.inShard(i) {
				continue
			}
			if ctx.Err() != nil {
				return
			}
			j := sweepJob{i: i, done: make(chan sweepRow, 1)}
			pending <- j
			work <- j
		}
	}()
	var werr error
	for j := range pending {
		r := <-j.done
		if werr == nil {
			werr = w.row(r)
		}
	}
	wg.Wait()
	if werr != nil {
		return werr
	}
	if ctx.Err() != nil {
		// Wraps the signal, so that main exits 130 (SIGINT) or 143 (SIGTERM), as sim does.
		return sweepInterrupted{cause: context.Cause(ctx), what: stopCause(ctx), runs: w.total.Runs}
	}
	return nil
}

// sweepInterrupted is the error of a sweep that Ctrl-C or SIGTERM cut short.
type sweepInterrupted struct {
	cause error
	what  string
	runs  int
}

func (e sweepInterrupted) Error() string {
	return fmt.Sprintf("sweep: interrupted by %s: %d runs done", e.what, e.runs)
}
func (e sweepInterrupted) Unwrap() error { return e.cause }

// runOne runs run i of the plan and makes its row; a failing run makes a row too.
func runOne(p *sweepPlan, i int) sweepRow {
	prof, seed := p.runIndex(i)
	o := *p.profiles[prof]
	o.cfg.Seed = seed
	r := sweepRow{Type: "run", Run: i, Profile: prof, Netem: o.netem, Seed: seed}
	if o.app == "ping" {
		pingRowOf(&o, &r)
	} else {
		streamRowOf(&o, &r)
	}
	r.Error, r.Why = oneLine(r.Error), oneLine(r.Why)
	if r.Error != "" || !r.Agree {
		r.Replay = o.replay()
	}
	return r
}

// streamRowOf runs the send/recv scenario into r.
func streamRowOf(o *simOptions, r *sweepRow) {
	res, err := scenario.Run(o.cfg)
	if err != nil {
		r.Error = err.Error()
		return
	}
	c, t := res.Final, res.Truth
	r.Sent = int64(t.Sent)
	r.Received, r.Unique, r.Lost, r.Duplicates, r.Reordered = c.Received, c.Unique, c.Lost, c.Duplicates, c.Reordered
	r.Late, r.Stale, r.Malformed, r.Restarts = c.Late, c.Stale, c.Malformed, c.Restarts
	r.NetCopies, r.NetDelivered, r.NetLost, r.NetLostInRange = t.Copies, t.Delivered, t.Undelivered, t.LostInRange()
	r.NetExtra, r.NetReordered, r.NetCorrupted = t.Extra, t.Reordered, t.Corrupted
	diffs := disagreements(o, res)
	r.Agree, r.Why = len(diffs) == 0, strings.Join(diffs, "; ")
	r.Fingerprint, r.Events = res.Fingerprint, res.TraceEvents
}

// pingRowOf runs the ping scenario into r. The pinger agrees with the network when it
// sent every probe the forward link took and read every reply the back link delivered.
func pingRowOf(o *simOptions, r *sweepRow) {
	res, err := scenario.RunPing(scenario.PingConfig{Seed: o.cfg.Seed, Profile: o.cfg.Profile, Correlation: o.cfg.Correlation,
		Duration: o.cfg.Duration, Interval: o.cfg.SendInterval, Size: o.pingSize})
	if err != nil {
		r.Error = err.Error()
		return
	}
	s := res.Stats.Summary()
	r.Sent = int64(s.Transmitted)
	r.Received, r.Unique, r.Lost = int64(s.Received+s.Duplicates), int64(s.Received), int64(s.Lost)
	r.Duplicates, r.Reordered, r.Malformed = int64(s.Duplicates), int64(s.Reordered), int64(s.Malformed+s.Foreign+s.Unknown)
	r.NetCopies, r.NetLost = res.Back.Delivered, res.Forward.Lost+res.Back.Lost
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	r.RTTMin, r.RTTAvg, r.RTTMax, r.RTTMdev = ms(s.Min), ms(s.Avg), ms(s.Max), ms(s.Mdev)
	r.RTTP50, r.RTTP90, r.RTTP99 = ms(s.P50), ms(s.P90), ms(s.P99)
	var diffs []string
	if s.Transmitted != res.Forward.Sent {
		diffs = append(diffs, fmt.Sprintf("transmitted %d vs %d sent on %s->%s", s.Transmitted, res.Forward.Sent, scenario.SenderHost, scenario.ReceiverHost))
	}
	if got := s.Received + s.Duplicates + s.Malformed + s.Foreign + s.Unknown; got != res.Back.Delivered {
		diffs = append(diffs, fmt.Sprintf("replies read %d vs %d delivered on %s->%s", got, res.Back.Delivered, scenario.ReceiverHost, scenario.SenderHost))
	}
	r.Agree, r.Why = len(diffs) == 0, strings.Join(diffs, "; ")
	r.Fingerprint, r.Events = res.Fingerprint, res.TraceEvents
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// oneLine keeps a row's text on one line (merge reads rows line by line).
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
