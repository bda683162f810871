package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/dist-example/dist-example/app"
	"github.com/dist-example/dist-example/realnet"
)

const sendUsage = `
usage: dist-example send [flags]

Sends the numbers -start, -start+1, ... as UDP datagrams (ASCII decimal and a newline),
one every -interval, paced from the clock without drift (-interval 0: as fast as the
kernel takes them, 64 per system call). On exit (after -count datagrams, or on
SIGINT/SIGTERM) it prints how many it sent, in how long, at what rate.

Examples:
  dist-example send
  dist-example send -addr 10.0.0.2:2345 -interval 10ms -count 1000
  dist-example send -interval 0 -count 1000000     # as fast as possible
  nc -lu 2345                                       # shows the stream sent to :2345
`

func init() {
	register(command{name: "send", summary: "send numbered datagrams 0, 1, 2, ... at a fixed interval", run: runSend})
}

func runSend(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("send", sendUsage, stdout)
	addr := fs.String("addr", defaultAddr, "destination UDP `HOST:PORT` (IPv4 or IPv6)")
	interval := fs.Duration("interval", 100*time.Millisecond, "time between datagrams, >= 0 (0 = as fast as possible)")
	count := fs.Int64("count", 0, "datagrams to send, >= 0 (0 = until interrupted)")
	start := fs.Int64("start", 0, "first number to send")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *interval < 0 {
		return usagef("-interval %v: want a duration >= 0 (0 = as fast as possible), e.g. 100ms or 20us", *interval)
	}
	if *count < 0 {
		return usagef("-count %d: want a number >= 0 (0 = until interrupted)", *count)
	}
	if err := checkAddr(*addr, false); err != nil {
		return err
	}

	udp, dst, err := realnet.Dial(*addr)
	if err != nil {
		return err
	}
	conn := realnet.NewBatchConn(udp) // with -interval 0, 64 datagrams per system call
	defer conn.Close()
	before, snmpErr := hostUDPCounters()
	clk := realnet.Clock()
	s := &app.Sender{Conn: conn, Clock: clk, Dst: dst, Interval: *interval, Count: *count, Start: *start}
	t0 := clk.Now()
	sent, err := s.Run(ctx)
	elapsed := clk.Now().Sub(t0)
	rate := 0.0
	if elapsed > 0 {
		rate = float64(sent) / elapsed.Seconds()
	}
	fmt.Fprintf(stdout, "sent %d datagrams to %s in %v (%.0f datagrams/s)\n", sent, dst, elapsed.Round(time.Microsecond), rate)
	if snmpErr == nil {
		if after, e := hostUDPCounters(); e == nil {
			d := after.Sub(before)
			fmt.Fprintf(stderr, "send: kernel UDP counters over the run (whole host, IPv4+IPv6): OutDatagrams +%d, SndbufErrors +%d\n",
				d.OutDatagrams, d.SndbufErrors)
		}
	}
	return err
}
