package main

import (
	"bytes"
	"io"
	"strconv"
	"time"

	"github.com/dist-example/dist-example/app"
	"github.com/dist-example/dist-example/cmd/dist-example/internal/viewer"
	"github.com/dist-example/dist-example/simnet"
	"github.com/dist-example/dist-example/simnet/netem"
)

// htmlPage gathers what -html draws: every simulator event, and the report as printed.
type htmlPage struct {
	c      *viewer.Collector
	report bytes.Buffer
}

// newHTMLPage returns the page to fill when -html is given (else nil) and the writer the
// report should go to (w, and a copy for the page).
func newHTMLPage(o *simOptions, w io.Writer) (*htmlPage, io.Writer) {
	if o.files.html == nil {
		return nil, w
	}
	every := o.cfg.Interval
	if o.app == "ping" {
		every = niceInterval(max(o.cfg.Duration/30, o.cfg.SendInterval))
	}
	p := &htmlPage{c: viewer.NewCollector(o.cfg.Duration, every)}
	return p, io.MultiWriter(w, &p.report)
}

// observe is the run's event hook (nil when there is no page).
func (p *htmlPage) observe() func(simnet.Event) {
	if p == nil {
		return nil
	}
	return p.c.Observe
}

// write draws the page into -html's file; summaries are the receiver's (stream only).
func (p *htmlPage) write(o *simOptions, summaries []app.Summary) {
	if p == nil {
		return
	}
	p.c.Finish()
	m := viewer.Meta{Title: "dist-example sim, seed " + strconv.FormatUint(o.cfg.Seed, 10), App: o.app, Seed: o.cfg.Seed, Netem: o.netem,
		Faults: o.faults, Replay: o.replay(), Report: p.report.String(), Limit: int(o.cfg.Profile.Limit)}
	if m.Limit == 0 {
		m.Limit = netem.DefaultLimit
	}
	if o.app == "ping" {
		m.Title = "dist-example sim -app ping, seed " + strconv.FormatUint(o.cfg.Seed, 10)
	}
	for _, s := range summaries {
		if s.Final {
			continue
		}
		m.Receiver = append(m.Receiver, viewer.ReceiverInterval{Start: s.Start.Sub(simnet.Epoch), End: s.End.Sub(simnet.Epoch),
			Unique: s.Counts.Unique, Lost: s.Counts.Lost, Duplicates: s.Counts.Duplicates, Reorder: s.Counts.Reordered})
	}
	o.files.html.Fail(viewer.Write(o.files.html, m, p.c))
}

// niceInterval rounds d up to 1, 2 or 5 times a power of ten (ping's page has no
// receiver interval to follow, so it picks one that reads well on the axis).
func niceInterval(d time.Duration) time.Duration {
	for p := time.Duration(1); ; p *= 10 {
		for _, m := range []time.Duration{1, 2, 5} {
			if m*p >= d || p > time.Duration(1)<<60/10 {
				return m * p
			}
		}
	}
}
