package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dist-example/dist-example/cmd/dist-example/internal/plot"
	"github.com/dist-example/dist-example/simnet/netem"
	"github.com/dist-example/dist-example/simnet/scenario"
)

// defaultNetem is a moderately bad link: enough loss, duplication and reordering to see
// all three in a 30 s run.
const defaultNetem = "delay 50ms 10ms loss 5% duplicate 1% reorder 10%"

const simUsage = `
usage: dist-example sim [flags]

Runs the sender on host1 and the receiver on host2 inside the deterministic simulator,
over a link impaired as by "tc qdisc ... netem" (-netem, on both directions), for
-duration of virtual time, then until the link is empty. It prints the seed and a replay
command first, then the receiver's summaries stamped with virtual time (HH:MM:SS.mmm
since the start, the hours going on past 24), the link's counters, the receiver's counts beside the network's ground truth (what the link really
lost, duplicated and reordered), and last a fingerprint of the simulator's trace (a
SHA-256 of every packet event, whether or not -trace writes them out). The same flags
and seed give the same output, byte for byte.

A distribution that is not built in (normal, pareto and paretonormal are, bit-exact with
iproute2's) is read as tc reads it: NAME.dist from $TC_LIB_DIR, else /usr/lib/<triplet>/tc,
/usr/lib/tc or /usr/lib64/tc; a line after the header says where each table came from.

The simulator runs one thing at a time, on one P, hashing the fingerprint as the
events come; it leaves GOMAXPROCS as it is, since more Ps cost it nothing (no
collection runs) and setting GOMAXPROCS=1 at start stops the world for about a
millisecond. The output is the same, byte for byte, whatever GOMAXPROCS is.

The summaries count a missing number lost in the interval at whose end it has been
missing for a whole interval after a higher number arrived, and late if it arrives
after that (see dist-example recv -h); the totals net these out, so they match the
network's count of what it lost.

Ctrl-C (SIGINT) or SIGTERM stops the run at the current virtual time: sim prints the
receiver's totals so far, the link's counters and "interrupted by SIGINT at virtual
time HH:MM:SS.mmm", keeps what -trace, -pcap and -plot hold up to then, and exits 130
(SIGINT) or 143 (SIGTERM). Waiting costs no real time, however long in virtual time.

Examples:
  dist-example sim
  dist-example sim -seed 42 -duration 1h -send-interval 10ms
  dist-example sim -netem 'delay 100ms 20ms distribution normal loss gemodel 1% 10% 70% 0.1%'
  dist-example sim -netem 'delay 50ms loss 10% 25%' -correlation kernel   # loses ~1.75%, as a real qdisc
  dist-example sim -netem 'delay 50ms 10ms distribution experimental'     # iproute2's experimental.dist
  TC_LIB_DIR=. dist-example sim -netem 'delay 50ms 10ms distribution mine' # ./mine.dist, from maketable
  dist-example sim -faults 'partition@10s, heal@12s, restart@20s down=1s start=0'
  dist-example sim -seed 7 -check-determinism
  dist-example sim -seed 7 -pcap run.pcap && tcpdump -nnq -r run.pcap | head   # -q: port 2345 is not KNET
  tshark -r run.pcap -d udp.port==2345,data | head   # Wireshark/tshark: decode port 2345 as data, not KNET
  dist-example sim -seed 1 -duration 20s -plot run.png
  dist-example sim -seed 5 -duration 20s -html run.html && xdg-open run.html
  dist-example sim -app ping -netem 'delay 50ms 10ms'
`

func init() {
	register(command{name: "sim", summary: "run sender and receiver over the simulated network, seeded and replayable", run: runSim})
}

// simOptions are sim's validated flags.
type simOptions struct {
	cfg      scenario.Config // without the output hooks
	netem    string          // the profile as tc text (canonical)
	faults   string
	app      string // "stream" or "ping"
	format   string
	trace    string
	pcap     string
	plot     string
	html     string
	check    bool
	pingSize int
	files    simFiles        // the output files, opened by runSim
	ctx      context.Context // ends the run early (Ctrl-C); nil: runs to the end
}

// context is what stops the run: o.ctx, or nothing.
func (o *simOptions) context() context.Context {
	if o.ctx == nil {
		return context.Background()
	}
	return o.ctx
}

