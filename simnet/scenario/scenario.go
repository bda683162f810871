package scenario

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/dist-example/dist-example/app"
	"github.com/dist-example/dist-example/simnet"
	"github.com/dist-example/dist-example/simnet/netem"
	"github.com/dist-example/dist-example/transport"
)

// The scenario's two hosts and ports: host1 (10.0.0.1) sends from SenderPort to host2
// (10.0.0.2), where the receiver listens on ReceiverPort.
const (
	SenderHost   = "host1"
	ReceiverHost = "host2"
	SenderPort   = 49152
	ReceiverPort = 2345
)

// MaxDatagrams bounds Duration/SendInterval, so that a typo cannot start a run of
// billions of datagrams. The ground truth keeps about 3 bytes per datagram (more with
// Oracle), so the largest run needs about 50 MB in all.
const MaxDatagrams = 10_000_000

// MaxDuration bounds Duration, SendInterval and Interval (about 11 years), so that no
// sum of them can overflow a time.Duration.
const MaxDuration = 100_000 * time.Hour

// MaxIntervals bounds Duration/Interval: every summary is kept (and printed), so that a
// typo such as a 1ns interval cannot exhaust memory. The receiver also reports while the
// link drains after the sender stopped (a long delay or a slow rate), so a run that
// reaches this many summaries there stops its receiver and fails with ErrTooManySummaries.
const MaxIntervals = 100_000

// ErrTooManySummaries is wrapped by Run's error when the receiver made more than
// MaxIntervals summaries (plus the final one).
var ErrTooManySummaries = errors.New("too many summaries")

// drainStep is how often, once the sender has stopped, the run looks whether the link
// has emptied; the run's end is rounded up to it.
const drainStep = 10 * time.Millisecond

// maxDrain bounds the wait for the link to empty (a slow rate with a long queue).
const maxDrain = time.Hour

// Config describes one run: app's sender on host1 and receiver on host2 over a link
// impaired by Profile (both directions), for Duration of virtual time, then until the
// link is empty.
type Config struct {
	Seed         uint64            // the network's seed: the same Config replays the same run
	Profile      netem.Profile     // impairs host1->host2 (and host2->host1)
	Duration     time.Duration     // the sender sends during [0, Duration)
	SendInterval time.Duration     // between datagrams, > 0
	Interval     time.Duration     // receiver summary interval, > 0
	Faults       []Fault           // in time order, inside [0, Duration)
	Correlation  netem.Correlation // how the links make correlated draws (simnet.Config.Correlation)

	Trace     io.Writer         // optional: gets the simulator's text trace, line by line (slow: it formats every event)
	OnSummary func(app.Summary) // optional: each receiver summary as it is made
	OnRead    func(Read)        // optional: each datagram the receiver read (for captures)
	Oracle    bool              // compute Result.Expect and ExpectIntervals (costs a search per datagram)
	// NoReadCheck leaves Result.Check zero: the comparison of every datagram the receiver
	// read with the copy the network delivered, a check of the simulator itself, which its
	// tests make. A run that does not report it (sim, sweep) saves about a twelfth of its
	// time.
	NoReadCheck bool
	Logf        func(string, ...any) // optional: the receiver's log of malformed datagrams
	// Observe, if set, gets every simulator event (simnet.Config.Observe), after the
	// ground truth has seen it; it must not call back into the run.
	Observe func(simnet.Event)
}

// Read is one datagram the receiver read, at virtual time At (which is also when the
// network delivered it: the receiver never sleeps). Payload is valid only during the call.
type Read struct {
	At       time.Duration
	From, To netip.AddrPort
	Payload  []byte
}

