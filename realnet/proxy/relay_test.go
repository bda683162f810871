package proxy

import (
	"encoding/binary"
	"math"
	"net"
	"os"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/dist-example/dist-example/simnet/netem"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestRelayEmptyProfileDeliversEverythingInOrder(t *testing.T) {
	s := newSink(t, "udp4", "127.0.0.1:0")
	p := startProxy(t, s.addr(), "", "", 1)
	c := dialer(t, p)
	const n = 3000
	sendWindowed(t, p, c, 0, n, 200, 64, 64)
	got := settle(t, p, s, 5*time.Second)

	arr := s.arrivals()
	require.Equal(t, n, len(arr), "forward %+v", got.Forward)
	for i, a := range arr {
		require.True(t, a.ok, "datagram %d altered", i)
		require.Equal(t, uint64(i), a.seq, "arrival %d out of order", i)
	}
	late := got.Forward.LateMaxUS
	got.Forward.LateMeanUS, got.Forward.LateP50US, got.Forward.LateP90US, got.Forward.LateP99US, got.Forward.LateMaxUS = 0, 0, 0, 0, 0 // timing, not counts
	assert.Equal(t, DirectionStats{Received: n, Sent: n, Delivered: n, BytesOut: n * 200}, got.Forward)
	assert.Positive(t, late, "lateness is measured")
	assert.Equal(t, SessionStats{Active: 1, Opened: 1}, got.Sessions)
}

func TestRelayRepliesReachTheirOwnClient(t *testing.T) {
	up := newEcho(t, "udp4", "127.0.0.1:0")
	p := startProxy(t, up.LocalAddr().String(), "", "", 1)
	clients := []*net.UDPConn{dialer(t, p), dialer(t, p), dialer(t, p)}
	for round := range 20 {
		for i, c := range clients {
			_, err := c.Write(makeDatagram(uint64(i*1000+round), 64))
			require.NoError(t, err)
		}
	}
	buf := make([]byte, 1500)
	for i, c := range clients {
		require.NoError(t, c.SetReadDeadline(time.Now().Add(5*time.Second)))
		for round := range 20 {
			n, err := c.Read(buf)
			require.NoError(t, err, "client %d reply %d", i, round)
			require.True(t, intact(buf[:n]))
			require.Equal(t, uint64(i*1000+round), binary.BigEndian.Uint64(buf), "client %d got another client's reply", i)
		}
	}
	got := p.Counters()
	assert.Equal(t, uint64(60), got.Forward.Delivered)
	assert.Equal(t, uint64(60), got.Reverse.Delivered)
	assert.Equal(t, SessionStats{Active: 3, Opened: 3}, got.Sessions)
}

// The profile's statistics, measured at a real receiver over loopback.
func TestRelayMatchesProfileStatistics(t *testing.T) {
	const n = 5000
	cases := []struct {
		name    string
		profile string
		check   func(t *testing.T, arr []arrival, c Counters)
	}{
		{"loss", "loss 20%", func(t *testing.T, arr []arrival, c Counters) {
			within5Sigma(t, "lost", n-len(uniq(arr)), n, 0.20)
			assert.Equal(t, len(uniq(arr)), len(arr), "loss alone duplicated something")
		}},
		{"duplicate", "duplicate 10%", func(t *testing.T, arr []arrival, c Counters) {
			require.Equal(t, n, len(uniq(arr)), "duplicate alone lost something")
			within5Sigma(t, "duplicates", len(arr)-n, n, 0.10)
		}},
		{"loss and duplicate", "loss 10% duplicate 10%", func(t *testing.T, arr []arrival, c Counters) {
			// netem: duplicate is drawn first, then loss; if both fire, one copy goes on.
			// The clone then draws its own loss. So a packet yields no copy with
			// p = 0.9*0.1 and two with p = 0.1*0.9*0.9.
			within5Sigma(t, "sequence numbers never seen", n-len(uniq(arr)), n, 0.09)
			within5Sigma(t, "extra copies", len(arr)-len(uniq(arr)), n, 0.081)
			counts := map[uint64]int{}
			for _, a := range arr {
				counts[a.seq]++
				require.LessOrEqual(t, counts[a.seq], 2, "seq %d delivered more than twice", a.seq)
			}
		}},
		// The delay is long beside host hiccups (tens of ms with several -race test
		// binaries sharing two cores), which would otherwise make early packets look delayed.
		{"reorder", "delay 100ms reorder 25% limit 100000", func(t *testing.T, arr []arrival, c Counters) {
			require.Equal(t, n, len(arr))
			early, overtook := 0, 0
			pos := map[uint64]int{}
			for i, a := range arr {
				pos[a.seq] = i
				// Delayed packets take at least the 100 ms (host latency only adds), so
				// anything faster was sent at once.
				if a.delay < 100*time.Millisecond {
					early++
				}
			}
			for seq := uint64(1); seq < n; seq++ {
				if pos[seq] < pos[seq-1] {
					overtook++
				}
			}
			// Each packet is sent at once with p=0.25 (no gap, no correlation).
			within5Sigma(t, "packets sent at once", early, n, 0.25)
			// The link's own count, against what the receiver saw (a host hiccup of 100 ms
			// may push a few early packets past the threshold).
			assert.InDelta(t, float64(c.Forward.Reordered), float64(early), n/100, "link's count vs packets seen early")
			// An early packet overtakes its predecessor when that one was delayed
			// (sent well within 100 ms before it): p = 0.25*0.75. Adjacent events are
			// exclusive, so the variance is below binomial. Two early packets queued
			// together may also swap (reorder puts them at the head, as netem does),
			// so that adds at most p = 0.25*0.25.
			mean, sd := (n-1)*0.25*0.75, math.Sqrt((n-1)*0.25*0.75*0.8125)
			assert.GreaterOrEqual(t, float64(overtook), mean-5*sd, "packets ahead of their predecessor")
			assert.LessOrEqual(t, float64(overtook), (n-1)*0.25+5*math.Sqrt((n-1)*0.25*0.75), "packets ahead of their predecessor")
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newSink(t, "udp4", "127.0.0.1:0")
			p := startProxy(t, s.addr(), tc.profile, "", 1)
			sendWindowed(t, p, dialer(t, p), 0, n, 100, 64, 1000)
			c := settle(t, p, s, 10*time.Second)
			arr := s.arrivals()
			for _, a := range arr {
				require.True(t, a.ok, "seq %d altered", a.seq)
			}
			// What the proxy says it delivered is what arrived: no loss outside the model.
			require.Equal(t, c.Forward.Delivered, uint64(len(arr)))
			require.Equal(t, c.Forward.Sent+c.Forward.Duplicated, c.Forward.Delivered+c.Forward.Lost+c.Forward.LimitDrops)
			tc.check(t, arr, c)
		})
	}
}