// errInterrupted is the error of a run that ctx cut short at virtual time at; it wraps
// ctx's cause (a signal: main exits 130 for SIGINT, 143 for SIGTERM).
func errInterrupted(ctx context.Context, at time.Duration) error {
	return fmt.Errorf("sim: %w", interruptedAt{cause: context.Cause(ctx), what: stopCause(ctx), at: at})
}

type interruptedAt struct {
	cause error
	what  string
	at    time.Duration
}

func (e interruptedAt) Error() string {
	return "interrupted by " + e.what + " at virtual time " + formatVirtual(e.at)
}
func (e interruptedAt) Unwrap() error { return e.cause }

// shortDuration is d as time.Duration writes it, without the zero minutes and seconds
// it adds after whole hours or minutes (1h, not 1h0m0s; 2m, not 2m0s): the same value
// for -duration and friends, as a user would type it.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// formatVirtual renders a virtual time as hours:minutes:seconds.milliseconds, the hours
// not wrapping at 24.
func formatVirtual(d time.Duration) string {
	ms := d.Milliseconds()
	return fmt.Sprintf("%02d:%02d:%02d.%03d", ms/3600000, ms/60000%60, ms/1000%60, ms%1000)
}

func runSim(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseSimFlags(args, stdout)
	if err != nil {
		return err
	}
	// Every output file is opened before the run: a path that cannot be written fails now.
	var outs outFiles
	if err := o.files.create(&outs, o); err != nil {
		outs.closeAll(false)
		return err
	}
	o.ctx = ctx
	out := bufio.NewWriterSize(stdout, 64<<10)
	if !o.check {
		_, err = simOnce(o, out, nil)
	} else {
		err = checkDeterminism(o, out, simOnce)
	}
	// An interrupted run keeps its files: they hold what happened up to the interrupt.
	var ia interruptedAt
	err = errors.Join(err, outs.closeAll(err == nil || errors.As(err, &ia)))
	if ferr := out.Flush(); ferr != nil {
		err = errors.Join(err, fmt.Errorf("writing the report: %w", ferr))
	}
	return err
}

// simFiles are sim's output files, opened before the run; nil when not asked for.
type simFiles struct {
	trace, pcap, plot, html *outFile
}

// create opens the files o names, adding them to outs.
func (f *simFiles) create(outs *outFiles, o *simOptions) (err error) {
	if f.trace, err = outs.create("-trace", o.trace); err != nil {
		return err
	}
	if f.pcap, err = outs.create("-pcap", o.pcap); err != nil {
		return err
	}
	if f.plot, err = outs.create("-plot", o.plot); err != nil {
		return err
	}
	f.html, err = outs.create("-html", o.html)
	return err
}

// runID identifies a run: the fingerprint of its events and how many there were.
type runID struct {
	fingerprint string
	events      int
}

func parseSimFlags(args []string, help io.Writer) (*simOptions, error) {
	fs := newFlagSet("sim", simUsage, help)
	f := defineSimFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return nil, err
	}
	return f.options(givenFlags(fs))
}

// simFlags are sim's flags: defined once here, parsed by sim and, for the flags that
// describe one run's scenario, by sweep.
type simFlags struct {
	seed                                                      *uint64
	duration, sendIv, interval                                *time.Duration
	netem, faults, format, trace, pcap, plot, html, app, corr *string
	check                                                     *bool
	pingSize                                                  *int
}

