package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"time"

	"github.com/dist-example/dist-example/app"
	"github.com/dist-example/dist-example/cmd/dist-example/internal/plot"
	"github.com/dist-example/dist-example/realnet"
)

const pingUsage = `
usage: dist-example ping [flags]

Sends numbered UDP probes to a dist-example echo (or any UDP echo server) and prints a
line per reply, like ping: "64 bytes from ADDR: seq=3 time=0.123 ms", marked (DUP!) for
a duplicate and (reordered) for a reply that arrived after a later probe's reply (it
was overtaken: seq=3 arriving after seq=4's reply is marked). At the end (after
-count probes and up to -timeout for their replies, or on SIGINT/SIGTERM) it prints
transmitted, received, loss, duplicates, reordered, RTT min/avg/max/mdev (the population
standard deviation, as ping's) and the nearest-rank p50/p90/p99. Percentiles are exact
up to 1048576 replies and estimated from an even thinning of them beyond.

Exit status, as ping's: 0 if any reply came back (even with loss), 1 if none did or on
an error, 2 for a bad command line.

Examples:
  dist-example echo &
  dist-example ping -count 10
  dist-example ping -addr 10.0.0.2:2346 -interval 10ms -count 1000 -size 1200 -plot rtt.png
  dist-example ping -count 50 -interval 5ms -format json | tail -1     # the summary object
`

// pingMinInterval keeps the pinger reading between sends: below it a send alone can
// take the whole interval and the loop would only ever send.
const pingMinInterval = 100 * time.Microsecond

// pingPlotMax bounds the probes remembered for -plot (24 bytes each).
const pingPlotMax = 1 << 20

func init() {
	register(command{name: "ping", summary: "measure round-trip time, loss, duplicates and reordering against echo", run: runPing})
}