func uniq(arr []arrival) map[uint64]bool {
	m := map[uint64]bool{}
	for _, a := range arr {
		m[a.seq] = true
	}
	return m
}

// The delays the link draws follow the profile's distribution, every datagram arrives,
// and each really spends at least its drawn delay between sender and receiver. The
// draws are seen through the link's Observe hook, so host load (other packages' tests
// run alongside) cannot blur the statistics; how late past its due time a datagram
// leaves is the host's doing and is measured by BenchmarkLatency, not asserted here.
func TestRelayDelayDistribution(t *testing.T) {
	const n = 2000
	normalCDF := func(mu, sigma float64) func(float64) float64 {
		return func(x float64) float64 { return 0.5 * (1 + math.Erf((x-mu)/(sigma*math.Sqrt2))) }
	}
	cases := []struct {
		name     string
		profile  string
		min, max time.Duration // every delay the model can draw lies in [min, max]
		cdf      func(ms float64) float64
	}{
		{"fixed", "delay 15ms limit 100000", 15 * time.Millisecond, 15 * time.Millisecond,
			func(x float64) float64 { return step(x >= 15) }},
		{"uniform jitter", "delay 20ms 10ms limit 100000", 10 * time.Millisecond, 30 * time.Millisecond,
			func(x float64) float64 { return math.Min(1, math.Max(0, (x-10)/20)) }},
		{"normal", "delay 20ms 4ms distribution normal limit 100000", 4 * time.Millisecond, 36 * time.Millisecond,
			normalCDF(20, 4)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newSink(t, "udp4", "127.0.0.1:0")
			p := startProxy(t, s.addr(), tc.profile, "", 3)
			drawn := make([]time.Duration, n) // by sequence number; written under the link's lock
			d := p.dirs[Forward]
			d.mu.Lock()
			d.link.Observe = func(_ time.Duration, kind netem.EventKind, pkt *netem.Packet[*session]) {
				if kind == netem.EvEnqueue {
					drawn[binary.BigEndian.Uint64(pkt.Data)] = pkt.Due - pkt.Sent
				}
			}
			d.mu.Unlock()
			sendWindowed(t, p, dialer(t, p), 0, n, 64, 64, 1000)
			k := settle(t, p, s, 10*time.Second) // also orders the hook's writes before our reads
			t.Logf("proxy's own lateness: mean %.1fµs, max %.1fµs", k.Forward.LateMeanUS, k.Forward.LateMaxUS)

			arr := s.arrivals()
			require.Equal(t, n, len(arr))
			model := make([]float64, n)
			late := make([]float64, n)
			for i, a := range arr {
				require.GreaterOrEqual(t, drawn[a.seq], tc.min, "seq %d drawn below the profile's range", a.seq)
				require.LessOrEqual(t, drawn[a.seq], tc.max, "seq %d drawn above the profile's range", a.seq)
				require.GreaterOrEqual(t, a.delay, drawn[a.seq], "seq %d arrived before its due time", a.seq)
				model[i] = float64(drawn[a.seq]) / float64(time.Millisecond)
				late[i] = float64(a.delay-drawn[a.seq]) / float64(time.Millisecond)
			}
			sort.Float64s(model)
			sort.Float64s(late)
			t.Logf("drawn ms: min %.3f p50 %.3f max %.3f; late ms: p50 %.3f p99 %.3f max %.3f",
				model[0], model[n/2], model[n-1], late[n/2], late[n*99/100], late[n-1])
			// The empirical CDF of the draws against the model's at 21 points across its
			// range, each a binomial proportion.
			lo, hi := float64(tc.min)/1e6, float64(tc.max)/1e6
			for k := 0; k <= 20; k++ {
				x := lo + (hi-lo)*float64(k)/20
				f := tc.cdf(x)
				bound := 5*math.Sqrt(f*(1-f)/n) + 1.0/n
				got := float64(sort.SearchFloat64s(model, x+1e-9)) / n
				require.InDeltaf(t, f, got, bound, "P(delay <= %.2fms) = %.4f, model %.4f", x, got, f)
			}
			// How promptly past its due time each one left depends on the host's load, not
			// on the code: that is BenchmarkLatency's, and the proxy's own late_* counters.
		})
	}
}