// Result is what a run produced.
type Result struct {
	Summaries []app.Summary // the receiver's summaries, the final one last
	Final     app.Counts    // the receiver's totals (the final summary's counts)
	Link      simnet.Stats  // the counters of the link host1->host2
	Truth     Truth         // what the network did to each datagram
	Check     ReadCheck     // every read against the delivery it should be
	Expect    app.Counts    // with Config.Oracle: what app's definitions give for the datagrams delivered
	// ExpectIntervals: with Config.Oracle, the counters app's definitions give for each
	// interval the receiver cut (Expected, Min and Max left 0), one per non-final summary.
	ExpectIntervals []app.Counts
	ExpectValid     bool          // Expect was computed (Oracle set, at most app.MaxSources sources)
	Sent            int64         // datagrams app's senders reported sent
	StopAt          time.Duration // when the sender's schedule ended (Duration)
	End             time.Duration // when the link was empty and the receiver was stopped
	// Fingerprint is the first 16 hex digits of the SHA-256 of every event of the run,
	// in order (each simnet.Event in a canonical binary encoding: times, kinds, flags,
	// addresses, ports, sequence numbers, sizes, fault details), with or without Trace.
	Fingerprint string
	TraceEvents int // events fingerprinted: one per line of the text trace
	// Events is how many events the simulator's scheduler took: the run's cost in steps,
	// which idle virtual time does not add to.
	Events uint64
	// Interrupted is set when the context of RunContext ended the run early: the Result
	// is then what the run had reached at End (the receiver's summaries, its final
	// totals, the link's counters), with datagrams possibly still in flight.
	Interrupted bool
}

// Validate reports the first field of c that is out of range, by name.
func (c Config) Validate() error {
	switch {
	case c.Duration <= 0 || c.Duration > MaxDuration:
		return fmt.Errorf("scenario: Duration %v: want > 0 and <= %v", c.Duration, MaxDuration)
	case c.SendInterval <= 0 || c.SendInterval > MaxDuration:
		return fmt.Errorf("scenario: SendInterval %v: want > 0 and <= %v", c.SendInterval, MaxDuration)
	case c.Interval <= 0 || c.Interval > MaxDuration:
		return fmt.Errorf("scenario: Interval %v: want > 0 and <= %v", c.Interval, MaxDuration)
	case c.Duration/c.SendInterval > MaxDatagrams:
		return fmt.Errorf("scenario: Duration/SendInterval = %d datagrams: want at most %d", c.Duration/c.SendInterval, MaxDatagrams)
	case c.Duration/c.Interval > MaxIntervals:
		return fmt.Errorf("scenario: Duration/Interval = %d summaries: want at most %d", c.Duration/c.Interval, MaxIntervals)
	}
	if err := c.Profile.Validate(); err != nil {
		return fmt.Errorf("scenario: Profile: %w", err)
	}
	if err := c.Correlation.Validate(); err != nil {
		return fmt.Errorf("scenario: Correlation: %w", err)
	}
	if err := checkFaults(c.Faults, c.Duration); err != nil {
		return fmt.Errorf("scenario: %w", err)
	}
	return nil
}

// run is one run in progress.
type run struct {
	cfg    Config
	n      *simnet.Network
	h1     *simnet.Host
	rc     *simnet.Conn // the receiver's
	clk    *simnet.Clock
	sink   *sink
	dst    net.Addr
	res    *Result
	model  *model
	expect app.Counts // the model's totals, at the receiver's final summary

	sendErr, recvErr error
	senderDone       bool
	receiverDone     bool
	tooManySummaries bool // the receiver was stopped at MaxIntervals summaries
}

// Run runs the scenario described by cfg and returns what happened. The same cfg gives
// the same Result (and the same trace, byte for byte) on every run.
func Run(cfg Config) (*Result, error) { return RunContext(context.Background(), cfg) }

// RunContext is Run, stopped when ctx ends (Ctrl-C): the simulation stops at the current
// virtual time (simnet.Network.Interrupt), the receiver is closed and makes its final
// summary, and RunContext returns the Result so far, with Interrupted set, and an error
// wrapping simnet.ErrInterrupted.
func RunContext(ctx context.Context, cfg Config) (*Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	r := &run{cfg: cfg, res: &Result{}}
	// Room for every summary up front: growing the slice would copy it and touch twice
	// the memory (the final one and a few made while the link drains come on top).
	r.res.Summaries = make([]app.Summary, 0, cfg.Duration/cfg.Interval+4)
	r.sink = newSink(int(cfg.Duration / cfg.SendInterval))
	r.sink.checkReads = !cfg.NoReadCheck
	n, err := simnet.New(simnet.Config{Seed: cfg.Seed, Default: cfg.Profile, Correlation: cfg.Correlation, Trace: cfg.Trace, Observe: cfg.Observe})
	if err != nil {
		return nil, err
	}
	r.n, r.clk = n, n.Clock()
	defer n.Close()
	if err := r.sink.attach(n); err != nil {
		return nil, err
	}
	defer interruptOn(ctx, n)()
	if err := r.setup(); err != nil {
		return nil, err
	}
	if err := r.execute(); err != nil {
		if errors.Is(err, simnet.ErrInterrupted) {
			return r.interrupted()
		}
		return nil, err
	}
	return r.res, nil
}

