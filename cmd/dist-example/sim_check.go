package main

import (
	"bytes"
	"fmt"
	"io"
	"strings"
)

// simRunner runs the scenario once, printing its report to w and, if trace is not nil,
// its text trace to trace.
type simRunner func(o *simOptions, w, trace io.Writer) (runID, error)

// checkDeterminism runs the scenario twice, comparing the fingerprints of their events
// and their reports; the first run's report goes to out, the verdict follows it. Only
// when the fingerprints differ does it pay for text traces: it runs twice more, tracing,
// to name the first line where the runs part.
func checkDeterminism(o *simOptions, out io.Writer, run simRunner) error {
	var report1, report2 bytes.Buffer
	id1, err := run(o, io.MultiWriter(out, &report1), nil)
	if err != nil {
		return err
	}
	o2 := *o
	o2.trace, o2.pcap, o2.plot, o2.html = "", "", "", "" // the files are the first run's
	o2.files = simFiles{}
	id2, err := run(&o2, &report2, nil)
	if err != nil {
		return fmt.Errorf("second run: %w", err)
	}
	if id1 != id2 {
		return locateDivergence(&o2, id1, id2, run)
	}
	if !bytes.Equal(report1.Bytes(), report2.Bytes()) {
		l, a, b := firstDiffLine(report1.Bytes(), report2.Bytes())
		return fmt.Errorf("not deterministic: the events match (fingerprint %s) but the reports diverge at line %d:\n  run 1: %s\n  run 2: %s",
			id1.fingerprint, l, orEOF(a), orEOF(b))
	}
	if o.format == "json" {
		writeJSONLine(out, struct {
			Type        string `json:"type"`
			Fingerprint string `json:"fingerprint"`
			Runs        int    `json:"runs"`
			TraceEvents int    `json:"trace_events"`
		}{"deterministic", id1.fingerprint, 2, id1.events})
		return nil
	}
	fmt.Fprintf(out, "deterministic: fingerprint %s (2 runs, %d trace events each)\n", id1.fingerprint, id1.events)
	return nil
}

// locateDivergence reruns the scenario twice with text traces and names the first line
// where they differ.
func locateDivergence(o *simOptions, id1, id2 runID, run simRunner) error {
	head := fmt.Sprintf("not deterministic: the runs' fingerprints differ (%s of %d events, %s of %d events)",
		id1.fingerprint, id1.events, id2.fingerprint, id2.events)
	var trace1 bytes.Buffer
	if _, err := run(o, io.Discard, &trace1); err != nil {
		return fmt.Errorf("%s; rerunning with a trace: %w", head, err)
	}
	cmp := &traceCompare{ref: trace1.Bytes()}
	if _, err := run(o, io.Discard, cmp); err != nil {
		return fmt.Errorf("%s; rerunning with a trace: %w", head, err)
	}
	cmp.finish()
	if cmp.diffLine == 0 {
		return fmt.Errorf("%s; two more runs with text traces agreed (%d lines), so the difference comes and goes", head, cmp.lines)
	}
	return fmt.Errorf("%s; rerun with text traces, they diverge at line %d:\n  run 1: %s\n  run 2: %s",
		head, cmp.diffLine, orEOF(cmp.line1), orEOF(cmp.line2))
}

func orEOF(s string) string {
	if s == "" {
		return "(end of trace)"
	}
	return s
}

// traceCompare checks a trace, as it is written, against a reference and remembers the
// first line that differs.
type traceCompare struct {
	ref      []byte
	pos      int
	cur      []byte // the line being written
	lines    int
	diffLine int
	line1    string
	line2    string
}

func (c *traceCompare) Write(p []byte) (int, error) {
	for _, b := range p {
		if b != '\n' {
			c.cur = append(c.cur, b)
			continue
		}
		c.endLine()
	}
	return len(p), nil
}

func (c *traceCompare) endLine() {
	c.lines++
	ref := c.ref[c.pos:]
	i := bytes.IndexByte(ref, '\n')
	var want []byte
	if i >= 0 {
		want, c.pos = ref[:i], c.pos+i+1
	} else {
		want, c.pos = ref, len(c.ref)
	}
	if c.diffLine == 0 && !bytes.Equal(want, c.cur) {
		c.diffLine, c.line1, c.line2 = c.lines, string(want), string(c.cur)
	}
	c.cur = c.cur[:0]
}

// finish notices a second trace shorter than the first.
func (c *traceCompare) finish() {
	if len(c.cur) > 0 {
		c.endLine()
	}
	if c.diffLine == 0 && c.pos < len(c.ref) {
		rest := c.ref[c.pos:]
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			rest = rest[:i]
		}
		c.diffLine, c.line1, c.line2 = c.lines+1, string(rest), ""
	}
}

func firstDiffLine(a, b []byte) (int, string, string) {
	la, lb := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	for i := 0; i < max(len(la), len(lb)); i++ {
		var x, y string
		if i < len(la) {
			x = la[i]
		}
		if i < len(lb) {
			y = lb[i]
		}
		if x != y {
			return i + 1, x, y
		}
	}
	return 0, "", ""
}
