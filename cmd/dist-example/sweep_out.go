package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/dist-example/dist-example/cmd/dist-example/internal/plot"
)

// sweepHeader is a sweep's first record: its flags (what merge rebuilds the plan from).
type sweepHeader struct {
	Type         string `json:"type"` // "sweep"
	App          string `json:"app"`
	Netem        string `json:"netem"` // the grid, as given
	Seeds        string `json:"seeds"`
	Profiles     int    `json:"profiles"`
	Runs         int    `json:"runs"` // in the whole sweep, all shards
	Duration     string `json:"duration"`
	SendInterval string `json:"send_interval"`
	Interval     string `json:"interval,omitempty"` // stream only
	Size         int    `json:"size,omitempty"`     // ping only
	Correlation  string `json:"correlation"`
	Faults       string `json:"faults"`
	X            string `json:"x"`               // what a summary's x is: the swept parameter, or "profile"
	Shard        string `json:"shard,omitempty"` // K/N of a part; merged output has none
}

// stat is the summary of one quantity over a profile's runs.
type stat struct {
	N    int     `json:"n"`
	Mean float64 `json:"mean"`
	SD   float64 `json:"sd"`    // sample standard deviation (0 for one run)
	CILo float64 `json:"ci_lo"` // 95% confidence interval of the mean (Student's t);
	CIHi float64 `json:"ci_hi"` // the mean itself for one run
}

// welford accumulates mean and variance online, in the rows' order (so the same rows
// give the same bits).
type welford struct {
	n        int
	mean, m2 float64
}

func (w *welford) add(x float64) {
	w.n++
	d := x - w.mean
	w.mean += d / float64(w.n)
	w.m2 += d * (x - w.mean)
}

func (w *welford) stat() *stat {
	if w.n == 0 {
		return nil
	}
	s := &stat{N: w.n, Mean: w.mean, CILo: w.mean, CIHi: w.mean}
	if w.n > 1 {
		s.SD = math.Sqrt(w.m2 / float64(w.n-1))
		h := tQuantile975(w.n-1) * s.SD / math.Sqrt(float64(w.n))
		s.CILo, s.CIHi = w.mean-h, w.mean+h
	}
	return s
}

// t975 are Student's t 0.975 quantiles for 1 to 30 degrees of freedom.
var t975 = [...]float64{12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
	2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
	2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042}

// tQuantile975 is Student's t 0.975 quantile for df degrees of freedom: the table up to
// 30, then the Cornish-Fisher expansion around the normal's 1.95996 (within 0.001).
func tQuantile975(df int) float64 {
	if df <= len(t975) {
		return t975[df-1]
	}
	z, n := 1.959963984540054, float64(df)
	return z + (z*z*z+z)/(4*n) + (5*math.Pow(z, 5)+16*z*z*z+3*z)/(96*n*n)
}

// profileAcc accumulates one profile's summary.
type profileAcc struct {
	profile                int
	runs, failed, disagree int
	loss, dup, reorder     welford
	p50, p90, p99          welford
}

// sweepSummary is a profile's summary record.
type sweepSummary struct {
	Type      string  `json:"type"` // "summary"
	Profile   int     `json:"profile"`
	Netem     string  `json:"netem"`
	X         float64 `json:"x"`
	Runs      int     `json:"runs"`
	Failed    int     `json:"failed"`
	Disagree  int     `json:"disagree"`
	Loss      *stat   `json:"loss,omitempty"`
	Duplicate *stat   `json:"duplicate,omitempty"`
	Reorder   *stat   `json:"reorder,omitempty"`
	RTTP50    *stat   `json:"rtt_p50_ms,omitempty"`
	RTTP90    *stat   `json:"rtt_p90_ms,omitempty"`
	RTTP99    *stat   `json:"rtt_p99_ms,omitempty"`
}

// sweepEnd is the last record.
type sweepEnd struct {
	Type        string `json:"type"` // "end"
	Runs        int    `json:"runs"`
	Failed      int    `json:"failed"`
	Disagree    int    `json:"disagree"`
	Interrupted bool   `json:"interrupted,omitempty"`
}

// sweepWriter prints a sweep's records in run order, summarising each profile online.
// Both sweep and sweep merge print through it, so the same rows give the same bytes.
type sweepWriter struct {
	p      *sweepPlan
	out    *bufio.Writer
	stderr io.Writer
	cols   []rowColumn
	buf    []byte
	acc    *profileAcc
	total  sweepEnd
	sums   []sweepSummary // for -plot: one per profile
	prog   *progress
	plot   *outFile // -plot, opened before the runs; nil without
}

