package main

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/dist-example/dist-example/cmd/dist-example/internal/plot"
)

const sweepMergeUsage = `
usage: dist-example sweep merge [-plot FILE] PART...

Joins the outputs of the N shards of a sweep ("dist-example sweep -shard K/N", for K = 1
to N, all with the same other flags), given in any order, JSON lines or CSV, into what one
run of the whole sweep prints, byte for byte: the rows in run order, each profile's
summary computed again over all its rows, the end record. It fails naming the part if a
shard is missing, repeated, unfinished or from another sweep. Like sweep, it lists the
runs that failed or disagreed (with their replay commands) and then exits 1.

Examples:
  dist-example sweep merge part1.jsonl part2.jsonl > all.jsonl
  dist-example sweep merge -plot loss.png part*.csv > all.csv
`

func runSweepMerge(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("sweep merge", sweepMergeUsage, stdout)
	plotPath := fs.String("plot", "", "draw each profile's summary against the swept parameter to `FILE` (.png or .svg)")
	if err := parseFlagsThenArgs(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usagef("sweep merge: no parts given (want the files that sweep -shard K/N wrote, for K = 1 to N)")
	}
	var parts []*partReader
	defer func() {
		for _, pr := range parts {
			pr.f.Close()
		}
	}()
	for _, name := range fs.Args() {
		pr, err := openPart(name)
		if err != nil {
			return err
		}
		parts = append(parts, pr)
	}
	// The parts must be the N shards of one sweep, each once.
	first := parts[0]
	n := len(parts)
	byK := make([]*partReader, n)
	for _, pr := range parts {
		h := pr.head
		h.Shard = ""
		want := first.head
		want.Shard = ""
		if h != want || pr.format != first.format {
			return fmt.Errorf("sweep merge: %s is from another sweep than %s (their headers differ beyond -shard, or one is CSV and the other JSON)", pr.name, first.name)
		}
		k, kn := 1, 1
		if pr.head.Shard != "" {
			a, b, _ := strings.Cut(pr.head.Shard, "/")
			k, _ = strconv.Atoi(a)
			kn, _ = strconv.Atoi(b)
		}
		if kn != n {
			return fmt.Errorf("sweep merge: %s is shard %d/%d, but %d parts were given: want all %d shards, each once", pr.name, k, kn, n, kn)
		}
		if k < 1 || k > n || byK[k-1] != nil {
			return fmt.Errorf("sweep merge: %s: shard %d/%d is given twice or is out of range", pr.name, k, kn)
		}
		byK[k-1] = pr
	}
	p, err := planOfHeader(first.head, stderr)
	if err != nil {
		return fmt.Errorf("sweep merge: %s: its header does not describe a sweep: %w", first.name, err)
	}
	p.format, p.plot = first.format, *plotPath
	plotOut, err := openSweepPlot(p.plot)
	if err != nil {
		return err
	}
	out := bufio.NewWriterSize(stdout, 64<<10)
	w := newSweepWriter(p, out, stderr, plotOut)
	for i := 0; i < p.total; i++ {
		pr := byK[i%n]
		r, err := pr.next()
		if err != nil {
			plotOut.Discard()
			return err
		}
		if r.Run != i {
			plotOut.Discard()
			return fmt.Errorf("sweep merge: %s line %d: run %d where run %d was due (a part from another sweep, or edited)", pr.name, pr.line, r.Run, i)
		}
		if err := w.row(r); err != nil {
			plotOut.Discard()
			return err
		}
	}
	for _, pr := range byK {
		if err := pr.finish(); err != nil {
			plotOut.Discard()
			return err
		}
	}
	return w.finish(nil)
}

// openSweepPlot checks a -plot file name and opens it (nil for none), before any run.
func openSweepPlot(path string) (*outFile, error) {
	if path == "" {
		return nil, nil
	}
	if _, err := plot.FormatOf(path); err != nil {
		return nil, usagef("-plot: %v", err)
	}
	return createOut("-plot", path)
}

// planOfHeader rebuilds the plan a part was run with from its header, through sweep's own
// flag parsing.
func planOfHeader(h sweepHeader, stderr io.Writer) (*sweepPlan, error) {
	fs := newFlagSet("sweep", sweepUsage, io.Discard)
	sf := defineSimFlags(fs, sweepSkipped...)
	sf.netem = fs.String("netem", defaultNetem, "")
	seeds := fs.String("seeds", "10", "")
	if err := parseFlags(fs, h.args()); err != nil {
		return nil, err
	}
	p, err := newSweepPlan(sf, givenFlags(fs), *seeds, "")
	if err != nil {
		return nil, err
	}
	want := h
	want.Shard = ""
	if p.head != want {
		return nil, fmt.Errorf("rebuilt as %+v", p.head)
	}
	return p, nil
}

