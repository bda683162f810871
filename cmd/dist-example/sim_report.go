package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/dist-example/dist-example/app"
	"github.com/dist-example/dist-example/cmd/dist-example/internal/plot"
	"github.com/dist-example/dist-example/simnet"
	"github.com/dist-example/dist-example/simnet/netem"
	"github.com/dist-example/dist-example/simnet/scenario"
)

// progressEvery is how often sim shows the summaries made since it last did.
const progressEvery = 100 * time.Millisecond

// simSummaryPrinter is recv's summaryPrinter, but a text line is stamped with the
// virtual time since the start, whose hours go on past 24 (as in the trace and the
// interrupt message), instead of the time of day, which would repeat every 24 hours.
func simSummaryPrinter(w io.Writer, format string) func(app.Summary) {
	if format == "json" {
		return summaryPrinter(w, format)
	}
	const stampLen = len("15:04:05.000")
	var line []byte
	return func(s app.Summary) {
		text := s.String()
		line = line[:0]
		if !s.Final && len(text) > stampLen && text[stampLen] == ' ' {
			line = append(line, formatVirtual(s.Start.Sub(simnet.Epoch))...)
			text = text[stampLen:]
		}
		line = append(append(line, text...), '\n')
		_, _ = w.Write(line)
	}
}

// simStream runs the send/recv scenario and writes its report to w.
func simStream(o *simOptions, cfg scenario.Config, w io.Writer) (runID, error) {
	page, w := newHTMLPage(o, w)
	cfg.Observe = page.observe()
	simHeader(o, w)
	cfg.OnSummary = simSummaryPrinter(w, o.format)
	if f, ok := w.(interface{ Flush() error }); ok {
		// A long run shows its progress: the first summary at once, then what has been
		// made every progressEvery of wall time (a write per summary cost more than
		// the rest of printing it).
		print := cfg.OnSummary
		var last time.Time
		cfg.OnSummary = func(s app.Summary) {
			print(s)
			if now := time.Now(); last.IsZero() || now.Sub(last) >= progressEvery {
				_ = f.Flush()
				last = now
			}
		}
	}
	var pc *pcapWriter
	if o.files.pcap != nil {
		pc = newPcap(o.files.pcap)
		cfg.OnRead = pc.add
	}
	res, err := scenario.RunContext(o.context(), cfg)
	if pc != nil {
		o.files.pcap.Fail(pc.err)
	}
	if errors.Is(err, simnet.ErrInterrupted) {
		// The summaries so far, the receiver's totals among them, are printed; the
		// link's counters follow, then what stopped the run (no ground truth: datagrams
		// were still in flight).
		if o.format == "json" {
			writeJSONLine(w, linkOf(scenario.SenderHost+"->"+scenario.ReceiverHost, res.Link))
		} else {
			simLinkText(w, res.Link)
		}
		ierr := errInterrupted(o.context(), res.End)
		simInterruptedLine(o, w, ierr)
		simPlot(o, res)
		page.write(o, res.Summaries)
		return runID{res.Fingerprint, res.TraceEvents}, ierr
	}
	if err != nil {
		return runID{}, err
	}
	if o.format == "json" {
		simTailJSON(o, w, res)
	} else {
		simTailText(o, w, res)
	}
	simPlot(o, res)
	page.write(o, res.Summaries)
	return runID{res.Fingerprint, res.TraceEvents}, nil
}

// simPlot draws the receiver's intervals into -plot's file, if there is one.
func simPlot(o *simOptions, res *scenario.Result) {
	if o.files.plot != nil {
		title := "sim seed " + fmt.Sprint(o.cfg.Seed) + ": " + o.netem
		o.files.plot.Fail(plot.WriteIntervals(o.files.plot, plotFormat(o.plot), title, intervalPoints(res.Summaries, o.cfg.Interval)))
	}
}

