package proxy

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

func TestPoolGivesRightSizedBuffers(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := newBufPool()
		n := rapid.IntRange(0, maxDatagram).Draw(t, "n")
		b := p.get(n)
		if len(b) != n {
			t.Fatalf("len %d, want %d", len(b), n)
		}
		if cap(b) < n || (n > 64 && cap(b) >= 2*n) {
			t.Fatalf("cap %d for %d bytes: not the smallest class", cap(b), n)
		}
		p.put(b)
		c := p.get(n)
		if &c[:1][0] != &b[:1][0] {
			t.Fatalf("a returned buffer was not reused")
		}
	})
}

func TestPoolIgnoresForeignBuffers(t *testing.T) {
	p := newBufPool()
	p.put(make([]byte, 100)) // cap 100 is no class: must not come back as a 128-byte buffer
	b := p.get(100)
	assert.Equal(t, 128, cap(b))
	p.put(make([]byte, 0, 1<<20)) // too big for any class
	assert.Equal(t, -1, class(maxDatagram+1))
}

func TestSeedForGivesIndependentDirections(t *testing.T) {
	seen := map[uint64]bool{}
	for seed := range uint64(1000) {
		for _, d := range Directions {
			s := SeedFor(seed, d)
			require.False(t, seen[s], "seed %d %s collides", seed, d)
			seen[s] = true
		}
	}
}

func TestParseDirection(t *testing.T) {
	for _, d := range Directions {
		got, err := ParseDirection(d.String())
		require.NoError(t, err)
		assert.Equal(t, d, got)
	}
	_, err := ParseDirection("Forward")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "accepted: forward, reverse")
}

func TestWriteReport(t *testing.T) {
	c := Counters{Elapsed: 1500 * time.Millisecond,
		Forward:  DirectionStats{Received: 10, Sent: 9, Rejected: 1, Delivered: 7, Lost: 2},
		Reverse:  DirectionStats{Received: 7, Sent: 7, Delivered: 7},
		Sessions: SessionStats{Active: 1, Opened: 2, Expired: 1, Rejected: 1}}

	t.Run("json is one object per line", func(t *testing.T) {
		var b bytes.Buffer
		require.NoError(t, WriteReport(&b, FormatJSON, "final", c))
		require.Equal(t, 1, strings.Count(b.String(), "\n"))
		var v struct {
			Event    string         `json:"event"`
			Elapsed  float64        `json:"elapsed_s"`
			Forward  DirectionStats `json:"forward"`
			Reverse  DirectionStats `json:"reverse"`
			Sessions SessionStats   `json:"sessions"`
		}
		require.NoError(t, json.Unmarshal(b.Bytes(), &v))
		assert.Equal(t, "final", v.Event)
		assert.Equal(t, 1.5, v.Elapsed)
		assert.Equal(t, c.Forward, v.Forward)
		assert.Equal(t, c.Reverse, v.Reverse)
		assert.Equal(t, c.Sessions, v.Sessions)
	})
	t.Run("text has a line per direction", func(t *testing.T) {
		var b bytes.Buffer
		require.NoError(t, WriteReport(&b, FormatText, "signal", c))
		lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
		require.Len(t, lines, 3)
		assert.Contains(t, lines[0], "signal forward received=10 rejected=1 byte_limit_drops=0 sent=9 delivered=7 lost=2")
		assert.Contains(t, lines[1], "reverse received=7")
		assert.Contains(t, lines[2], "session active=1 opened=2 expired=1 rejected=1")
		assert.True(t, strings.HasPrefix(lines[0], "proxy    1.500s"), lines[0])
	})
	t.Run("unknown format", func(t *testing.T) {
		err := WriteReport(&bytes.Buffer{}, "xml", "", c)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "text, json")
	})
}

func TestNewRejectsBadConfigs(t *testing.T) {
	tests := []struct {
		name   string
		cfg    Config
		errHas string
	}{
		{"no listen", Config{Upstream: "127.0.0.1:9"}, "listen"},
		{"no upstream", Config{Listen: "127.0.0.1:0"}, "upstream"},
		{"upstream port 0", Config{Listen: "127.0.0.1:0", Upstream: "127.0.0.1:0"}, "port 0"},
		{"bad upstream", Config{Listen: "127.0.0.1:0", Upstream: "127.0.0.1"}, "host:port"},
		{"bad listen", Config{Listen: "nowhere:x", Upstream: "127.0.0.1:9"}, "listen address"},
		{"negative sessions", Config{Listen: "127.0.0.1:0", Upstream: "127.0.0.1:9", MaxSessions: -1}, "max sessions"},
		{"negative idle", Config{Listen: "127.0.0.1:0", Upstream: "127.0.0.1:9", IdleTimeout: -time.Second}, "idle timeout"},
		{"self loop", Config{Listen: "127.0.0.1:45999", Upstream: "127.0.0.1:45999"}, "own listen address"},
		{"self loop on all interfaces", Config{Listen: ":45998", Upstream: "127.0.0.1:45998"}, "own listen address"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := New(tc.cfg)
			if err == nil {
				p.Close()
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.errHas)
		})
	}
}

func TestSpinTrackerFollowsLateWakeups(t *testing.T) {
	var s spinTracker
	require.Equal(t, minSpin, s.margin(), "starts at the minimum")
	s.observe(10 * time.Microsecond)
	require.Equal(t, minSpin, s.margin(), "an early enough wake-up keeps the minimum")

	s.observe(300 * time.Microsecond)
	require.Equal(t, 300*time.Microsecond+spinGuard, s.margin(), "a late wake-up raises it at once")
	s.observe(5 * time.Millisecond)
	require.Equal(t, maxSpin, s.margin(), "never above maxSpin")

	prev := s.margin()
	for range 200 {
		s.observe(0)
		m := s.margin()
		require.LessOrEqual(t, m, prev, "decays while wake-ups are on time")
		require.GreaterOrEqual(t, m, minSpin, "never below minSpin")
		prev = m
	}
	require.Less(t, s.margin(), minSpin+5*time.Microsecond, "back near the minimum after 200 timely wake-ups")
	for range spinDecay / 2 {
		s.observe(0)
	}
	s.observe(400 * time.Microsecond)
	require.Equal(t, 400*time.Microsecond+spinGuard, s.margin())
	s.observe(0)
	require.Less(t, s.margin(), 400*time.Microsecond+spinGuard, "one timely wake-up starts the decay")
	require.Greater(t, s.margin(), 400*time.Microsecond, "by 1/spinDecay of the excess")
}

// The idle buffers a class keeps are bounded: a burst given back does not stay whole.
func TestPoolBoundsIdleBuffers(t *testing.T) {
	p := newBufPool()
	c := class(1000)
	limit := p.free[c].max
	require.Equal(t, poolBytesPerClass/1024, limit)
	for range 3 * limit {
		p.put(make([]byte, 0, 1024))
	}
	require.Len(t, p.free[c].bufs, limit)
	for range limit {
		p.get(1000)
	}
	require.Empty(t, p.free[c].bufs, "every kept buffer handed out")
	require.Equal(t, 1024, cap(p.get(1000)), "then fresh ones")
}