// partReader reads one shard's output.
type partReader struct {
	name   string
	f      *os.File
	sc     *bufio.Scanner
	line   int
	format string
	head   sweepHeader
	cols   []rowColumn
	rows   int
}

func openPart(name string) (*partReader, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("sweep merge: %w", err)
	}
	pr := &partReader{name: name, f: f, sc: bufio.NewScanner(f), format: "json"}
	pr.sc.Buffer(make([]byte, 64<<10), 16<<20)
	l, ok := pr.scan()
	if !ok {
		f.Close()
		return nil, fmt.Errorf("sweep merge: %s: empty, or not a sweep's output: %v", name, pr.sc.Err())
	}
	if rest, isCSV := strings.CutPrefix(l, "# "); isCSV {
		pr.format, l = "csv", rest
	}
	dec := json.NewDecoder(strings.NewReader(l))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&pr.head); err != nil || pr.head.Type != "sweep" {
		f.Close()
		return nil, fmt.Errorf("sweep merge: %s line 1: not the header of a sweep's output (want the first line sweep printed)", name)
	}
	pr.cols = rowColumns(pr.head.App)
	if pr.format == "csv" {
		l, ok := pr.scan()
		var names []string
		for _, c := range pr.cols {
			names = append(names, c.name)
		}
		if !ok || l != strings.Join(names, ",") {
			f.Close()
			return nil, fmt.Errorf("sweep merge: %s line 2: want the CSV header %q", name, strings.Join(names, ","))
		}
	}
	return pr, nil
}

func (pr *partReader) scan() (string, bool) {
	if !pr.sc.Scan() {
		return "", false
	}
	pr.line++
	return pr.sc.Text(), true
}

// next returns the part's next row, skipping its summaries.
func (pr *partReader) next() (sweepRow, error) {
	for {
		l, ok := pr.scan()
		if !ok {
			if err := pr.sc.Err(); err != nil {
				return sweepRow{}, fmt.Errorf("sweep merge: %s: %w", pr.name, err)
			}
			return sweepRow{}, fmt.Errorf("sweep merge: %s ends after %d rows, before its end record: the shard did not finish", pr.name, pr.rows)
		}
		rec := l
		isRecord := true
		if pr.format == "csv" {
			rec, isRecord = strings.CutPrefix(l, "# ")
		}
		if !isRecord {
			fields, err := csv.NewReader(strings.NewReader(l)).Read()
			if err != nil {
				return sweepRow{}, pr.bad(err)
			}
			r, err := parseCSVRow(fields, pr.cols)
			if err != nil {
				return sweepRow{}, pr.bad(err)
			}
			pr.rows++
			return r, nil
		}
		var t struct {
			Type string `json:"type"`
		}
		if err := json.Unmarshal([]byte(rec), &t); err != nil {
			return sweepRow{}, pr.bad(err)
		}
		switch t.Type {
		case "summary":
			continue
		case "run":
			var r sweepRow
			if err := json.Unmarshal([]byte(rec), &r); err != nil {
				return sweepRow{}, pr.bad(err)
			}
			pr.rows++
			return r, nil
		case "end":
			return sweepRow{}, fmt.Errorf("sweep merge: %s line %d: the end record after %d rows, but more runs belong to this shard", pr.name, pr.line, pr.rows)
		}
		return sweepRow{}, pr.bad(fmt.Errorf("record type %q", t.Type))
	}
}

// finish checks that the part's rows are all read and that it ends with its end record.
func (pr *partReader) finish() error {
	for {
		l, ok := pr.scan()
		if !ok {
			return fmt.Errorf("sweep merge: %s ends after %d rows, before its end record: the shard did not finish", pr.name, pr.rows)
		}
		rec := l
		if pr.format == "csv" {
			var isRecord bool
			if rec, isRecord = strings.CutPrefix(l, "# "); !isRecord {
				return pr.bad(fmt.Errorf("a row after the shard's last run"))
			}
		}
		var e sweepEnd
		if err := json.Unmarshal([]byte(rec), &e); err != nil {
			return pr.bad(err)
		}
		switch e.Type {
		case "summary":
			continue
		case "end":
			if e.Interrupted || e.Runs != pr.rows {
				return fmt.Errorf("sweep merge: %s: the shard was interrupted (its end record counts %d runs, %d rows were read)", pr.name, e.Runs, pr.rows)
			}
			return nil
		}
		return pr.bad(fmt.Errorf("a %q record after the shard's last run", e.Type))
	}
}

func (pr *partReader) bad(err error) error {
	return fmt.Errorf("sweep merge: %s line %d: %v", pr.name, pr.line, err)
}