// simHeader prints the seed (always the first line) and what runs where.
func simHeader(o *simOptions, w io.Writer) {
	if o.format == "json" {
		writeJSONLine(w, struct {
			Type         string   `json:"type"`
			Seed         uint64   `json:"seed"`
			Replay       string   `json:"replay"`
			App          string   `json:"app"`
			Netem        string   `json:"netem"`
			Correlation  string   `json:"correlation"`
			Faults       string   `json:"faults,omitempty"`
			Duration     string   `json:"duration"`
			SendInterval string   `json:"send_interval"`
			Interval     string   `json:"interval"`
			Tables       []string `json:"tables,omitempty"`
		}{"sim", o.cfg.Seed, o.replay(), o.app, o.netem, o.cfg.Correlation.String(), o.faults, o.cfg.Duration.String(),
			o.cfg.SendInterval.String(), o.cfg.Interval.String(), o.cfg.Profile.TableSources()})
		return
	}
	fmt.Fprintf(w, "seed %d (replay: %s)\n", o.cfg.Seed, o.replay())
	if o.app == "ping" {
		fmt.Fprintf(w, "sim: ping on %s probes echo on %s every %v for %v of virtual time; netem both ways: %s\n",
			scenario.SenderHost, scenario.ReceiverHost, o.cfg.SendInterval, o.cfg.Duration, netemOrNone(o.netem))
	} else {
		fmt.Fprintf(w, "sim: %s:%d sends to %s:%d every %v for %v of virtual time; netem: %s\n",
			scenario.SenderHost, scenario.SenderPort, scenario.ReceiverHost, scenario.ReceiverPort,
			o.cfg.SendInterval, o.cfg.Duration, netemOrNone(o.netem))
	}
	for _, src := range o.cfg.Profile.TableSources() { // where each delay table came from
		fmt.Fprintf(w, "sim: %s\n", src)
	}
	if o.cfg.Correlation == netem.CorrelationKernel {
		fmt.Fprintf(w, "sim: correlated draws as Linux's get_crandom (-correlation kernel), as a real qdisc makes them\n")
	}
	if o.faults != "" {
		fmt.Fprintf(w, "sim: faults: %s\n", o.faults)
	}
}

func netemOrNone(s string) string {
	if s == "" {
		return "(none: a perfect link)"
	}
	return s
}

// writeJSONLine writes v as one line of JSON, with "->" left readable.
func writeJSONLine(w io.Writer, v any) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil { // cannot happen: only numbers and strings
		fmt.Fprintf(w, "{\"type\":\"error\",\"error\":%q}\n", err.Error())
		return
	}
	_, _ = w.Write(b.Bytes())
}

// linkJSON is a link's counters with JSON names.
type linkJSON struct {
	Type        string `json:"type"`
	Link        string `json:"link"`
	Sent        uint64 `json:"sent"`
	Delivered   uint64 `json:"delivered"`
	Lost        uint64 `json:"lost"`
	Duplicated  uint64 `json:"duplicated"`
	Reordered   uint64 `json:"reordered"`
	Corrupted   uint64 `json:"corrupted"`
	LimitDrops  uint64 `json:"limit_drops"`
	Partitioned uint64 `json:"partitioned"`
	Refused     uint64 `json:"refused"`
	InFlight    uint64 `json:"in_flight"`
}

func linkOf(name string, s simnet.Stats) linkJSON {
	return linkJSON{Type: "link", Link: name, Sent: s.Sent, Delivered: s.Delivered, Lost: s.Lost,
		Duplicated: s.Duplicated, Reordered: s.Reordered, Corrupted: s.Corrupted, LimitDrops: s.LimitDrops,
		Partitioned: s.Partitioned + s.LinkDown, Refused: s.NoListener + s.HostDown + s.RecvBuffer, InFlight: s.InFlight}
}

func simTailJSON(o *simOptions, w io.Writer, res *scenario.Result) {
	writeJSONLine(w, linkOf(scenario.SenderHost+"->"+scenario.ReceiverHost, res.Link))
	diffs := disagreements(o, res)
	writeJSONLine(w, struct {
		Type string `json:"type"`
		scenario.Truth
		Receiver app.Counts `json:"receiver"`
		Agree    bool       `json:"agree"`
		Why      string     `json:"why,omitempty"`
	}{"truth", res.Truth, res.Final, len(diffs) == 0, strings.Join(diffs, "; ")})
	writeFingerprintJSON(w, res.Fingerprint, res.TraceEvents)
}

// simInterruptedLine ends the report of an interrupted run.
func simInterruptedLine(o *simOptions, w io.Writer, err error) {
	msg := strings.TrimPrefix(err.Error(), "sim: ")
	if o.format == "json" {
		writeJSONLine(w, struct {
			Type  string `json:"type"`
			Error string `json:"error"`
		}{"interrupted", msg})
		return
	}
	fmt.Fprintln(w, msg)
}

// simLinkText prints the link's counters as one line.
func simLinkText(w io.Writer, s simnet.Stats) {
	l := linkOf("", s)
	fmt.Fprintf(w, "link %s->%s: sent %d, delivered %d, lost %d, duplicated %d, reordered %d, corrupted %d, limit drops %d, partitioned %d, refused %d, in flight %d\n",
		scenario.SenderHost, scenario.ReceiverHost, l.Sent, l.Delivered, l.Lost, l.Duplicated, l.Reordered,
		l.Corrupted, l.LimitDrops, l.Partitioned, l.Refused, l.InFlight)
}