func newSweepWriter(p *sweepPlan, out *bufio.Writer, stderr io.Writer, plotOut *outFile) *sweepWriter {
	w := &sweepWriter{p: p, out: out, stderr: stderr, cols: rowColumns(p.head.App), total: sweepEnd{Type: "end"}, plot: plotOut}
	if isTerminal(stderr) {
		w.prog = &progress{w: stderr, start: time.Now(), of: p.shardRuns()}
	}
	w.record(p.head)
	if p.format == "csv" {
		for i, c := range w.cols {
			if i > 0 {
				w.out.WriteByte(',')
			}
			w.out.WriteString(c.name)
		}
		w.out.WriteByte('\n')
	}
	return w
}

// shardRuns is how many runs this shard has.
func (p *sweepPlan) shardRuns() int {
	if p.shardN == 0 {
		return p.total
	}
	return (p.total - p.shardK + p.shardN) / p.shardN
}

// record prints a non-row record: a JSON line, behind "# " in CSV.
func (w *sweepWriter) record(v any) {
	if w.p.format == "csv" {
		w.out.WriteString("# ")
	}
	writeJSONLine(w.out, v)
}

// row prints one run's row, after the previous profile's summary if r starts a new one.
func (w *sweepWriter) row(r sweepRow) error {
	if w.acc != nil && w.acc.profile != r.Profile {
		w.summary()
	}
	if w.acc == nil {
		w.acc = &profileAcc{profile: r.Profile}
	}
	a := w.acc
	a.runs++
	w.total.Runs++
	switch {
	case r.Error != "":
		a.failed++
		w.total.Failed++
	case !r.Agree:
		a.disagree++
		w.total.Disagree++
	}
	if r.Error == "" && r.Sent > 0 {
		n := float64(r.Sent)
		if w.p.head.App == "ping" {
			a.loss.add(float64(r.Lost) / n)
		} else {
			a.loss.add(float64(r.NetLost) / n)
		}
		if w.p.head.App == "ping" {
			a.dup.add(float64(r.Duplicates) / n)
			a.reorder.add(float64(r.Reordered) / n)
			if r.Unique > 0 {
				a.p50.add(r.RTTP50)
				a.p90.add(r.RTTP90)
				a.p99.add(r.RTTP99)
			}
		} else {
			a.dup.add(float64(r.NetExtra) / n)
			a.reorder.add(float64(r.NetReordered) / n)
		}
	}
	if w.p.format == "csv" {
		w.buf = r.appendCSV(w.buf[:0], w.cols)
	} else {
		w.buf = r.appendJSON(w.buf[:0], w.cols)
	}
	if _, err := w.out.Write(w.buf); err != nil {
		return fmt.Errorf("writing the rows: %w", err)
	}
	if r.fails() {
		w.prog.clear()
		what := "disagrees with the ground truth (" + r.Why + ")"
		if r.Error != "" {
			what = "failed: " + r.Error
		}
		fmt.Fprintf(w.stderr, "sweep: run %d (profile %d, seed %d) %s; replay: %s\n", r.Run, r.Profile, r.Seed, what, r.Replay)
	}
	w.prog.update(w.total)
	return nil
}

// summary prints the current profile's summary.
func (w *sweepWriter) summary() {
	a := w.acc
	gp := w.p.grid.profiles[a.profile]
	s := sweepSummary{Type: "summary", Profile: a.profile, Netem: w.p.profiles[a.profile].netem, X: gp.x,
		Runs: a.runs, Failed: a.failed, Disagree: a.disagree,
		Loss: a.loss.stat(), Duplicate: a.dup.stat(), Reorder: a.reorder.stat(),
		RTTP50: a.p50.stat(), RTTP90: a.p90.stat(), RTTP99: a.p99.stat()}
	w.record(s)
	if w.p.plot != "" {
		w.sums = append(w.sums, s)
	}
	w.acc = nil
}

