package thirdparty

import (
	"fmt"
	"math"
	"net"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/miekg/dns"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/dist-example/dist-example/simnet"
)

const dnsProfile = "delay 20ms 5ms loss 10% reorder 25%"

// dnsResult is what one run of the dns scenario saw.
type dnsResult struct {
	answered, attempts int
	elapsed            time.Duration // the network's virtual time at the end
	spent              time.Duration // the client's own account: every attempt's duration, summed
	rtts               []time.Duration
	delays             []time.Duration // one-way delays of copies netem did not reorder
	events             []simnet.Event
}

// runDNS serves A records with miekg/dns on host "ns" and asks queries of them from host
// "client" over a conn from Host.Dial, retrying each query after 100ms without an answer,
// through dnsProfile. It runs inside a synctest bubble.
func runDNS(t *testing.T, seed uint64, queries int) dnsResult {
	var res dnsResult
	var mu sync.Mutex
	observe := func(e simnet.Event) {
		res.events = append(res.events, e)
		if e.Kind == simnet.EvQueued && !e.Reordered {
			res.delays = append(res.delays, e.Due-e.At)
		}
	}
	n := newNet(t, seed, dnsProfile, observe, "ns", "client")
	pc, err := n.Listen("ns:53")
	require.NoError(t, err)
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(r)
		m.Answer = append(m.Answer, &dns.A{
			Hdr: dns.RR_Header{Name: r.Question[0].Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60},
			A:   net.IPv4(192, 0, 2, byte(r.Id)),
		})
		_ = w.WriteMsg(m)
	})}
	started := make(chan struct{})
	srv.NotifyStartedFunc = func() { close(started) }
	served := make(chan error, 1)
	go func() { served <- srv.ActivateAndServe() }()
	<-started

	conn, err := n.Host("client").Dial("ns:53")
	require.NoError(t, err)
	co := &dns.Conn{Conn: conn}
	cl := &dns.Client{Net: "udp", Timeout: 100 * time.Millisecond}
	for i := range queries {
		q := new(dns.Msg)
		q.SetQuestion(fmt.Sprintf("h%d.example.", i), dns.TypeA)
		q.Id = uint16(i) // dns.Id is crypto/rand: fixed here so the bytes replay too
		for try := 0; try < 50; try++ {
			res.attempts++
			start := time.Now()
			r, rtt, err := cl.ExchangeWithConn(q, co)
			mu.Lock()
			res.spent += time.Since(start)
			mu.Unlock()
			if err == nil {
				require.Len(t, r.Answer, 1)
				require.Equal(t, q.Question[0].Name, r.Answer[0].Header().Name)
				res.answered++
				res.rtts = append(res.rtts, rtt)
				break
			}
			require.ErrorContains(t, err, "timeout", "query %d try %d", i, try)
		}
	}
	require.NoError(t, conn.Close())
	require.NoError(t, srv.Shutdown())
	require.NoError(t, <-served)
	res.elapsed = n.Elapsed()
	return res
}

// TestDNS: an unmodified miekg/dns server and client, 1000 queries with retries through
// delay 20ms 5ms loss 10% reorder 25%, in virtual time.
func TestDNS(t *testing.T) {
	defer goleak.VerifyNone(t)
	const queries = 1000
	wall := time.Now()
	var res dnsResult
	synctest.Test(t, func(t *testing.T) { res = runDNS(t, 1, queries) })
	t.Logf("%d queries answered in %d attempts, %v of virtual time, %v of real time",
		res.answered, res.attempts, res.elapsed, time.Since(wall))

	require.Equal(t, queries, res.answered, "every query answered")
	// The virtual time is exactly what the client spent waiting: replies and timeouts,
	// with nothing in between (no 1 ms stepping, no time running away).
	require.Equal(t, res.spent, res.elapsed)
	// An attempt fails when the query or the reply is lost: p = 1 - 0.9^2 = 0.19. The
	// number of attempts is geometric per query; bound it by 6 standard deviations.
	p := 0.81
	mean := queries / p
	sd := math.Sqrt(queries * (1 - p) / (p * p))
	require.InDelta(t, mean, float64(res.attempts), 6*sd, "attempts")
	// One-way delays of copies netem did not reorder: uniform in 20ms +- 5ms (netem's
	// jitter is uniform), so their mean is 20ms with a standard error of
	// 5ms/sqrt(3)/sqrt(k).
	var sum time.Duration
	notWholeMs := 0
	for _, d := range res.delays {
		require.GreaterOrEqual(t, d, 15*time.Millisecond)
		require.LessOrEqual(t, d, 25*time.Millisecond)
		sum += d
		if d%time.Millisecond != 0 {
			notWholeMs++
		}
	}
	k := float64(len(res.delays))
	se := float64(5*time.Millisecond) / math.Sqrt(3) / math.Sqrt(k)
	require.InDelta(t, float64(20*time.Millisecond), float64(sum)/k, 6*se, "mean one-way delay")
	require.Greater(t, notWholeMs, len(res.delays)*9/10, "delays are not rounded to the millisecond")
	// Round trips: two one-way delays (a reordered copy leaves at once), at most 50ms.
	for _, rtt := range res.rtts {
		require.LessOrEqual(t, rtt, 50*time.Millisecond)
	}
}
