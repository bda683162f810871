package main

import (
	"errors"
	"fmt"
	"io"
	"net"

	"github.com/dist-example/dist-example/app"
	"github.com/dist-example/dist-example/cmd/dist-example/internal/plot"
	"github.com/dist-example/dist-example/simnet"
	"github.com/dist-example/dist-example/simnet/scenario"
)

// checkSimPing validates the flags that matter for -app ping.
func checkSimPing(o *simOptions) error {
	switch {
	case o.pingSize < app.PingHeaderLen || o.pingSize > app.PingMaxSize:
		return usagef("-size %d: want %d..%d bytes", o.pingSize, app.PingHeaderLen, app.PingMaxSize)
	case len(o.cfg.Faults) > 0:
		return usagef("-faults: not supported with -app ping (the ping scenario has no fault schedule: partitions, restarts and jumps are scheduled for the stream's hosts and sender; use -app stream, or a loss or delay in -netem)")
	case o.pcap != "":
		return usagef("-pcap: not supported with -app ping (the capture holds what the stream's receiver read; -trace records every packet of a ping run)")
	}
	return nil
}

// simPing runs app's pinger on host1 against app's echo server on host2 and prints ping's
// summary, the two links' counters and the trace's fingerprint.
func simPing(o *simOptions, cfg scenario.Config, w io.Writer) (runID, error) {
	page, w := newHTMLPage(o, w)
	simHeader(o, w)
	var rec *pingRecorder
	if o.files.plot != nil {
		rec = &pingRecorder{}
	}
	pcfg := scenario.PingConfig{Seed: cfg.Seed, Profile: cfg.Profile, Correlation: cfg.Correlation, Duration: cfg.Duration,
		Interval: cfg.SendInterval, Size: o.pingSize, Trace: cfg.Trace, Observe: page.observe()}
	if rec != nil {
		pcfg.OnProbe = rec.probe
		pcfg.OnReply = rec.reply
	}
	res, err := scenario.RunPingContext(o.context(), pcfg)
	var ierr error
	if errors.Is(err, simnet.ErrInterrupted) {
		ierr = errInterrupted(o.context(), res.End)
	} else if err != nil {
		return runID{}, err
	}
	dst := &net.UDPAddr{IP: net.IPv4(10, 0, 0, 2), Port: scenario.EchoPort}
	pingPrinter{w: w, json: o.format == "json", dst: dst}.summary(res.Stats.Summary())
	fwd := linkOf(scenario.SenderHost+"->"+scenario.ReceiverHost, res.Forward)
	back := linkOf(scenario.ReceiverHost+"->"+scenario.SenderHost, res.Back)
	if o.format == "json" {
		writeJSONLine(w, fwd)
		writeJSONLine(w, back)
		writeFingerprintJSON(w, res.Fingerprint, res.TraceEvents)
	} else {
		for _, l := range []linkJSON{fwd, back} {
			fmt.Fprintf(w, "link %s: sent %d, delivered %d, lost %d, duplicated %d, reordered %d, corrupted %d, limit drops %d\n",
				l.Link, l.Sent, l.Delivered, l.Lost, l.Duplicated, l.Reordered, l.Corrupted, l.LimitDrops)
		}
		writeFingerprintText(w, res.Fingerprint, res.TraceEvents)
	}
	if ierr != nil {
		simInterruptedLine(o, w, ierr)
	}
	if rec != nil {
		title := fmt.Sprintf("sim ping seed %d: %s", o.cfg.Seed, netemOrNone(o.netem))
		o.files.plot.Fail(plot.WriteRTT(o.files.plot, plotFormat(o.plot), title, rec.points))
	}
	page.write(o, nil)
	return runID{res.Fingerprint, res.TraceEvents}, ierr
}
