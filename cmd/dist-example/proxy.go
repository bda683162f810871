package main

import (
	"context"
	crand "crypto/rand"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"time"

	"github.com/benbjohnson/clock"

	"github.com/dist-example/dist-example/realnet/proxy"
	"github.com/dist-example/dist-example/simnet/netem"
)

func init() {
	register(command{
		name:    "proxy",
		summary: "relay UDP through a netem profile: netem in user space, no root needed",
		run:     runProxy,
	})
}

const proxyUsage = `
usage: dist-example proxy -listen HOST:PORT -upstream HOST:PORT [-netem "<tc netem text>"]
                          [-reverse-netem "<tc netem text>"] [-seed N] [flags]

Relays UDP datagrams between clients and one upstream, impairing each direction with the
same netem model the simulator uses, driven by the real clock. Clients send to -listen;
each client gets its own socket toward -upstream, so replies find their way back.
-netem impairs client->upstream, -reverse-netem upstream->client (both default to none).
The text is what "tc qdisc add dev DEV root netem ..." takes; a distribution that is not
built in (normal, pareto, paretonormal) is read as tc reads it, NAME.dist from $TC_LIB_DIR
or tc's directory (/usr/lib/<triplet>/tc, /usr/lib/tc, /usr/lib64/tc), e.g.
"delay 50ms 10ms distribution experimental" or a table made with iproute2's maketable.

Counters (per direction, as simnet's links) are printed to stdout every -interval, on
SIGUSR1 and at exit (SIGINT/SIGTERM). The start line on stderr gives the seed, which
with the profiles describes the run. With -control, a JSON API on a loopback address
reads counters and reads or replaces each direction's profile while running (see
realnet/proxy/README.md).

Examples:
  # 20% loss toward a receiver on port 9000; senders use port 9001.
  dist-example proxy -listen 127.0.0.1:9001 -upstream 127.0.0.1:9000 -netem "loss 20%" -seed 1

  # Delay with jitter both ways, counters every second as JSON, control API on 8474.
  dist-example proxy -listen :9001 -upstream 10.0.0.2:9000 \
      -netem "delay 50ms 10ms distribution normal loss 1%" -reverse-netem "delay 50ms 10ms" \
      -interval 1s -format json -control 127.0.0.1:8474

  # A 1 ms delay honoured to microseconds (late_p99_us in the counters says how well),
  # with at most 16 MiB queued per direction.
  dist-example proxy -listen 127.0.0.1:9001 -upstream 127.0.0.1:9000 -netem "delay 1ms" -queue-bytes 16777216

  # Correlated loss drawn as the kernel draws it, to match a real "tc ... netem".
  dist-example proxy -listen 127.0.0.1:9001 -upstream 127.0.0.1:9000 -netem "loss 10% 25%" -correlation kernel

  # Then, while it runs:
  curl -s localhost:8474/counters
  curl -s -X PUT localhost:8474/profile/forward -d '{"netem": "delay 100ms rate 1mbit"}'
  curl -s -X PUT 'localhost:8474/profile/forward?flush=1' -d '{"netem": ""}'  # and drop what is queued
  kill -USR1 <pid>   # print the counters now
`

// proxyFlags are the parsed and validated command line.
type proxyFlags struct {
	cfg           proxy.Config
	seedGiven     bool
	interval      time.Duration
	format        string
	control       string
	controlRemote bool
}