// defineSimFlags defines sim's flags on fs, except those named in skip, which keep their
// defaults (sweep defines its own -netem, -format and -plot, and has no -seed, -trace...).
func defineSimFlags(fs *flag.FlagSet, skip ...string) *simFlags {
	skipped := func(name string) bool { return slices.Contains(skip, name) }
	str := func(name, def, usage string) *string {
		if skipped(name) {
			return &def
		}
		return fs.String(name, def, usage)
	}
	dur := func(name string, def time.Duration, usage string) *time.Duration {
		if skipped(name) {
			return &def
		}
		return fs.Duration(name, def, usage)
	}
	f := &simFlags{seed: new(uint64), check: new(bool)}
	if !skipped("seed") {
		f.seed = fs.Uint64("seed", 0, "the simulation's seed, `N` in 0..2^64-1 (default: a random one, printed first)")
	}
	f.duration = dur("duration", 30*time.Second, "virtual time the sender sends for, > 0 and <= 100000h; at most 10,000,000 datagrams (-duration/-send-interval, about 50 MB) and 100,000 summaries (-duration/-interval)")
	f.sendIv = dur("send-interval", 10*time.Millisecond, "virtual time between datagrams (or ping probes), > 0")
	f.interval = dur("interval", 5*time.Second, "receiver summary interval, > 0")
	f.netem = str("netem", defaultNetem, "the link's impairments, as the `TEXT` after \"tc qdisc add dev DEV root netem\"")
	f.faults = str("faults", "", "scheduled faults, a comma-separated `LIST`: partition@T, heal@T, restart@T down=D start=N, jump@T start=N")
	f.format = str("format", "text", "output format, `text|json` (json: the summaries as recv prints them)")
	f.trace = str("trace", "", "write the simulator's trace, one line per packet event, to `FILE`")
	f.pcap = str("pcap", "", "write the datagrams host2 received to `FILE` as a pcap capture (Ethernet/IPv4/UDP, virtual timestamps; tshark: -d udp.port==2345,data)")
	f.plot = str("plot", "", "draw the per-interval counts to `FILE` (.png or .svg)")
	f.html = str("html", "", "write an interactive page of every packet over virtual time to `FILE` (self-contained HTML; open it in a browser)")
	if !skipped("check-determinism") {
		f.check = fs.Bool("check-determinism", false, "run twice and fail (exit 1) unless both runs' events (fingerprints) and reports are identical; on a difference, run twice more with text traces to name the first differing trace line")
	}
	f.app = str("app", "stream", "what runs on the hosts: send/recv (stream) or ping/echo (ping); one of `stream|ping`")
	f.pingSize = new(int)
	*f.pingSize = 64
	if !skipped("size") {
		f.pingSize = fs.Int("size", 64, "ping probe size in `BYTES` (with -app ping)")
	}
	f.corr = str("correlation", "stated", "how the link makes the correlated draws of -netem's CORR values, `stated|kernel`: stated (the stated rate and lag-1 correlation) or kernel (Linux's get_crandom: \"loss 10% 25%\" loses ~1.75%, as a real qdisc)")
	return f
}

// givenFlags is the set of flags set on the command line.
func givenFlags(fs *flag.FlagSet) map[string]bool {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	return given
}