// interruptOn makes the end of ctx interrupt n, once (at once if ctx has ended); the
// function it returns undoes that.
func interruptOn(ctx context.Context, n *simnet.Network) (stop func() bool) {
	once := sync.OnceFunc(n.Interrupt)
	stop = context.AfterFunc(ctx, once)
	if ctx.Err() != nil {
		once()
	}
	return stop
}

// interrupted ends a run that Interrupt stopped: the receiver is closed and left to make
// its final summary (only what is due now runs), and the result so far is collected.
func (r *run) interrupted() (*Result, error) {
	r.res.End = r.n.Elapsed()
	r.res.Interrupted = true
	_ = r.rc.Close()
	if rerr := r.n.RunUntil(r.res.End); rerr != nil && !errors.Is(rerr, simnet.ErrInterrupted) {
		return nil, rerr
	}
	if cerr := r.collect(); cerr != nil {
		return nil, cerr
	}
	return r.res, fmt.Errorf("scenario: %w at %v", simnet.ErrInterrupted, r.res.End)
}

func (r *run) setup() error {
	n := r.n
	h1, err := n.AddHost(SenderHost)
	if err != nil {
		return err
	}
	h2, err := n.AddHost(ReceiverHost)
	if err != nil {
		return err
	}
	r.h1 = h1
	r.sink.follow(h1.Addr(), h2.Addr())
	rc, err := h2.Listen(ReceiverPort)
	if err != nil {
		return err
	}
	sc, err := h1.Listen(SenderPort)
	if err != nil {
		return err
	}
	r.rc, r.dst = rc, rc.LocalAddr()
	if r.cfg.Oracle {
		r.model = &model{}
	}
	// The receiver reads through readConn only if something looks at its reads.
	var conn transport.PacketConn = rc
	if !r.cfg.NoReadCheck || r.model != nil || r.cfg.OnRead != nil {
		read := &readConn{Conn: rc, s: r.sink, m: r.model, check: &r.res.Check, clock: r.clk, noCheck: r.cfg.NoReadCheck}
		if r.cfg.OnRead != nil {
			read.onRead = func(at time.Duration, from, to netip.AddrPort, b []byte) {
				r.cfg.OnRead(Read{At: at, From: from, To: to, Payload: b})
			}
		}
		conn = read
	}
	for _, f := range r.cfg.Faults {
		switch f.Kind {
		case Partition:
			n.At(f.At, func() { _ = n.Partition([]string{SenderHost}, []string{ReceiverHost}) })
		case Heal:
			n.At(f.At, n.Heal)
		}
	}
	recv := &app.Receiver{Conn: conn, Clock: r.clk, Interval: r.cfg.Interval, Logf: r.cfg.Logf,
		OnSummary: func(s app.Summary) {
			if !s.Final && len(r.res.Summaries) >= MaxIntervals {
				// Draining for longer than the intervals allow: stop the receiver (its
				// final summary still comes) and fail the run, rather than grow.
				if !r.tooManySummaries {
					r.tooManySummaries = true
					_ = r.rc.Close()
				}
				return
			}
			r.res.Summaries = append(r.res.Summaries, s)
			if r.model != nil { // the oracle cuts where the receiver did
				if s.Final {
					r.expect = r.model.finish()
				} else {
					r.model.cut()
				}
			}
			if r.cfg.OnSummary != nil {
				r.cfg.OnSummary(s)
			}
		}}
	n.Go("receiver", func() {
		r.recvErr = recv.Run(context.Background())
		r.receiverDone = true
	})
	n.Go("sender", func() { r.sendErr = r.sender(sc); r.senderDone = true })
	return nil
}