// finish prints the last summary and the end record, draws -plot, and returns what the
// exit status should say: runErr, or the failing runs.
func (w *sweepWriter) finish(runErr error) error {
	if w.acc != nil {
		w.summary()
	}
	w.total.Interrupted = runErr != nil
	w.record(w.total)
	w.prog.clear()
	if err := w.out.Flush(); err != nil {
		w.plot.Discard()
		return errors.Join(runErr, fmt.Errorf("writing the rows: %w", err))
	}
	if w.plot != nil {
		w.plot.Fail(plotSweep(w.p, w.sums, w.plot))
		if err := w.plot.Close(); err != nil {
			return errors.Join(runErr, err)
		}
	}
	if runErr != nil {
		return runErr
	}
	if t := w.total; t.Failed+t.Disagree > 0 {
		return fmt.Errorf("of %d runs, %d failed and %d disagreed with the ground truth (listed above, each with the sim command that replays it)",
			t.Runs, t.Failed, t.Disagree)
	}
	return nil
}

// plotSweep draws the summaries against the swept parameter.
func plotSweep(p *sweepPlan, sums []sweepSummary, w io.Writer) error {
	series := func(name string, get func(*sweepSummary) *stat, scale float64) plot.SweepSeries {
		sr := plot.SweepSeries{Name: name}
		for i := range sums {
			if st := get(&sums[i]); st != nil {
				sr.Points = append(sr.Points, plot.SweepPoint{X: sums[i].X, Mean: st.Mean * scale, Lo: st.CILo * scale, Hi: st.CIHi * scale})
			}
		}
		return sr
	}
	panels := []plot.SweepPanel{{YLabel: "% of datagrams (mean, 95% CI)", Series: []plot.SweepSeries{
		series("lost", func(s *sweepSummary) *stat { return s.Loss }, 100),
		series("duplicated", func(s *sweepSummary) *stat { return s.Duplicate }, 100),
		series("reordered", func(s *sweepSummary) *stat { return s.Reorder }, 100),
	}}}
	if p.head.App == "ping" {
		panels[0].YLabel = "% of probes (mean, 95% CI)"
		panels = append(panels, plot.SweepPanel{YLabel: "RTT ms (mean, 95% CI)", Series: []plot.SweepSeries{
			series("p50", func(s *sweepSummary) *stat { return s.RTTP50 }, 1),
			series("p90", func(s *sweepSummary) *stat { return s.RTTP90 }, 1),
			series("p99", func(s *sweepSummary) *stat { return s.RTTP99 }, 1),
		}})
	}
	title := fmt.Sprintf("sweep %s, seeds %s: %s", p.head.App, p.head.Seeds, p.head.Netem)
	if p.head.Correlation != "stated" {
		title += " (-correlation " + p.head.Correlation + ")"
	}
	xl := p.head.X
	if p.grid.numeric {
		return plot.WriteSweep(w, plotFormat(p.plot), title, "X in: "+xl, panels)
	}
	// Profiles that are not points on a numeric scale: one category each, by name.
	names := make([]string, len(p.grid.profiles))
	for i, gp := range p.grid.profiles {
		names[i] = gp.name
	}
	xl = "profile (index; see the summaries)"
	if p.grid.named {
		xl = "X in: " + p.grid.nameLabel
	}
	return plot.WriteSweep(w, plotFormat(p.plot), title, xl, panels, names...)
}

// progress is the line a sweep keeps up to date on a terminal.
type progress struct {
	w     io.Writer
	start time.Time
	last  time.Time
	of    int
	shown bool
}

func (pr *progress) update(t sweepEnd) {
	if pr == nil {
		return
	}
	now := time.Now()
	if now.Sub(pr.last) < 200*time.Millisecond && t.Runs != pr.of {
		return
	}
	pr.last = now
	el := now.Sub(pr.start).Seconds()
	rate := float64(t.Runs) / max(el, 1e-9)
	eta := ""
	if rate > 0 && t.Runs < pr.of {
		eta = fmt.Sprintf(", %v left", time.Duration(float64(pr.of-t.Runs)/rate*float64(time.Second)).Round(time.Second))
	}
	fmt.Fprintf(pr.w, "\r\033[Ksweep: %d/%d runs, %.1f runs/s, %d failed, %d disagree%s", t.Runs, pr.of, rate, t.Failed, t.Disagree, eta)
	pr.shown = true
}

// clear erases the progress line (before other stderr lines, and at the end).
func (pr *progress) clear() {
	if pr == nil || !pr.shown {
		return
	}
	fmt.Fprint(pr.w, "\r\033[K")
	pr.shown = false
	pr.last = time.Time{}
}