// options validates the parsed flags; given names the flags set on the command line.
func (f *simFlags) options(given map[string]bool) (*simOptions, error) {
	seed, duration, sendIv, interval := f.seed, f.duration, f.sendIv, f.interval
	netemText, faults, format, trace, pcapPath, plotPath, htmlPath := f.netem, f.faults, f.format, f.trace, f.pcap, f.plot, f.html
	check, appName, pingSize, corrName := f.check, f.app, f.pingSize, f.corr
	if !given["seed"] {
		*seed = uint64(rand.Uint32()) // short enough to type; printed first
	}
	switch {
	case *duration <= 0:
		return nil, usagef("-duration %s: want a virtual time > 0, e.g. 30s or 1h", shortDuration(*duration))
	case *duration > scenario.MaxDuration:
		return nil, usagef("-duration %s: want at most %s (about 11 years of virtual time)", shortDuration(*duration), shortDuration(scenario.MaxDuration))
	case *sendIv <= 0:
		return nil, usagef("-send-interval %s: want a duration > 0, e.g. 10ms", shortDuration(*sendIv))
	case *sendIv > scenario.MaxDuration:
		return nil, usagef("-send-interval %s: want at most %s (-duration's bound)", shortDuration(*sendIv), shortDuration(scenario.MaxDuration))
	case *interval > scenario.MaxDuration:
		return nil, usagef("-interval %s: want at most %s (-duration's bound)", shortDuration(*interval), shortDuration(scenario.MaxDuration))
	case *duration / *sendIv > scenario.MaxDatagrams:
		return nil, usagef("-duration %s / -send-interval %s is %d datagrams: want at most %d", shortDuration(*duration), shortDuration(*sendIv), *duration / *sendIv, scenario.MaxDatagrams)
	case *interval <= 0:
		return nil, usagef("-interval %s: want a duration > 0, e.g. 5s", shortDuration(*interval))
	case *appName != "ping" && *duration / *interval > scenario.MaxIntervals:
		return nil, usagef("-duration %s / -interval %s is %d summaries: want at most %d", shortDuration(*duration), shortDuration(*interval), *duration / *interval, scenario.MaxIntervals)
	case *format != "text" && *format != "json":
		return nil, usagef("-format %q: want text or json", *format)
	case *appName != "stream" && *appName != "ping":
		return nil, usagef("-app %q: want stream or ping", *appName)
	}
	if *plotPath != "" {
		if _, err := plot.FormatOf(*plotPath); err != nil {
			return nil, usagef("-plot: %v", err)
		}
	}
	prof, err := netem.Parse(*netemText)
	if err != nil {
		return nil, usagef("-netem %q: %v", *netemText, err)
	}
	corr, err := netem.ParseCorrelation(*corrName)
	if err != nil {
		return nil, usagef("-correlation: %v", err)
	}
	fl, err := scenario.ParseFaults(*faults)
	if err != nil {
		return nil, usagef("-faults: %v", err)
	}
	o := &simOptions{
		cfg: scenario.Config{Seed: *seed, Profile: prof, Duration: *duration, SendInterval: *sendIv,
			Interval: *interval, Faults: fl, Correlation: corr, NoReadCheck: true},
		netem: prof.String(), faults: scenario.FormatFaults(fl), app: *appName, format: *format,
		trace: *trace, pcap: *pcapPath, plot: *plotPath, html: *htmlPath, check: *check, pingSize: *pingSize,
	}
	if o.app == "ping" {
		if given["interval"] {
			return nil, usagef("-interval: the receiver's summary interval, which -app ping does not have (the probe interval is -send-interval)")
		}
		if err := checkSimPing(o); err != nil {
			return nil, err
		}
	} else {
		if given["size"] {
			return nil, usagef("-size: the ping probe size, accepted only with -app ping (the stream's datagrams are its decimal numbers)")
		}
		// The flags were checked above; what is left for Validate is the fault schedule.
		if err := o.cfg.Validate(); err != nil {
			return nil, usagef("-faults: %v", strings.TrimPrefix(err.Error(), "scenario: "))
		}
	}
	return o, nil
}

// replay is the command line that repeats this run exactly.
func (o *simOptions) replay() string {
	var b strings.Builder
	b.WriteString("dist-example sim")
	if o.app != "stream" {
		b.WriteString(" -app " + o.app)
	}
	b.WriteString(" -seed " + strconv.FormatUint(o.cfg.Seed, 10))
	b.WriteString(" -duration " + shortDuration(o.cfg.Duration))
	b.WriteString(" -send-interval " + shortDuration(o.cfg.SendInterval))
	if o.app == "stream" {
		b.WriteString(" -interval " + shortDuration(o.cfg.Interval))
	} else if o.pingSize != 64 {
		b.WriteString(" -size " + strconv.Itoa(o.pingSize))
	}
	b.WriteString(" -netem " + shellQuote(o.netem))
	if o.cfg.Correlation != netem.CorrelationStated {
		b.WriteString(" -correlation " + o.cfg.Correlation.String())
	}
	if o.faults != "" {
		b.WriteString(" -faults " + shellQuote(o.faults))
	}
	return b.String()
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// simOnce runs the scenario once and writes the whole report to w; extraTrace, if not
// nil, also gets the text trace (the determinism check compares it).
func simOnce(o *simOptions, w io.Writer, extraTrace io.Writer) (runID, error) {
	var traces []io.Writer
	if extraTrace != nil {
		traces = append(traces, extraTrace)
	}
	if o.files.trace != nil {
		traces = append(traces, o.files.trace)
	}
	cfg := o.cfg
	switch len(traces) {
	case 1:
		cfg.Trace = traces[0]
	case 2:
		cfg.Trace = io.MultiWriter(traces...)
	}
	if o.app == "ping" {
		return simPing(o, cfg, w)
	}
	return simStream(o, cfg, w)
}
