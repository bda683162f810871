package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"strconv"
	"time"

	"github.com/dist-example/dist-example/app"
	"github.com/dist-example/dist-example/cmd/dist-example/internal/plot"
	"github.com/dist-example/dist-example/realnet"
)

// defaultAddr is where send sends and recv listens, as in the original talk.
const defaultAddr = "127.0.0.1:2345"

// checkAddr rejects an -addr that is not "host:port" (or has a numeric port out of
// range) as a usage error, exit 2, before any lookup; a well-formed address whose host
// does not resolve, or is in use, fails later with exit 1. A port may also be a service
// name ("localhost:domain"), which only the resolver can judge.
func checkAddr(value string, portZeroOK bool) error {
	const accepted = `want host:port, e.g. 127.0.0.1:2345, [::1]:2345 or :2345`
	_, port, err := net.SplitHostPort(value)
	if err != nil {
		return usagef("-addr %q: %v; %s", value, err, accepted)
	}
	if port == "" {
		return usagef("-addr %q: the port is empty; %s", value, accepted)
	}
	if n, err := strconv.Atoi(port); err == nil || port[0] >= '0' && port[0] <= '9' {
		lo := 1
		if portZeroOK {
			lo = 0
		}
		if err != nil || n < lo || n > 65535 {
			return usagef("-addr %q: port %s is not in %d..65535; %s", value, port, lo, accepted)
		}
	}
	return nil
}

// checkPlotFile rejects a -plot file name that plot cannot draw into as a usage error,
// before the command starts; "" (no plot) is fine.
func checkPlotFile(path string) error {
	if path == "" {
		return nil
	}
	if _, err := plot.FormatOf(path); err != nil {
		return usagef("-plot %q: want a file name ending in .png or .svg", path)
	}
	return nil
}

// defaultRcvbuf is large enough that a receiver keeping up on average does not lose
// bursts: the kernel's usual 208 KiB loses 2-20% of a loopback burst. A small datagram
// costs about 800 bytes of buffer, so 32 MiB (64 MiB as Linux reports it, if granted)
// absorbs about 0.4 s of 200k datagrams/s while the receiver is descheduled on a busy
// host. It is a limit, not an allocation: memory is used only while datagrams queue.
const defaultRcvbuf = 32 << 20

const recvUsage = `
usage: dist-example recv [flags]

Receives numbered datagrams (ASCII decimal and a newline) and prints, every -interval,
the original's "Received R/E packets in range [min-max]" with unique, lost, duplicates,
reordered, late, malformed and restarts, and running totals. On SIGINT or SIGTERM it
prints the final totals (the last line of output) and exits 0.

A missing number is counted lost in the first interval that ends a whole interval
after a higher number arrived, so reordering shorter than -interval is never a loss.
If it arrives after all, it is counted late (it filled an earlier gap) and the total
lost goes down by one. A number too far behind the highest to tell a duplicate from a
gap (more than 32768 behind) is counted stale; stale is shown when not zero.

Examples:
  dist-example recv
  dist-example recv -addr [::1]:2345 -interval 200ms -format json
  dist-example recv -plot run.png        # on exit, a chart of each interval's counts
  echo 42 | nc -u -w1 127.0.0.1 2345     # feeds one number to the receiver

One number per datagram: "seq 1 5 | nc -u ..." sends the five lines as one datagram,
which counts as one malformed datagram. Each source address and port is its own stream,
so send each number in its own datagram from one socket (bash):
  exec 3>/dev/udp/127.0.0.1/2345; for i in 1 2 4 5; do echo $i >&3; done; exec 3>&-
`

func init() {
	register(command{name: "recv", summary: "receive numbered datagrams and report what arrived", run: runRecv})
}