func parseProxyFlags(args []string, help io.Writer) (proxyFlags, error) {
	var f proxyFlags
	fs := newFlagSet("proxy", proxyUsage, help)
	fs.StringVar(&f.cfg.Listen, "listen", "", "`HOST:PORT` clients send to (required; port 0 picks one, printed at start)")
	fs.StringVar(&f.cfg.Upstream, "upstream", "", "`HOST:PORT` of the real server (required)")
	fwd := fs.String("netem", "", "tc netem `TEXT` impairing client->upstream, e.g. \"delay 20ms 5ms loss 2%\" (empty: none)")
	rev := fs.String("reverse-netem", "", "tc netem `TEXT` impairing upstream->client (empty: none)")
	corr := fs.String("correlation", "stated", "how the links make the correlated draws of the profiles' CORR values, `stated|kernel`: stated (the stated rate and lag-1 correlation) or kernel (Linux's get_crandom, as a real qdisc: \"loss 10% 25%\" loses ~1.75%)")
	fs.Uint64Var(&f.cfg.Seed, "seed", 0, "seed of the random draws, `N` in 0..2^64-1 (default: random, printed at start)")
	fs.DurationVar(&f.interval, "interval", 0, "print the counters every `DUR` (0: only on SIGUSR1 and at exit)")
	fs.StringVar(&f.format, "format", proxy.FormatText, "counters format, `text|json` (json: one object per line)")
	fs.StringVar(&f.control, "control", "", "serve the control API on this loopback `HOST:PORT`, e.g. 127.0.0.1:8474 (empty: off)")
	fs.BoolVar(&f.controlRemote, "control-allow-remote", false, "let -control listen on a non-loopback address (the API has no authentication)")
	fs.IntVar(&f.cfg.MaxSessions, "max-sessions", proxy.DefaultMaxSessions, "most clients relayed at once; datagrams from more are dropped and counted (`N` >= 1)")
	fs.DurationVar(&f.cfg.IdleTimeout, "idle-timeout", proxy.DefaultIdleTimeout, "forget a client once none of its datagrams was read or written (either way) for this long, `DUR` > 0")
	fs.IntVar(&f.cfg.ReadBuffer, "read-buffer", proxy.DefaultReadBuffer, "socket receive buffer to ask for, in `BYTES` (> 0; the kernel may cap it)")
	fs.Int64Var(&f.cfg.QueueBytes, "queue-bytes", proxy.DefaultQueueBytes, "most payload memory each direction's queue may hold, in `BYTES` (> 0); datagrams past it are dropped and counted byte_limit_drops, as limit drops by count")
	realtime := fs.Bool("realtime", true, "on Linux, run each direction's delivery thread at the lowest real-time priority where allowed (root or CAP_SYS_NICE), so due times hold on a loaded machine; -realtime=false keeps ordinary priority")
	if err := parseFlags(fs, args); err != nil {
		return f, err
	}
	fs.Visit(func(fl *flag.Flag) {
		if fl.Name == "seed" {
			f.seedGiven = true
		}
	})
	switch {
	case f.cfg.Listen == "":
		return f, usagef("proxy: -listen is required (HOST:PORT, e.g. 127.0.0.1:9001)")
	case f.cfg.Upstream == "":
		return f, usagef("proxy: -upstream is required (HOST:PORT, e.g. 127.0.0.1:9000)")
	case f.format != proxy.FormatText && f.format != proxy.FormatJSON:
		return f, usagef("proxy: -format %q; accepted: text, json", f.format)
	case f.interval < 0:
		return f, usagef("proxy: -interval %v; want 0 (off) or a positive duration such as 1s", f.interval)
	case f.cfg.MaxSessions < 1:
		return f, usagef("proxy: -max-sessions %d; want 1 or more", f.cfg.MaxSessions)
	case f.cfg.IdleTimeout <= 0:
		return f, usagef("proxy: -idle-timeout %v; want a positive duration such as 60s", f.cfg.IdleTimeout)
	case f.cfg.ReadBuffer <= 0:
		return f, usagef("proxy: -read-buffer %d; want a positive number of bytes", f.cfg.ReadBuffer)
	case f.cfg.QueueBytes <= 0:
		return f, usagef("proxy: -queue-bytes %d; want a positive number of bytes, e.g. 67108864 (64 MiB)", f.cfg.QueueBytes)
	}
	f.cfg.NoRealtime = !*realtime
	var err error
	if f.cfg.Listen, err = udpAddrFlag("listen", f.cfg.Listen, "127.0.0.1:9001", true); err != nil {
		return f, err
	}
	if f.cfg.Upstream, err = udpAddrFlag("upstream", f.cfg.Upstream, "127.0.0.1:9000", false); err != nil {
		return f, err
	}
	if f.control != "" {
		// Checked here, so a malformed address is a usage error naming the flag; whether
		// it is loopback is ListenControl's to say.
		if _, err = udpAddrFlag("control", f.control, "127.0.0.1:8474", true); err != nil {
			return f, err
		}
	}
	if f.cfg.Forward, err = netem.Parse(*fwd); err != nil {
		return f, usagef("proxy: -netem %q: %v", *fwd, err)
	}
	if f.cfg.Reverse, err = netem.Parse(*rev); err != nil {
		return f, usagef("proxy: -reverse-netem %q: %v", *rev, err)
	}
	if f.cfg.Correlation, err = netem.ParseCorrelation(*corr); err != nil {
		return f, usagef("proxy: -correlation: %v", err)
	}
	if !f.seedGiven {
		var b [8]byte
		_, _ = crand.Read(b[:]) // never fails on supported platforms
		f.cfg.Seed = binary.LittleEndian.Uint64(b[:])
	}
	return f, nil
}

