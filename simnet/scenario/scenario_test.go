package scenario

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dist-example/dist-example/app"
	"github.com/dist-example/dist-example/simnet"
	"github.com/dist-example/dist-example/simnet/netem"
)

func mustProfile(t *testing.T, text string) netem.Profile {
	t.Helper()
	p, err := netem.Parse(text)
	require.NoError(t, err)
	return p
}

func defaultConfig(t *testing.T) Config {
	return Config{Seed: 42, Profile: mustProfile(t, "delay 50ms 10ms loss 5% duplicate 1% reorder 10%"),
		Duration: 30 * time.Second, SendInterval: 10 * time.Millisecond, Interval: 5 * time.Second, Oracle: true}
}

// mustRun runs cfg and checks every property a run must have.
func mustRun(t *testing.T, cfg Config) *Result {
	t.Helper()
	res, err := Run(cfg)
	require.NoError(t, err)
	require.NoError(t, checkNetwork(cfg, res), "replay: %s", replay(cfg))
	require.NoError(t, checkSummaries(cfg, res), "replay: %s", replay(cfg))
	require.NoError(t, checkReceiver(cfg, res, res.Final), "replay: %s", replay(cfg))
	return res
}

func TestDefaultProfileShowsEveryImpairment(t *testing.T) {
	res := mustRun(t, defaultConfig(t))
	tr := res.Truth
	require.Equal(t, uint64(3000), tr.Sent)
	// loss 5% of 3000: 150 expected; 5 sigma is about 60.
	assert.InDelta(t, 150, float64(tr.Undelivered), 60)
	assert.Positive(t, tr.Extra, "duplicate 1% should duplicate some of 3000 datagrams")
	assert.Positive(t, tr.Reordered)
	assert.Equal(t, int64(tr.Undelivered), res.Final.Lost, "the first and last datagrams arrived, so every loss is in range")
	assert.Equal(t, res.Expect, res.Final)
	assert.Equal(t, 30*time.Second, res.StopAt)
	assert.Greater(t, res.End, res.StopAt, "the run ends after the link drained")
	assert.LessOrEqual(t, res.End, res.StopAt+100*time.Millisecond, "delay 50ms 10ms drains within 70ms, rounded up to the drain step")
	assert.Len(t, res.Fingerprint, 16)
}

func TestSameConfigSameRun(t *testing.T) {
	cfg := defaultConfig(t)
	cfg.Duration = 5 * time.Second
	cfg.Faults = []Fault{{At: time.Second, Kind: Partition}, {At: 2 * time.Second, Kind: Heal},
		{At: 3 * time.Second, Kind: Restart, Down: 100 * time.Millisecond, Start: 1 << 40}}
	var trace1, trace2 bytes.Buffer
	cfg.Trace = &trace1
	a := mustRun(t, cfg)
	cfg.Trace = &trace2
	b := mustRun(t, cfg)
	require.Equal(t, trace1.String(), trace2.String())
	require.Equal(t, a, b)

	cfg.Trace = nil
	c := mustRun(t, cfg)
	require.Equal(t, a.Fingerprint, c.Fingerprint, "the fingerprint must not depend on whether the trace is kept")

	cfg.Seed++
	d := mustRun(t, cfg)
	require.NotEqual(t, a.Fingerprint, d.Fingerprint, "another seed must give another run")
}