func runRecv(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("recv", recvUsage, stdout)
	addr := fs.String("addr", defaultAddr, "UDP `HOST:PORT` to listen on (IPv4 or IPv6; port 0 picks one)")
	interval := fs.Duration("interval", time.Second, "summary interval, >= 1ms")
	format := fs.String("format", "text", "output format, `text|json` (json: one object per line, totals last)")
	rcvbuf := fs.Int("rcvbuf", defaultRcvbuf, "socket receive buffer to ask for, in `BYTES` (0 keeps the kernel's default)")
	plotFile := fs.String("plot", "", "on exit, draw per interval what was received, lost, duplicated and reordered into `FILE` (.png or .svg)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := checkPlotFile(*plotFile); err != nil {
		return err
	}
	if *interval < time.Millisecond {
		return usagef("-interval %v: want a duration >= 1ms, e.g. 1s or 200ms", *interval)
	}
	if *format != "text" && *format != "json" {
		return usagef("-format %q: want text or json", *format)
	}
	if *rcvbuf < 0 {
		return usagef("-rcvbuf %d: want a number of bytes >= 0 (0 keeps the kernel's default)", *rcvbuf)
	}
	if err := checkAddr(*addr, true); err != nil {
		return err
	}

	// The chart's file is opened before the receiver starts: a path that cannot be
	// written fails now, not after the run.
	plotOut, err := createOut("-plot", *plotFile)
	if err != nil {
		return err
	}
	defer plotOut.Discard() // unless closed below
	conn, err := realnet.Listen(*addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	fmt.Fprintf(stderr, "recv: listening on %s\n", conn.LocalAddr())
	if *rcvbuf > 0 {
		if got, err := realnet.SetReadBuffer(conn, *rcvbuf); err != nil {
			fmt.Fprintf(stderr, "recv: warning: %v; keeping the kernel's default receive buffer\n", err)
		} else {
			fmt.Fprintf(stderr, "recv: receive buffer %d bytes as the kernel reports it (asked for %d; Linux reports twice what it grants, capped by net.core.rmem_max unless root)\n", got, *rcvbuf)
			if runtime.GOOS == "linux" && got > 0 && got/2 < *rcvbuf {
				fmt.Fprintf(stderr, "recv: warning: granted %d of the %d bytes asked; fast bursts may overflow it (RcvbufErrors): run as root, or raise the cap with sysctl -w net.core.rmem_max=%d\n", got/2, *rcvbuf, *rcvbuf)
			}
		}
	}
	before, snmpErr := hostUDPCounters()

	// Closing the conn is what ends the receive loop: it blocks only in ReadFrom.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	onSummary := summaryPrinter(stdout, *format)
	var rec *recvRecorder
	if plotOut != nil {
		rec = &recvRecorder{interval: *interval}
		printed := onSummary
		onSummary = func(s app.Summary) { printed(s); rec.add(s) }
	}
	r := &app.Receiver{
		Conn:      conn,
		Clock:     realnet.Clock(),
		Interval:  *interval,
		OnSummary: onSummary,
		Logf: func(f string, a ...any) {
			fmt.Fprintf(stderr, "recv: "+f+"\n", a...)
		},
	}
	err = r.Run(ctx)
	if snmpErr == nil {
		if after, err := hostUDPCounters(); err == nil {
			d := after.Sub(before)
			fmt.Fprintf(stderr, "recv: kernel UDP counters over the run (whole host, IPv4+IPv6): InDatagrams +%d, RcvbufErrors +%d, InErrors +%d\n",
				d.InDatagrams, d.RcvbufErrors, d.InErrors)
		}
	}
	if rec != nil {
		if rec.truncated {
			fmt.Fprintf(stderr, "recv: -plot shows the first %d intervals only\n", recvPlotMax)
		}
		plotOut.Fail(plot.WriteIntervals(plotOut, plotFormat(*plotFile), "recv "+conn.LocalAddr().String(), rec.points))
		err = errors.Join(err, plotOut.Close())
	}
	return err
}

// recvPlotMax bounds the intervals -plot keeps: a receiver may run for days. A million
// points is 11 days at one a second, and 40 MiB.
const recvPlotMax = 1 << 20

// recvRecorder keeps the interval summaries as plot points, measured from the start of
// the first interval.
type recvRecorder struct {
	start     time.Time
	interval  time.Duration // the summary interval: a shorter one is partial
	points    []plot.IntervalPoint
	truncated bool
}

func (r *recvRecorder) add(s app.Summary) {
	if s.Final {
		return
	}
	if len(r.points) >= recvPlotMax {
		r.truncated = true
		return
	}
	if len(r.points) == 0 {
		r.start = s.Start
	}
	r.points = append(r.points, intervalPoint(s, r.start, r.interval))
}

// hostUDPCounters reads the host's UDP counters, IPv4 and IPv6 added together (IPv6's
// only where the kernel has them), so a run on [::1] is counted as well as one on
// 127.0.0.1.
func hostUDPCounters() (realnet.UDPCounters, error) {
	c, err := realnet.ReadUDPCounters()
	if err != nil {
		return c, err
	}
	if c6, err := realnet.ReadUDP6Counters(); err == nil {
		c = c.Add(c6)
	}
	return c, nil
}

// summaryPrinter writes each summary as one line of text or JSON.
func summaryPrinter(w io.Writer, format string) func(app.Summary) {
	if format == "json" {
		return func(s app.Summary) { writeJSONLine(w, s) }
	}
	// fmt.Fprintln(w, s) writes the same line, after copying s into an interface (an
	// allocation per summary) and a trip through fmt.
	var line []byte
	return func(s app.Summary) {
		line = append(append(line[:0], s.String()...), '\n')
		_, _ = w.Write(line)
	}
}
