package app

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pingRun pings over a fake network and records every probe and reply.
type pingRun struct {
	conn    *pingFakeConn
	stats   PingStats
	probes  []time.Duration // send times, by sequence
	replies []PingReply
	end     time.Duration // clock at return, from the start
}

func runPingFake(t *testing.T, cfg PingConfig, reflect func([]byte, net.Addr) []pingFakeReply) pingRun {
	t.Helper()
	return runPingOn(t, cfg, newPingFakeConn(reflect))
}

func runPingOn(t *testing.T, cfg PingConfig, conn *pingFakeConn) pingRun {
	t.Helper()
	r := pingRun{conn: conn}
	start := r.conn.clock.Now()
	cfg.Conn, cfg.Clock, cfg.Dest = r.conn, r.conn.clock, pingTestDest
	if cfg.Size == 0 {
		cfg.Size = 64
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = time.Second
	}
	onProbe := cfg.OnProbe
	cfg.OnProbe = func(seq uint64, sent time.Duration, err error) {
		require.Equal(t, uint64(len(r.probes)), seq, "probes are numbered 0, 1, 2, ...")
		r.probes = append(r.probes, sent)
		if onProbe != nil {
			onProbe(seq, sent, err)
		}
	}
	cfg.OnReply = func(rep PingReply) { r.replies = append(r.replies, rep) }
	var err error
	r.stats, err = Ping(context.Background(), cfg)
	require.NoError(t, err)
	r.end = r.conn.clock.Now().Sub(start)
	return r
}

func echoAfter(d time.Duration) func([]byte, net.Addr) []pingFakeReply {
	return func([]byte, net.Addr) []pingFakeReply { return []pingFakeReply{{delay: d}} }
}

func TestPingPerfectLink(t *testing.T) {
	r := runPingFake(t, PingConfig{Interval: 100 * time.Millisecond, Count: 100, Size: 100}, echoAfter(20*time.Millisecond))

	for i, sent := range r.probes {
		require.Equal(t, time.Duration(i)*100*time.Millisecond, sent, "probe %d sent on schedule", i)
	}
	s := r.stats.Summary()
	assert.Equal(t, PingSummary{
		Transmitted: 100, Received: 100,
		Min: 20 * time.Millisecond, Avg: 20 * time.Millisecond, Max: 20 * time.Millisecond,
		P50: 20 * time.Millisecond, P90: 20 * time.Millisecond, P99: 20 * time.Millisecond,
		Samples: 100,
	}, s)
	require.Len(t, r.replies, 100)
	for i, rep := range r.replies {
		assert.Equal(t, uint64(i), rep.Seq)
		assert.Equal(t, 100, rep.Bytes)
		assert.Equal(t, pingTestDest, rep.From)
		assert.Equal(t, 20*time.Millisecond, rep.RTT)
		assert.False(t, rep.Duplicate || rep.Reordered)
	}
	// Every probe answered: it stops at the last reply instead of waiting out Timeout.
	assert.Equal(t, 99*100*time.Millisecond+20*time.Millisecond, r.end)
}

func TestPingLossWaitsTimeoutAfterLastProbe(t *testing.T) {
	r := runPingFake(t, PingConfig{Interval: 10 * time.Millisecond, Count: 30, Timeout: 500 * time.Millisecond},
		func(p []byte, _ net.Addr) []pingFakeReply {
			if pingTestSeq(p)%3 == 0 {
				return nil // lost
			}
			return []pingFakeReply{{delay: time.Millisecond}}
		})
	s := r.stats.Summary()
	assert.Equal(t, uint64(30), s.Transmitted)
	assert.Equal(t, uint64(20), s.Received)
	assert.Equal(t, uint64(10), s.Lost)
	assert.InDelta(t, 100.0/3, s.LossPercent, 1e-9)
	assert.Equal(t, 29*10*time.Millisecond+500*time.Millisecond, r.end)
}

func TestPingDuplicates(t *testing.T) {
	r := runPingFake(t, PingConfig{Interval: 10 * time.Millisecond, Count: 10},
		func([]byte, net.Addr) []pingFakeReply {
			return []pingFakeReply{{delay: 2 * time.Millisecond}, {delay: 3 * time.Millisecond}}
		})
	s := r.stats.Summary()
	assert.Equal(t, uint64(10), s.Received)
	assert.Equal(t, uint64(9), s.Duplicates)
	assert.Equal(t, uint64(0), s.Reordered)
	assert.Equal(t, 2*time.Millisecond, s.Max, "duplicates stay out of the RTT stats")
	// The run ends at the last probe's first reply, as ping -c does, so its duplicate
	// is not waited for.
	require.Len(t, r.replies, 19)
	for i, rep := range r.replies {
		assert.Equal(t, i%2 == 1, rep.Duplicate, "reply %d", i)
		assert.Equal(t, uint64(i/2), rep.Seq)
	}
}