// udpAddrFlag resolves the HOST:PORT given to -name, so a malformed address is a usage
// error here rather than a runtime failure in proxy.New (which is left with failures to
// bind). It returns the resolved address, which is then the one used. Port 0 is only
// meaningful where the proxy binds (the kernel picks one).
func udpAddrFlag(name, value, example string, zeroPortOK bool) (string, error) {
	want := "HOST:PORT, e.g. " + example
	if zeroPortOK {
		want += " (port 0 picks a free one)"
	} else {
		want += ", port 1..65535"
	}
	// A port that starts like a number must be one (a name such as "domain" is left to
	// the resolver), as checkAddr does for the other commands.
	if _, port, err := net.SplitHostPort(value); err == nil && port != "" && port[0] >= '0' && port[0] <= '9' {
		if _, err := strconv.ParseUint(port, 10, 16); err != nil {
			return "", usagef("proxy: -%s %q: port %q is not a number in 0..65535; want %s", name, value, port, want)
		}
	}
	a, err := net.ResolveUDPAddr("udp", value)
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) && strings.Contains(dnsErr.Err, "unknown port") {
		return "", usagef("proxy: -%s %q: port is neither a number in 0..65535 nor a known service name; want %s", name, value, want)
	}
	if errors.As(err, &dnsErr) {
		// Well formed, but the name does not resolve (now): a runtime failure, exit 1, as
		// in send, recv, ping and echo.
		return "", fmt.Errorf("proxy: -%s %q: %w", name, value, err)
	}
	if err != nil {
		var ae *net.AddrError
		if errors.As(err, &ae) {
			err = errors.New(ae.Err) // the net package's message repeats the value
		}
		return "", usagef("proxy: -%s %q: %v; want %s", name, value, err, want)
	}
	if a.Port == 0 && !zeroPortOK {
		return "", usagef("proxy: -%s %q: port 0; want %s", name, value, want)
	}
	return a.String(), nil
}

func runProxy(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f, err := parseProxyFlags(args, stdout)
	if err != nil {
		return err
	}
	p, err := proxy.New(f.cfg) // Config.Clock nil: the real clock, with precise delivery timers
	clk := clock.New()         // the reports' ticker
	if err != nil {
		return err
	}
	defer p.Close()

	controlURL := "off"
	var srv *http.Server
	if f.control != "" {
		ln, err := proxy.ListenControl(f.control, f.controlRemote)
		if errors.Is(err, proxy.ErrNotLoopback) {
			return usageError{fmt.Errorf("-control: %w (or add -control-allow-remote)", err)}
		}
		if err != nil {
			return err
		}
		srv = proxy.ControlServer(p) // bounded connections, each timed out
		served := make(chan struct{})
		go func() { defer close(served); _ = srv.Serve(ln) }()
		defer func() { <-served }()
		defer srv.Close()
		controlURL = "http://" + ln.Addr().String()
	}

	report := make(chan os.Signal, 1)
	notifyReport(report)
	defer signal.Stop(report)

	fmt.Fprintf(stderr, "proxy: listening on %s, upstream %s, seed %d, control %s\n", p.Addr(), p.Upstream(), p.Seed(), controlURL)
	for _, d := range proxy.Directions {
		fmt.Fprintf(stderr, "proxy: %s %s\n", d, describeProfile(p.Profile(d)))
	}
	for _, d := range proxy.Directions { // where each delay table came from
		for _, src := range p.Profile(d).TableSources() {
			fmt.Fprintf(stderr, "proxy: %s %s\n", d, src)
		}
	}
	if f.cfg.Correlation == netem.CorrelationKernel {
		fmt.Fprintf(stderr, "proxy: correlated draws as Linux's get_crandom (-correlation kernel)\n")
	}

	var tick <-chan time.Time
	if f.interval > 0 {
		t := clk.Ticker(f.interval)
		defer t.Stop()
		tick = t.C
	}
	var werr error // the first failed report; later ones would fail the same way
	keep := func(err error) {
		if werr == nil && err != nil {
			werr = fmt.Errorf("proxy: writing counters: %w", err)
		}
	}
	for {
		select {
		case <-ctx.Done():
			p.Close() // stop relaying first, so the final counters are final
			keep(proxy.WriteReport(stdout, f.format, "final", p.Counters()))
			return werr
		case <-tick:
			keep(proxy.WriteReport(stdout, f.format, "interval", p.Counters()))
		case <-report:
			keep(proxy.WriteReport(stdout, f.format, "signal", p.Counters()))
		}
	}
}

// describeProfile is a direction's profile on the proxy's start lines: its netem text,
// quoted, or that it has none.
func describeProfile(pr netem.Profile) string {
	if t := pr.String(); t != "" {
		return strconv.Quote(t)
	}
	return "unimpaired (no netem profile)"
}