func TestFaults(t *testing.T) {
	base := Config{Seed: 1, Duration: 2 * time.Second, SendInterval: 10 * time.Millisecond, Interval: time.Second, Oracle: true}
	for _, tc := range []struct {
		name   string
		netem  string
		faults string
		check  func(t *testing.T, res *Result)
	}{
		{"a partition loses exactly what was sent during it", "", "partition@500ms, heal@1s", func(t *testing.T, res *Result) {
			assert.Equal(t, uint64(50), res.Truth.ByPartition)
			assert.Equal(t, uint64(50), res.Link.Partitioned)
			assert.Equal(t, int64(50), res.Final.Lost)
		}},
		{"a partition to the end loses the tail unseen", "", "partition@1500ms", func(t *testing.T, res *Result) {
			assert.Equal(t, uint64(50), res.Truth.ByPartition)
			assert.Equal(t, uint64(50), res.Truth.Edge)
			assert.Zero(t, res.Final.Lost, "a receiver cannot know about numbers after the last it got")
		}},
		{"a restart far below starts a new stream", "delay 5ms", "restart@1s down=200ms start=-1000000", func(t *testing.T, res *Result) {
			assert.Equal(t, int64(1), res.Final.Restarts)
			assert.Equal(t, uint64(180), res.Truth.Sent)
			assert.Equal(t, int64(180), res.Final.Unique)
			assert.Equal(t, int64(-1000000), res.Final.Min)
		}},
		{"a jump within the window is counted lost", "", "jump@1s start=1100", func(t *testing.T, res *Result) {
			assert.Equal(t, int64(1000), res.Final.Lost)
			assert.Zero(t, res.Final.Restarts)
		}},
		{"a jump past MaxJump restarts", "", "jump@1s start=5000000000", func(t *testing.T, res *Result) {
			assert.Equal(t, int64(1), res.Final.Restarts)
			assert.Zero(t, res.Final.Lost)
		}},
		{"a restart into the window's past, counting up, is a new stream", "delay 1ms", "restart@1s down=0s start=-40000", func(t *testing.T, res *Result) {
			assert.Zero(t, res.Final.Stale)
			assert.Equal(t, int64(1), res.Final.Restarts)
			assert.Equal(t, int64(200), res.Final.Unique)
		}},
		{"a restart into numbers seen long ago is a new stream, not duplicates", "delay 1ms",
			"jump@500ms start=2000, restart@1s down=0s start=0", func(t *testing.T, res *Result) {
				assert.Zero(t, res.Final.Duplicates)
				assert.Equal(t, int64(1), res.Final.Restarts)
				assert.Equal(t, int64(200), res.Final.Unique)
				assert.Equal(t, int64(2000-50), res.Final.Lost, "the jump's gap")
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := base
			cfg.Profile = mustProfile(t, tc.netem)
			fs, err := ParseFaults(tc.faults)
			require.NoError(t, err)
			cfg.Faults = fs
			tc.check(t, mustRun(t, cfg))
		})
	}
}

func TestPerfectLinkDeliversAllInOrder(t *testing.T) {
	res := mustRun(t, Config{Seed: 3, Duration: 10 * time.Second, SendInterval: time.Millisecond, Interval: time.Second, Oracle: true})
	require.Equal(t, uint64(10000), res.Truth.Sent)
	c := res.Final
	assert.Equal(t, int64(10000), c.Unique)
	assert.Equal(t, int64(10000), c.Expected)
	assert.Zero(t, c.Lost+c.Duplicates+c.Reordered+c.Late+c.Stale+c.Malformed+c.Restarts)
	assert.Equal(t, 10*time.Second, res.End, "nothing in flight when the sender stops: no drain")
}