// sender runs app's Sender for each stretch between restarts and jumps.
func (r *run) sender(c *simnet.Conn) error {
	cfg := r.cfg
	var segStart time.Duration
	var start int64
	var breaks []Fault
	for _, f := range cfg.Faults {
		if f.Kind == Restart || f.Kind == Jump {
			breaks = append(breaks, f)
		}
	}
	for i := 0; ; i++ {
		end := cfg.Duration
		if i < len(breaks) {
			end = breaks[i].At
		}
		r.sleepUntil(segStart)
		if end > segStart {
			count := int64((end-segStart-1)/cfg.SendInterval) + 1 // ceil, without overflow
			s := &app.Sender{Conn: &sendConn{Conn: c, s: r.sink}, Clock: r.clk, Dst: r.dst,
				Interval: cfg.SendInterval, Count: count, Start: start}
			sent, err := s.Run(context.Background())
			r.res.Sent += sent
			if err != nil {
				return err
			}
		}
		if i == len(breaks) {
			return nil
		}
		f := breaks[i]
		r.sleepUntil(f.At)
		segStart, start = f.At, f.Start
		if f.Kind == Restart {
			if err := r.n.Crash(SenderHost); err != nil {
				return err
			}
			r.clk.Sleep(f.Down)
			if err := r.n.Restart(SenderHost); err != nil {
				return err
			}
			var err error
			if c, err = r.h1.Listen(SenderPort); err != nil {
				return err
			}
			segStart = f.At + f.Down
		}
	}
}

func (r *run) sleepUntil(at time.Duration) {
	if d := at - r.clk.Since(simnet.Epoch); d > 0 {
		r.clk.Sleep(d)
	}
}

// execute runs the schedule, waits for the link to empty, then stops the receiver.
func (r *run) execute() error {
	n := r.n
	if err := n.RunUntil(r.cfg.Duration); err != nil {
		return fmt.Errorf("scenario: running: %w", err)
	}
	r.res.StopAt = r.cfg.Duration
	for waited := time.Duration(0); !r.tooManySummaries; waited += drainStep {
		st, err := n.LinkStats(SenderHost, ReceiverHost)
		if err != nil {
			return err
		}
		if st.InFlight == 0 && r.senderDone {
			break
		}
		if waited >= maxDrain {
			return fmt.Errorf("scenario: the link still holds %d datagrams %v after the sender stopped", st.InFlight, maxDrain)
		}
		if err := n.RunFor(drainStep); err != nil {
			return fmt.Errorf("scenario: draining: %w", err)
		}
	}
	r.res.End = n.Elapsed()
	if r.tooManySummaries {
		return fmt.Errorf("scenario: %w: the receiver made %d summaries of %v and the link still held datagrams at %v (the sender stopped at %v); use a longer Interval (at most %d summaries)",
			ErrTooManySummaries, MaxIntervals, r.cfg.Interval, r.res.End, r.cfg.Duration, MaxIntervals)
	}
	if err := r.rc.Close(); err != nil {
		return err
	}
	if err := n.Run(); err != nil {
		return fmt.Errorf("scenario: stopping the receiver: %w", err)
	}
	if !r.receiverDone {
		return errors.New("scenario: the receiver did not stop")
	}
	if r.sendErr != nil {
		return fmt.Errorf("scenario: sender: %w", r.sendErr)
	}
	if r.recvErr != nil {
		return fmt.Errorf("scenario: receiver: %w", r.recvErr)
	}
	return r.collect()
}

func (r *run) collect() error {
	res := r.res
	st, err := r.n.LinkStats(SenderHost, ReceiverHost)
	if err != nil {
		return err
	}
	res.Link = st
	if k := len(res.Summaries); k > 0 && res.Summaries[k-1].Final {
		res.Final = res.Summaries[k-1].Counts
	}
	res.Truth = r.sink.truth()
	for {
		if _, ok := r.sink.nextDelivery(); !ok {
			break
		}
		res.Check.Unread++
	}
	if r.model != nil && !r.model.tooMany {
		res.Expect, res.ExpectIntervals, res.ExpectValid = r.expect, r.model.intervals(), true
	}
	res.Fingerprint, res.TraceEvents = r.sink.fingerprint(), r.sink.events
	res.Events = r.n.Events()
	return nil
}