func simTailText(o *simOptions, w io.Writer, res *scenario.Result) {
	simLinkText(w, res.Link)
	t, c := res.Truth, res.Final
	fmt.Fprintf(w, "receiver vs network (ground truth) for the %d datagrams sent:\n", t.Sent)
	fmt.Fprintf(w, "  %-11s %9s %9s\n", "", "receiver", "network")
	row := func(name string, recv int64, net uint64, what string) {
		fmt.Fprintf(w, "  %-11s %9d %9d  %s\n", name, recv, net, what)
	}
	row("received", c.Received, t.Copies, "copies delivered to "+scenario.ReceiverHost)
	row("unique", c.Unique, t.Delivered, "datagrams delivered (one copy or more)")
	row("lost", c.Lost, t.LostInRange(), fmt.Sprintf("never delivered, between the first and last delivered (all: %d = loss %d + limit %d + partition %d + other %d)",
		t.Undelivered, t.ByLoss, t.ByLimit, t.ByPartition, t.ByOther))
	row("duplicates", c.Duplicates, t.Extra, "extra copies delivered")
	row("reordered", c.Reordered, t.Reordered, "first copy arrived after a later datagram's")
	row("malformed", c.Malformed, t.Corrupted, "network: copies delivered with a bit flipped")
	if c.Late != 0 || c.Stale != 0 || c.Restarts != 0 {
		fmt.Fprintf(w, "  receiver only: late %d (arrived after being counted lost), stale %d, restarts %d\n",
			c.Late, c.Stale, c.Restarts)
	}
	if diffs := disagreements(o, res); len(diffs) == 0 {
		fmt.Fprintln(w, "  agree: the receiver's counts are the network's")
	} else {
		fmt.Fprintf(w, "  differ: %s\n", strings.Join(diffs, "; "))
	}
	writeFingerprintText(w, res.Fingerprint, res.TraceEvents)
}

// writeFingerprintText ends a text report: the fingerprint of the run's events.
func writeFingerprintText(w io.Writer, fp string, events int) {
	fmt.Fprintf(w, "fingerprint %s (sha256 of %d trace events)\n", fp, events)
}

func writeFingerprintJSON(w io.Writer, fp string, events int) {
	writeJSONLine(w, struct {
		Type        string `json:"type"`
		Fingerprint string `json:"fingerprint"`
		TraceEvents int    `json:"trace_events"`
	}{"fingerprint", fp, events})
}

// disagreements lists where the receiver and the network differ, and why they may.
func disagreements(o *simOptions, res *scenario.Result) []string {
	t, c := res.Truth, res.Final
	var d []string
	cmp := func(name string, recv int64, net uint64) {
		if recv != int64(net) {
			d = append(d, fmt.Sprintf("%s %d vs %d", name, recv, net))
		}
	}
	cmp("received", c.Received, t.Copies)
	cmp("unique", c.Unique, t.Delivered)
	cmp("lost", c.Lost, t.LostInRange())
	cmp("duplicates", c.Duplicates, t.Extra)
	cmp("reordered", c.Reordered, t.Reordered)
	if len(d) == 0 {
		return nil
	}
	var why []string
	if t.Corrupted > 0 {
		// The sender writes only numbers, so whatever the receiver found malformed was
		// corrupted on the way; the other corrupted copies read as other numbers, and one
		// far above the rest stretches the range the receiver counts as lost.
		why = append(why, fmt.Sprintf("%d copies were corrupted on the way (the receiver read %d as no number, the others as other numbers, which can stretch its range of lost numbers)",
			t.Corrupted, min(uint64(max(c.Malformed, 0)), t.Corrupted)))
	}
	for _, f := range o.cfg.Faults {
		if f.Kind == scenario.Restart || f.Kind == scenario.Jump {
			why = append(why, "after a restart or jump the receiver counts per stream, the network per datagram")
			break
		}
	}
	if c.Stale > 0 {
		why = append(why, "stale datagrams fell out of the receiver's window")
	}
	if len(why) > 0 {
		d = append(d, "because "+strings.Join(why, ", and "))
	}
	return d
}

// intervalPoints turns the receiver's interval summaries into plot points.
func intervalPoints(ss []app.Summary, interval time.Duration) []plot.IntervalPoint {
	var pts []plot.IntervalPoint
	for _, s := range ss {
		if !s.Final {
			pts = append(pts, intervalPoint(s, simnet.Epoch, interval))
		}
	}
	return pts
}

// intervalPoint is one interval summary as a plot point, its time measured from origin;
// an interval shorter than interval (the last, cut short) is marked partial.
func intervalPoint(s app.Summary, origin time.Time, interval time.Duration) plot.IntervalPoint {
	n := func(v int64) uint64 { return uint64(max(v, 0)) }
	span := s.End.Sub(s.Start)
	return plot.IntervalPoint{
		At: s.End.Sub(origin), Span: span, Partial: span < interval,
		Received: n(s.Counts.Unique), Lost: n(s.Counts.Lost),
		Duplicated: n(s.Counts.Duplicates), Reordered: n(s.Counts.Reordered),
	}
}