func TestValidate(t *testing.T) {
	ok := Config{Duration: time.Second, SendInterval: time.Millisecond, Interval: time.Second}
	require.NoError(t, ok.Validate())
	for _, tc := range []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"no duration", func(c *Config) { c.Duration = 0 }, "Duration 0s: want > 0"},
		{"negative send interval", func(c *Config) { c.SendInterval = -1 }, "SendInterval"},
		{"no summary interval", func(c *Config) { c.Interval = 0 }, "Interval 0s"},
		{"too many datagrams", func(c *Config) { c.Duration = 1000 * time.Hour; c.SendInterval = time.Microsecond }, "at most 10000000"},
		{"too many summaries", func(c *Config) { c.Duration = time.Hour; c.Interval = time.Millisecond }, "3600000 summaries: want at most 100000"},
		{"invalid profile", func(c *Config) { c.Profile.Reorder = netem.Percent(10) }, "reorder needs a delay"},
		{"fault after the end", func(c *Config) { c.Faults = []Fault{{At: 2 * time.Second, Kind: Heal}} }, "not inside the run"},
		{"faults out of order", func(c *Config) {
			c.Faults = []Fault{{At: 500 * time.Millisecond, Kind: Partition}, {At: 100 * time.Millisecond, Kind: Heal}}
		}, "time order"},
		{"down past the end", func(c *Config) {
			c.Faults = []Fault{{At: 900 * time.Millisecond, Kind: Restart, Down: 500 * time.Millisecond}}
		}, "still be down at the end"},
		{"jump while down", func(c *Config) {
			c.Faults = []Fault{{At: 100 * time.Millisecond, Kind: Restart, Down: 500 * time.Millisecond}, {At: 200 * time.Millisecond, Kind: Jump}}
		}, "host1 is down until 600ms"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := ok
			tc.edit(&c)
			err := c.Validate()
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			_, err = Run(c)
			require.Error(t, err)
		})
	}
}