func TestPingReordering(t *testing.T) {
	// Even probes take 250 ms, odd ones 10 ms: replies arrive 1, 0, 3, 2, 5, 4, ...
	r := runPingFake(t, PingConfig{Interval: 100 * time.Millisecond, Count: 100},
		func(p []byte, _ net.Addr) []pingFakeReply {
			if pingTestSeq(p)%2 == 0 {
				return []pingFakeReply{{delay: 250 * time.Millisecond}}
			}
			return []pingFakeReply{{delay: 10 * time.Millisecond}}
		})
	s := r.stats.Summary()
	assert.Equal(t, uint64(100), s.Received)
	assert.Equal(t, uint64(50), s.Reordered)
	assert.Equal(t, uint64(0), s.Duplicates)
	assert.Equal(t, 10*time.Millisecond, s.Min)
	assert.Equal(t, 250*time.Millisecond, s.Max)
	assert.Equal(t, 130*time.Millisecond, s.Avg)
	assert.Equal(t, 120*time.Millisecond, s.Mdev)
	assert.Equal(t, 10*time.Millisecond, s.P50)
	assert.Equal(t, 250*time.Millisecond, s.P90)
	for _, rep := range r.replies {
		assert.Equal(t, rep.Seq%2 == 0, rep.Reordered, "seq %d", rep.Seq)
	}
}

func TestPingIgnoresBadReplies(t *testing.T) {
	r := runPingFake(t, PingConfig{Interval: 10 * time.Millisecond, Count: 20, Size: 32},
		func(p []byte, _ net.Addr) []pingFakeReply {
			seq := pingTestSeq(p)
			corrupt := append([]byte(nil), p...)
			corrupt[5] ^= 0x10 // a flipped bit in the sequence number
			magic := append([]byte(nil), p...)
			magic[0] = 'X'
			unknown, _ := AppendPingProbe(nil, PingProbe{Seq: seq + 1000, Sent: 0}, 32)
			future, _ := AppendPingProbe(nil, PingProbe{Seq: seq, Sent: time.Hour}, 32)
			return []pingFakeReply{
				{delay: time.Millisecond, data: p[:PingHeaderLen-1]}, // short
				{delay: time.Millisecond, data: magic},               // not a probe
				{delay: time.Millisecond, data: corrupt},             // bad checksum
				{delay: time.Millisecond, data: future},              // sent in the future
				{delay: time.Millisecond, data: []byte{}},            // empty
				{delay: time.Millisecond, from: pingTestOther},       // wrong sender
				{delay: time.Millisecond, data: unknown},             // never sent
				{delay: time.Millisecond, data: p[:PingHeaderLen+1]}, // truncated
				{delay: 2 * time.Millisecond},                        // the real echo
			}
		})
	s := r.stats.Summary()
	assert.Equal(t, uint64(20), s.Received)
	assert.Equal(t, uint64(20*6), s.Malformed)
	assert.Equal(t, uint64(20), s.Foreign)
	assert.Equal(t, uint64(20), s.Unknown)
	assert.Equal(t, uint64(0), s.Duplicates, "the checksum covers the padding: a truncated copy is malformed")
	assert.Equal(t, 2*time.Millisecond, s.Min)
	assert.Equal(t, 2*time.Millisecond, s.Max)
}

func TestPingCountZeroRunsUntilClosed(t *testing.T) {
	conn := newPingFakeConn(echoAfter(time.Millisecond))
	r := runPingOn(t, PingConfig{Interval: time.Second, OnProbe: func(seq uint64, _ time.Duration, _ error) {
		if seq == 9 {
			require.NoError(t, conn.Close()) // what the CLI does on SIGINT
		}
	}}, conn)
	s := r.stats.Summary()
	assert.Equal(t, uint64(10), s.Transmitted)
	assert.Equal(t, uint64(9), s.Received, "the last probe was in flight when the conn closed")
	assert.Equal(t, 9*time.Second, r.end)
}

func TestPingStallRestartsSchedule(t *testing.T) {
	conn := newPingFakeConn(echoAfter(time.Millisecond))
	r := runPingOn(t, PingConfig{Interval: 100 * time.Millisecond, Count: 10, OnProbe: func(seq uint64, _ time.Duration, _ error) {
		if seq == 4 {
			conn.clock.Sleep(time.Second) // the process stalls for ten intervals
		}
	}}, conn)
	want := []time.Duration{0, 100, 200, 300, 400, 1400, 1500, 1600, 1700, 1800}
	require.Len(t, r.probes, len(want))
	for i, ms := range want {
		assert.Equal(t, ms*time.Millisecond, r.probes[i], "probe %d: no catch-up burst after the stall", i)
	}
	assert.Equal(t, uint64(10), r.stats.Received)
	assert.Equal(t, time.Second, r.stats.RTT.Max(), "probe 4's reply, read only after the stall")
}