func step(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func TestRelayOversizedAndEmptyDatagrams(t *testing.T) {
	sizes := []int{0, 1, 1472, 1473, 9000, 65507}
	networks := []struct{ name, network, addr string }{
		{"ipv4", "udp4", "127.0.0.1:0"},
		{"ipv6", "udp6", "[::1]:0"},
	}
	for _, nw := range networks {
		for _, prof := range []string{"", "corrupt 100% duplicate 50%"} {
			t.Run(nw.name+"/"+prof, func(t *testing.T) {
				if nw.network == "udp6" {
					if c, err := net.ListenUDP("udp6", &net.UDPAddr{IP: net.IPv6loopback}); err != nil {
						t.Skip("no IPv6 loopback:", err)
					} else {
						c.Close()
					}
				}
				up := newEcho(t, nw.network, nw.addr)
				p := startProxy(t, up.LocalAddr().String(), prof, "", 1)
				c := dialer(t, p)
				buf := make([]byte, maxDatagram+1)
				for _, size := range sizes {
					msg := make([]byte, size)
					for i := range msg {
						msg[i] = byte(i * 7)
					}
					_, err := c.Write(msg)
					require.NoError(t, err, "size %d", size)
					require.NoError(t, c.SetReadDeadline(time.Now().Add(5*time.Second)))
					n, err := c.Read(buf)
					require.NoError(t, err, "reply to a %d-byte datagram", size)
					require.Equal(t, size, n, "reply length")
					if prof == "" {
						require.Equal(t, msg, buf[:n])
					} else if size > 0 {
						require.Equal(t, 1, bitsDiffer(msg, buf[:n]), "corrupt flips exactly one bit")
					}
					// Drain a duplicate, if one was made, before the next size.
					waitFor(t, 5*time.Second, func() bool {
						k := p.Counters()
						return k.Forward.InFlight == 0 && k.Reverse.InFlight == 0
					}, "links did not drain")
					for {
						require.NoError(t, c.SetReadDeadline(time.Now().Add(20*time.Millisecond)))
						if _, err := c.Read(buf); err != nil {
							require.ErrorIs(t, err, os.ErrDeadlineExceeded)
							break
						}
					}
				}
				k := p.Counters()
				assert.Equal(t, uint64(len(sizes)), k.Forward.Sent)
				assert.Zero(t, k.Forward.WriteErrors+k.Reverse.WriteErrors)
			})
		}
	}
}

func bitsDiffer(a, b []byte) int {
	n := 0
	for i := range a {
		x := a[i] ^ b[i]
		for ; x != 0; x &= x - 1 {
			n++
		}
	}
	return n
}

// Config.Correlation reaches both links and survives profile changes: with the kernel's
// get_crandom, "loss 10% 25%" loses far less than 10% (about 1.75%, see netem's
// TestKernelCorrelationFigures), as a real qdisc does.
func TestKernelCorrelationReachesTheLinks(t *testing.T) {
	const n = 20000
	s := newSink(t, "udp4", "127.0.0.1:0")
	p := startProxy(t, s.addr(), "loss 10% 25%", "loss 10% 25%", 3, func(c *Config) {
		c.Correlation = netem.CorrelationKernel
	})
	for _, d := range p.dirs {
		require.Equal(t, netem.CorrelationKernel, d.link.Correlation())
	}
	c := dialer(t, p)
	sendWindowed(t, p, c, 0, n, 64, 64, 0)
	lost := p.Counters().Forward.Lost
	// 5 sigma of the stated 10% would be 1788..2212; the kernel's rate is about 1.75%.
	assert.Less(t, lost, uint64(n*5/100), "lost %d of %d", lost, n)
	assert.Greater(t, lost, uint64(n*1/100), "lost %d of %d", lost, n)

	p.SetProfile(Forward, mustParse(t, "delay 1ms 1ms 50% loss 5% 50%"))
	p.ChangeProfile(Reverse, mustParse(t, "loss 5% 50%"))
	for _, d := range p.dirs {
		require.Equal(t, netem.CorrelationKernel, d.link.Correlation(), "a profile change keeps the correlation mode")
	}

	_, err := New(Config{Listen: "127.0.0.1:0", Upstream: s.addr(), Correlation: 9})
	require.ErrorContains(t, err, "Correlation")
}