func TestParseFaults(t *testing.T) {
	for _, tc := range []struct {
		text string
		want []Fault
	}{
		{"", nil},
		{"  ", nil},
		{"partition@2s", []Fault{{At: 2 * time.Second, Kind: Partition}}},
		{"partition@2s, heal@2.5s", []Fault{{At: 2 * time.Second, Kind: Partition}, {At: 2500 * time.Millisecond, Kind: Heal}}},
		{"restart@1s down=500ms start=-7", []Fault{{At: time.Second, Kind: Restart, Down: 500 * time.Millisecond, Start: -7}}},
		{"jump@0s start=9223372036854775807", []Fault{{Kind: Jump, Start: 1<<63 - 1}}},
	} {
		t.Run(tc.text, func(t *testing.T) {
			got, err := ParseFaults(tc.text)
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
			again, err := ParseFaults(FormatFaults(got))
			require.NoError(t, err)
			require.Equal(t, got, again, "FormatFaults must read back")
		})
	}
	for _, tc := range []struct{ text, want string }{
		{"crash@1s", `unknown kind "crash"`},
		{"partition", "no @TIME"},
		{"partition@soon", `time "soon"`},
		{"heal@-1s", `time "-1s"`},
		{"restart@1s start=0", "restart needs down=D and start=N"},
		{"jump@1s", "jump needs start=N"},
		{"jump@1s start=x", `start "x"`},
		{"restart@1s down=-1s start=0", `down "-1s"`},
		{"heal@1s start=3", `unexpected "start=3"`},
		{"partition@1s,,heal@2s", "empty"},
	} {
		t.Run(tc.text, func(t *testing.T) {
			_, err := ParseFaults(tc.text)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

// One event is one line of the text trace; the fingerprint does not depend on whether
// the text is written.
func TestTraceEventsAreTraceLines(t *testing.T) {
	cfg := defaultConfig(t)
	cfg.Duration = 2 * time.Second
	var trace bytes.Buffer
	cfg.Trace = &trace
	res := mustRun(t, cfg)
	assert.Equal(t, bytes.Count(trace.Bytes(), []byte("\n")), res.TraceEvents)
	cfg.Trace = nil
	assert.Equal(t, res.Fingerprint, mustRun(t, cfg).Fingerprint)
}

// The encoding the fingerprint hashes changes with every field of an event, so two runs
// whose events differ anywhere get different fingerprints.
func TestEventEncodingCoversEveryField(t *testing.T) {
	base := simnet.Event{At: time.Second, Kind: simnet.EvQueued, Src: netip.MustParseAddr("10.0.0.1"),
		Dst: netip.MustParseAddr("10.0.0.2"), SrcHost: "host1", DstHost: "host2", Port: 2345, Seq: 7, Len: 2,
		Due: time.Second + 50*time.Millisecond}
	enc := appendEvent(nil, &base)
	require.Len(t, enc, eventSize)
	require.Equal(t, enc, appendEvent(nil, &base), "the same event, the same bytes")
	for _, tc := range []struct {
		name string
		edit func(e *simnet.Event)
	}{
		{"at", func(e *simnet.Event) { e.At++ }},
		{"kind", func(e *simnet.Event) { e.Kind = simnet.EvLost }},
		{"src", func(e *simnet.Event) { e.Src = netip.MustParseAddr("10.0.0.3") }},
		{"dst", func(e *simnet.Event) { e.Dst = netip.MustParseAddr("10.0.1.2") }},
		{"no dst", func(e *simnet.Event) { e.Dst = netip.Addr{} }},
		{"port", func(e *simnet.Event) { e.Port++ }},
		{"seq", func(e *simnet.Event) { e.Seq += 1 << 40 }},
		{"len", func(e *simnet.Event) { e.Len = 65507 }},
		{"due", func(e *simnet.Event) { e.Due++ }},
		{"dup", func(e *simnet.Event) { e.Dup = true }},
		{"corrupt", func(e *simnet.Event) { e.Corrupt = true }},
		{"reordered", func(e *simnet.Event) { e.Reordered = true }},
		{"fault", func(e *simnet.Event) { *e = simnet.Event{At: e.At, Kind: simnet.EvFault, Detail: "heal"} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := base
			tc.edit(&e)
			assert.NotEqual(t, enc, appendEvent(nil, &e))
		})
	}
	heal := simnet.Event{Kind: simnet.EvFault, Detail: "heal"}
	crash := heal
	crash.Detail = "crash host1"
	assert.NotEqual(t, appendEvent(nil, &heal), appendEvent(nil, &crash), "a fault's detail is covered")
	// Appending to a used buffer writes every byte of the new event.
	buf := appendEvent(make([]byte, 0, 4*eventSize), &crash)
	buf = append(buf[:0], bytes.Repeat([]byte{0xff}, eventSize)...)[:0]
	assert.Equal(t, enc, appendEvent(buf, &base))
}

// The receiver also reports while the link drains after the sender stopped; a delay much
// longer than MaxIntervals intervals stops the run with ErrTooManySummaries instead of
// keeping millions of summaries.
func TestTooManySummariesWhileDraining(t *testing.T) {
	p, err := netem.Parse("delay 30s")
	require.NoError(t, err)
	var seen int
	_, err = Run(Config{Seed: 1, Profile: p, Duration: time.Second, SendInterval: 100 * time.Millisecond,
		Interval: 10 * time.Microsecond, OnSummary: func(app.Summary) { seen++ }})
	require.ErrorIs(t, err, ErrTooManySummaries)
	assert.Contains(t, err.Error(), "use a longer Interval")
	assert.Equal(t, MaxIntervals+1, seen, "the summaries up to the bound and the final one")
}

// The records simnet hands the sink are the events Config.Observe gets, field for field:
// the fingerprint of the records is that of the events, for every kind of event.
func TestRecordsAreTheObservedEvents(t *testing.T) {
	var fromEvents []byte
	kinds := map[simnet.EventKind]int{}
	observe := func(ev simnet.Event) {
		fromEvents = appendEvent(fromEvents, &ev)
		kinds[ev.Kind]++
	}
	s := newSink(0)
	n, err := simnet.New(simnet.Config{Seed: 3, Observe: observe,
		Default: mustProfile(t, "delay 10ms 5ms loss 20% duplicate 20% corrupt 20% reorder 30% limit 3")})
	require.NoError(t, err)
	defer n.Close()
	require.NoError(t, s.attach(n))
	h1, err := n.AddHost(SenderHost)
	require.NoError(t, err)
	h2, err := n.AddHost(ReceiverHost)
	require.NoError(t, err)
	s.follow(h1.Addr(), h2.Addr())
	c1, err := h1.Listen(SenderPort)
	require.NoError(t, err)
	_, err = h2.Listen(ReceiverPort)
	require.NoError(t, err)
	send := func(port uint16, to netip.Addr) {
		s.begin(12345)
		_, err := c1.WriteTo([]byte("12345"), net.UDPAddrFromAddrPort(netip.AddrPortFrom(to, port)))
		s.end(err == nil)
		require.NoError(t, err)
	}
	n.Go("sender", func() {
		for i := range 200 {
			send(ReceiverPort, h2.Addr())
			switch i {
			case 20, 21, 22, 23, 24:
				n.Clock().Sleep(50 * time.Millisecond)              // the queue empties: the next copy is not limit-dropped
				send(9, h2.Addr())                                  // noport
				send(ReceiverPort, netip.MustParseAddr("10.9.9.9")) // noroute
			case 40:
				require.NoError(t, n.Partition([]string{SenderHost}, []string{ReceiverHost}))
			case 50:
				n.Heal()
			case 60:
				require.NoError(t, n.LinkDown(SenderHost, ReceiverHost))
			case 70:
				require.NoError(t, n.LinkUp(SenderHost, ReceiverHost))
			case 80:
				require.NoError(t, n.Crash(ReceiverHost))
			}
			n.Clock().Sleep(time.Millisecond)
		}
	})
	require.NoError(t, n.Run())
	for k := simnet.EvQueued; k <= simnet.EvFault; k++ {
		if k != simnet.EvRecvBuf {
			assert.Positive(t, kinds[k], "no %v event", k)
		}
	}
	want := sha256.Sum256(fromEvents)
	assert.Equal(t, hex.EncodeToString(want[:8]), s.fingerprint())
	assert.Equal(t, s.events, sum(kinds))
	assert.Equal(t, uint64(210), s.t.Sent, "the sink followed the link's datagrams")
	assert.Positive(t, s.truth().ByPartition)
}

func sum(m map[simnet.EventKind]int) (n int) {
	for _, v := range m {
		n += v
	}
	return n
}

// NoReadCheck changes nothing but Result.Check, which it leaves zero, with or without
// the oracle and a read observer (which keep the receiver reading through readConn), and
// with corruption (whose copies the check compares bit by bit).
func TestNoReadCheckOnlyLeavesCheckZero(t *testing.T) {
	cfg := defaultConfig(t)
	cfg.Profile = mustProfile(t, "delay 50ms 10ms loss 5% duplicate 1% reorder 10% corrupt 1%")
	cfg.Duration = 10 * time.Second
	cfg.Faults = []Fault{{At: 2 * time.Second, Kind: Partition}, {At: 3 * time.Second, Kind: Heal}}
	for _, oracle := range []bool{false, true} {
		for _, observe := range []bool{false, true} {
			cfg.Oracle = oracle
			var reads [2]int
			run := func(noCheck bool) *Result {
				c := cfg
				c.NoReadCheck = noCheck
				if observe {
					i := 0
					if noCheck {
						i = 1
					}
					c.OnRead = func(Read) { reads[i]++ }
				}
				res, err := Run(c)
				require.NoError(t, err)
				return res
			}
			with, without := run(false), run(true)
			require.NotZero(t, with.Check.Reads)
			require.NotZero(t, with.Truth.Corrupted, "the check's corrupt path is taken")
			assert.Equal(t, ReadCheck{}, without.Check, "oracle %v, observer %v", oracle, observe)
			with.Check = ReadCheck{}
			assert.Equal(t, with, without, "oracle %v, observer %v", oracle, observe)
			assert.Equal(t, reads[0], reads[1], "the observer sees every read either way")
			if observe {
				assert.Equal(t, int(with.Final.Received), reads[1])
			}
		}
	}
}