func TestPingDuplicateWindow(t *testing.T) {
	// Probe 0's echo comes back three times: at once, as a duplicate while probe 0 is
	// within the window, and once more after PingDupWindow more probes, when it can no
	// longer be told from a first reply and counts as Unknown.
	var first []byte
	r := runPingFake(t, PingConfig{Interval: time.Millisecond, Count: PingDupWindow + 1, Size: PingHeaderLen},
		func(p []byte, _ net.Addr) []pingFakeReply {
			switch pingTestSeq(p) {
			case 0:
				first = p
				return []pingFakeReply{{delay: 0}}
			case PingDupWindow - 1, PingDupWindow:
				return []pingFakeReply{{delay: 0, data: first}, {delay: 0}}
			}
			return []pingFakeReply{{delay: 0}}
		})
	s := r.stats.Summary()
	assert.Equal(t, uint64(PingDupWindow+1), s.Received)
	assert.Equal(t, uint64(1), s.Duplicates)
	assert.Equal(t, uint64(1), s.Unknown)
}

func TestPingConfigErrors(t *testing.T) {
	ok := func() PingConfig {
		c := newPingFakeConn(echoAfter(0))
		return PingConfig{Conn: c, Clock: c.clock, Dest: pingTestDest, Interval: time.Second, Size: 64, Timeout: time.Second}
	}
	tests := []struct {
		name   string
		modify func(*PingConfig)
		want   string
	}{
		{"no conn", func(c *PingConfig) { c.Conn = nil }, "Conn"},
		{"no clock", func(c *PingConfig) { c.Clock = nil }, "Clock"},
		{"no dest", func(c *PingConfig) { c.Dest = nil }, "Dest"},
		{"zero interval", func(c *PingConfig) { c.Interval = 0 }, "Interval 0s; want > 0"},
		{"small size", func(c *PingConfig) { c.Size = PingHeaderLen - 1 }, "Size 23; want 24..65507"},
		{"large size", func(c *PingConfig) { c.Size = PingMaxSize + 1 }, "Size 65508; want 24..65507"},
		{"negative timeout", func(c *PingConfig) { c.Timeout = -1 }, "Timeout -1ns; want > 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := ok()
			tt.modify(&cfg)
			_, err := Ping(context.Background(), cfg)
			require.ErrorContains(t, err, tt.want)
		})
	}
}

func TestPingSameAddr(t *testing.T) {
	udp := func(ip string, port int) *net.UDPAddr { return &net.UDPAddr{IP: net.ParseIP(ip), Port: port} }
	tests := []struct {
		name       string
		from, dest net.Addr
		want       bool
	}{
		{"same", udp("127.0.0.1", 9), udp("127.0.0.1", 9), true},
		{"v4 in v6", udp("::ffff:127.0.0.1", 9), udp("127.0.0.1", 9), true},
		{"other port", udp("127.0.0.1", 8), udp("127.0.0.1", 9), false},
		{"other ip", udp("127.0.0.2", 9), udp("127.0.0.1", 9), false},
		{"unspecified dest", udp("10.0.0.1", 9), &net.UDPAddr{Port: 9}, true},
		{"unspecified dest other port", udp("10.0.0.1", 8), udp("0.0.0.0", 9), false},
		{"nil from", nil, udp("127.0.0.1", 9), false},
		{"other addr type, same text", &net.IPAddr{IP: net.ParseIP("10.0.0.1")}, &net.IPAddr{IP: net.ParseIP("10.0.0.1")}, true},
		{"mixed types", &net.IPAddr{IP: net.ParseIP("10.0.0.1")}, udp("10.0.0.1", 9), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, pingSameAddr(tt.from, tt.dest))
		})
	}
}

func TestPingStopsWhenContextDone(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	conn := newPingFakeConn(echoAfter(time.Millisecond))
	stats, err := Ping(ctx, PingConfig{
		Conn: conn, Clock: conn.clock, Dest: pingTestDest,
		Interval: time.Second, Size: 64, Timeout: time.Second,
		OnProbe: func(seq uint64, _ time.Duration, _ error) {
			if seq == 4 {
				cancel()
			}
		},
	})
	require.NoError(t, err)
	assert.Equal(t, uint64(5), stats.Transmitted, "noticed before the next send")
	assert.Equal(t, uint64(4), stats.Received)
}

// pingNullConn accepts every write and is never read.
type pingNullConn struct{ pingFakeConn }

func (*pingNullConn) WriteTo(p []byte, _ net.Addr) (int, error) { return len(p), nil }

func TestPingHotPathDoesNotAllocate(t *testing.T) {
	if pingRaceEnabled {
		t.Skip("allocation counts differ under the race detector")
	}
	clk := &pingFakeClock{}
	p := &pinger{
		cfg: PingConfig{Conn: &pingNullConn{}, Clock: clk, Dest: pingTestDest,
			Interval: time.Millisecond, Size: 64, Timeout: time.Second},
		stats: PingStats{RTT: NewRTTStats(16)},
	}
	probe := make([]byte, 0, 64)
	reply := make([]byte, 0, 64)
	now := time.Duration(0)
	allocs := testing.AllocsPerRun(1000, func() {
		seq := p.sent
		probe, _ = p.send(probe[:0], now)
		reply, _ = AppendPingProbe(reply[:0], PingProbe{Seq: seq, Sent: now}, 64)
		now += time.Millisecond
		p.receive(reply, pingTestDest, now)
	})
	assert.Zero(t, allocs, "allocations per probe sent and answered")
	assert.Equal(t, p.stats.Transmitted, p.stats.Received)
}
