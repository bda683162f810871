package scenario

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/dist-example/dist-example/app"
	"github.com/dist-example/dist-example/simnet"
	"github.com/dist-example/dist-example/simnet/netem"
)

// EchoPort is where the echo server listens on host2 in a ping run.
const EchoPort = 2346

// PingConfig describes a ping run: app.Ping on host1 probes app.Echo on host2, every
// Interval during Duration, over links impaired by Profile in both directions.
type PingConfig struct {
	Seed    uint64
	Profile netem.Profile
	// Correlation is how the links make correlated draws (simnet.Config.Correlation).
	Correlation netem.Correlation
	Duration    time.Duration // probes are sent during [0, Duration)
	Interval    time.Duration // between probes, > 0
	Size        int           // probe size, app.PingHeaderLen..app.PingMaxSize
	// Timeout is how long the pinger waits for replies after its last probe; 0 means
	// long enough for any reply the profile's delay allows (see DefaultPingTimeout).
	Timeout time.Duration
	Trace   io.Writer
	OnProbe func(seq uint64, sent time.Duration)
	OnReply func(app.PingReply)
	Observe func(simnet.Event) // optional: every simulator event, as Config.Observe
}

// PingResult is what a ping run produced.
type PingResult struct {
	Stats       app.PingStats
	Echo        app.EchoStats
	Forward     simnet.Stats // host1->host2
	Back        simnet.Stats // host2->host1
	End         time.Duration
	Fingerprint string // of both links' events, as Result.Fingerprint
	TraceEvents int
	Events      uint64 // scheduler events (Result.Events)
	Interrupted bool   // RunPingContext's context ended the run at End (Result.Interrupted)
}

// DefaultPingTimeout is a wait after the last probe that outlasts the delay any reply
// can get from p on two links (tables reach 4 jitters above the delay), plus a second.
func DefaultPingTimeout(p netem.Profile) time.Duration {
	return time.Second + 2*(p.Delay+4*p.Jitter)
}

// RunPing runs the ping scenario.
func RunPing(cfg PingConfig) (*PingResult, error) { return RunPingContext(context.Background(), cfg) }

// RunPingContext is RunPing, stopped when ctx ends, as RunContext: the pinger's conn is
// closed, it returns its statistics so far, and RunPingContext returns the result with
// Interrupted set and an error wrapping simnet.ErrInterrupted.
func RunPingContext(ctx context.Context, cfg PingConfig) (*PingResult, error) {
	switch {
	case cfg.Duration <= 0 || cfg.Duration > MaxDuration:
		return nil, fmt.Errorf("scenario: Duration %v: want > 0 and <= %v", cfg.Duration, MaxDuration)
	case cfg.Interval <= 0 || cfg.Interval > MaxDuration:
		return nil, fmt.Errorf("scenario: Interval %v: want > 0 and <= %v", cfg.Interval, MaxDuration)
	case cfg.Duration/cfg.Interval > MaxDatagrams:
		return nil, fmt.Errorf("scenario: Duration/Interval = %d probes: want at most %d", cfg.Duration/cfg.Interval, MaxDatagrams)
	case cfg.Timeout < 0:
		return nil, fmt.Errorf("scenario: Timeout %v: want >= 0", cfg.Timeout)
	}
	if err := cfg.Profile.Validate(); err != nil {
		return nil, fmt.Errorf("scenario: Profile: %w", err)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultPingTimeout(cfg.Profile)
	}
	s := newSink(0)
	n, err := simnet.New(simnet.Config{Seed: cfg.Seed, Default: cfg.Profile, Correlation: cfg.Correlation, Trace: cfg.Trace, Observe: cfg.Observe})
	if err != nil {
		return nil, err
	}
	defer n.Close()
	if err := s.attach(n); err != nil {
		return nil, err
	}
	defer interruptOn(ctx, n)()
	h1, err := n.AddHost(SenderHost)
	if err != nil {
		return nil, err
	}
	h2, err := n.AddHost(ReceiverHost)
	if err != nil {
		return nil, err
	}
	ec, err := h2.Listen(EchoPort)
	if err != nil {
		return nil, err
	}
	pc, err := h1.Listen(SenderPort)
	if err != nil {
		return nil, err
	}
	res := &PingResult{}
	var pingErr, echoErr error
	n.Go("echo", func() { res.Echo, echoErr = app.Echo(ec, nil) })
	pcfg := app.PingConfig{Conn: pc, Clock: n.Clock(), Dest: ec.LocalAddr(), Interval: cfg.Interval,
		Count: uint64((cfg.Duration + cfg.Interval - 1) / cfg.Interval), Size: cfg.Size, Timeout: cfg.Timeout,
		OnReply: cfg.OnReply}
	if cfg.OnProbe != nil {
		pcfg.OnProbe = func(seq uint64, sent time.Duration, _ error) { cfg.OnProbe(seq, sent) }
	}
	n.Go("ping", func() {
		res.Stats, pingErr = app.Ping(context.Background(), pcfg)
		_ = ec.Close() // the echo server's run ends with the pinger's
	})
	runErr := n.Run()
	if errors.Is(runErr, simnet.ErrInterrupted) {
		res.Interrupted = true
		res.End = n.Elapsed()
		_ = pc.Close() // the pinger returns its statistics; it closes the echo server
		if err := n.RunUntil(res.End); err != nil {
			return nil, fmt.Errorf("scenario: ping run: %w", err)
		}
	} else if runErr != nil {
		return nil, fmt.Errorf("scenario: ping run: %w", runErr)
	}
	if pingErr != nil {
		return nil, fmt.Errorf("scenario: ping: %w", pingErr)
	}
	if echoErr != nil {
		return nil, fmt.Errorf("scenario: echo: %w", echoErr)
	}
	if !res.Interrupted {
		res.End = n.Elapsed()
	}
	if res.Forward, err = n.LinkStats(SenderHost, ReceiverHost); err != nil {
		return nil, err
	}
	if res.Back, err = n.LinkStats(ReceiverHost, SenderHost); err != nil {
		return nil, err
	}
	res.Fingerprint, res.TraceEvents = s.fingerprint(), s.events
	res.Events = n.Events()
	if res.Interrupted {
		return res, fmt.Errorf("scenario: ping: %w at %v", simnet.ErrInterrupted, res.End)
	}
	return res, nil
}