func runPing(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("ping", pingUsage, stdout)
	addr := fs.String("addr", defaultEchoAddr, "UDP `HOST:PORT` of the echo server (IPv4 or IPv6)")
	interval := fs.Duration("interval", time.Second, "time between probes, >= 100us")
	count := fs.Int64("count", 0, "probes to send, >= 0 (0 = until interrupted)")
	size := fs.Int("size", 64, fmt.Sprintf("probe size in `BYTES` (UDP payload), %d..%d", app.PingHeaderLen, app.PingMaxSize))
	timeout := fs.Duration("timeout", time.Second, "how long to wait for replies after the last probe, > 0")
	format := fs.String("format", "text", "output format, `text|json` (json: an object per reply, the summary last)")
	plotFile := fs.String("plot", "", "also draw RTT over time and an RTT histogram into `FILE` (.png or .svg)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case *interval < pingMinInterval:
		return usagef("-interval %v: want a duration >= %v, e.g. 1s or 10ms", *interval, pingMinInterval)
	case *count < 0:
		return usagef("-count %d: want a number >= 0 (0 = until interrupted)", *count)
	case *size < app.PingHeaderLen || *size > app.PingMaxSize:
		return usagef("-size %d: want %d..%d bytes (the probe header is %d bytes; 65507 is the largest UDP payload over IPv4)",
			*size, app.PingHeaderLen, app.PingMaxSize, app.PingHeaderLen)
	case *timeout <= 0:
		return usagef("-timeout %v: want a duration > 0, e.g. 1s", *timeout)
	case *format != "text" && *format != "json":
		return usagef("-format %q: want text or json", *format)
	}
	if err := checkPlotFile(*plotFile); err != nil {
		return err
	}
	if err := checkAddr(*addr, false); err != nil {
		return err
	}

	// The chart's file is opened before the first probe: a path that cannot be written
	// fails now, not after the run.
	plotOut, err := createOut("-plot", *plotFile)
	if err != nil {
		return err
	}
	defer plotOut.Discard() // unless closed below
	conn, dst, err := realnet.Dial(*addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	// Closing the conn wakes the pinger at once; it then returns its stats.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()

	out := pingPrinter{w: stdout, json: *format == "json", dst: dst}
	var rec *pingRecorder
	if plotOut != nil {
		rec = &pingRecorder{}
	}
	cfg := app.PingConfig{
		Conn: conn, Clock: realnet.Clock(), Dest: dst,
		Interval: *interval, Count: uint64(*count), Size: *size, Timeout: *timeout,
		OnProbe: func(seq uint64, sent time.Duration, err error) {
			if err != nil {
				fmt.Fprintf(stderr, "ping: seq=%d: %v\n", seq, err)
			}
			rec.probe(seq, sent)
		},
		OnReply: func(r app.PingReply) {
			out.reply(r)
			rec.reply(r)
		},
	}
	out.start(*size, *interval)
	stats, err := app.Ping(context.Background(), cfg) // ctx ends it through Close
	out.summary(stats.Summary())
	if rec != nil {
		if rec.truncated() {
			fmt.Fprintf(stderr, "ping: -plot shows the first %d probes only\n", pingPlotMax)
		}
		plotOut.Fail(plot.WriteRTT(plotOut, plotFormat(*plotFile), "ping "+dst.String(), rec.points))
		if perr := plotOut.Close(); perr != nil {
			return errors.Join(err, perr)
		}
	}
	if err != nil {
		return err
	}
	if stats.Received == 0 {
		return fmt.Errorf("ping: no reply from %s", dst)
	}
	return nil
}

// pingRecorder keeps each probe's send time and first RTT for plot.RTT, for the first
// pingPlotMax probes. A nil *pingRecorder records nothing, so callers need no checks.
type pingRecorder struct {
	points []plot.RTTPoint // by sequence number
}

func (r *pingRecorder) probe(seq uint64, sent time.Duration) {
	if r != nil && seq == uint64(len(r.points)) && seq < pingPlotMax {
		r.points = append(r.points, plot.RTTPoint{At: sent, Lost: true})
	}
}

func (r *pingRecorder) reply(rep app.PingReply) {
	if r != nil && !rep.Duplicate && rep.Seq < uint64(len(r.points)) {
		r.points[rep.Seq] = plot.RTTPoint{At: rep.Sent, RTT: rep.RTT}
	}
}

func (r *pingRecorder) truncated() bool { return r != nil && len(r.points) == pingPlotMax }

// pingPrinter writes ping's output as text or JSON lines.
type pingPrinter struct {
	w    io.Writer
	json bool
	dst  net.Addr
}

// pingMs renders a duration in milliseconds with microsecond resolution, as ping does.
func pingMs(d time.Duration) string { return strconv.FormatFloat(float64(d)/1e6, 'f', 3, 64) }

// pingMsNum is a duration in milliseconds for JSON.
func pingMsNum(d time.Duration) float64 { return float64(d) / 1e6 }

func (p pingPrinter) start(size int, interval time.Duration) {
	if !p.json {
		fmt.Fprintf(p.w, "PING %s: %d bytes per probe, every %v\n", p.dst, size, interval)
	}
}

type pingReplyJSON struct {
	Type      string  `json:"type"` // "reply"
	Seq       uint64  `json:"seq"`
	Bytes     int     `json:"bytes"`
	From      string  `json:"from"`
	Sent      float64 `json:"sent"` // ms since the first probe
	Time      float64 `json:"time"` // RTT, ms
	Duplicate bool    `json:"duplicate"`
	Reordered bool    `json:"reordered"`
}

func (p pingPrinter) reply(r app.PingReply) {
	if p.json {
		writeJSONLine(p.w, pingReplyJSON{"reply", r.Seq, r.Bytes, r.From.String(), pingMsNum(r.Sent), pingMsNum(r.RTT), r.Duplicate, r.Reordered})
		return
	}
	mark := ""
	if r.Duplicate {
		mark = " (DUP!)"
	} else if r.Reordered {
		mark = " (reordered)"
	}
	fmt.Fprintf(p.w, "%d bytes from %s: seq=%d time=%s ms%s\n", r.Bytes, r.From, r.Seq, pingMs(r.RTT), mark)
}

// pingSummaryJSON is the last JSON line. RTT fields are milliseconds, null when no reply
// came back (there is no RTT to report, and 0 would read as a very fast network).
type pingSummaryJSON struct {
	Type        string   `json:"type"` // "summary"
	Addr        string   `json:"addr"`
	Transmitted uint64   `json:"transmitted"`
	Received    uint64   `json:"received"`
	Lost        uint64   `json:"lost"`
	Loss        float64  `json:"loss"` // percent of transmitted
	Duplicates  uint64   `json:"duplicates"`
	Reordered   uint64   `json:"reordered"`
	Malformed   uint64   `json:"malformed"`
	Foreign     uint64   `json:"foreign"`
	Unknown     uint64   `json:"unknown"`
	SendErrors  uint64   `json:"send_errors"`
	Min         *float64 `json:"min"`
	Avg         *float64 `json:"avg"`
	Max         *float64 `json:"max"`
	Mdev        *float64 `json:"mdev"`
	P50         *float64 `json:"p50"`
	P90         *float64 `json:"p90"`
	P99         *float64 `json:"p99"`
	RTTSamples  int      `json:"rtt_samples"` // replies the percentiles come from
}

func (p pingPrinter) summary(s app.PingSummary) {
	if p.json {
		j := pingSummaryJSON{
			Type: "summary", Addr: p.dst.String(),
			Transmitted: s.Transmitted, Received: s.Received, Lost: s.Lost, Loss: s.LossPercent,
			Duplicates: s.Duplicates, Reordered: s.Reordered,
			Malformed: s.Malformed, Foreign: s.Foreign, Unknown: s.Unknown, SendErrors: s.SendErrors,
			RTTSamples: s.Samples,
		}
		if s.Received > 0 {
			num := func(d time.Duration) *float64 { v := pingMsNum(d); return &v }
			j.Min, j.Avg, j.Max, j.Mdev = num(s.Min), num(s.Avg), num(s.Max), num(s.Mdev)
			j.P50, j.P90, j.P99 = num(s.P50), num(s.P90), num(s.P99)
		}
		writeJSONLine(p.w, j)
		return
	}
	fmt.Fprintf(p.w, "\n--- %s ping statistics ---\n", p.dst)
	fmt.Fprintf(p.w, "%d packets transmitted, %d received, %s%% packet loss, %d duplicates, %d reordered\n",
		s.Transmitted, s.Received, strconv.FormatFloat(s.LossPercent, 'g', 6, 64), s.Duplicates, s.Reordered)
	if ignored := s.Malformed + s.Foreign + s.Unknown; ignored > 0 || s.SendErrors > 0 {
		fmt.Fprintf(p.w, "ignored replies: %d malformed, %d from other addresses, %d unknown sequence; %d send errors\n",
			s.Malformed, s.Foreign, s.Unknown, s.SendErrors)
	}
	if s.Received > 0 {
		fmt.Fprintf(p.w, "rtt min/avg/max/mdev = %s/%s/%s/%s ms\n", pingMs(s.Min), pingMs(s.Avg), pingMs(s.Max), pingMs(s.Mdev))
		fmt.Fprintf(p.w, "rtt p50/p90/p99 = %s/%s/%s ms\n", pingMs(s.P50), pingMs(s.P90), pingMs(s.P99))
	}
}
