package lab

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"testing"
	"time"

	"github.com/dist-example/dist-example/realnet/proxy"
	"github.com/dist-example/dist-example/simnet/netem"
)

// proxyReportEvery is how often a lab proxy prints its counters, so Counters is never
// staler than this while it runs.
const proxyReportEvery = 20 * time.Millisecond

// Proxy is a `dist-example proxy` running in a lab host: netem in user space between the
// sender and the receiver, for the delay, jitter and reordering this kernel's qdiscs
// cannot add.
type Proxy struct {
	Addr netip.AddrPort // where the host's senders send (read-only)
	d    *daemon
}

// StartProxy starts `dist-example proxy` in the host, listening on listen and relaying to
// upstream through the netem profile netemText (tc's syntax, e.g. "delay 20ms 10ms
// reorder 20%"), its draws seeded with seed. It returns once the listening socket is
// bound, and kills the proxy in t.Cleanup if it is still running.
//
// Run it in the sender's host, listening on 127.0.0.1, with the receiver's address as
// upstream: the impaired stream then crosses the veth pair as it would leave a host with
// netem on its egress, and host2's counters see what the proxy delivered.
func (h *Host) StartProxy(t testing.TB, bin string, listen, upstream netip.AddrPort, netemText string, seed uint64) *Proxy {
	t.Helper()
	cmd := h.DistExample(context.Background(), bin, "proxy", "-listen", listen.String(),
		"-upstream", upstream.String(), "-netem", netemText, "-seed", strconv.FormatUint(seed, 10),
		"-interval", proxyReportEvery.String(), "-format", proxy.FormatJSON)
	return &Proxy{Addr: listen, d: h.startDaemon(t, "the proxy", cmd, listen.String(), int(listen.Port()))}
}

// Counters returns the counters the proxy reported last (at most proxyReportEvery old),
// or zero counters before its first report.
func (p *Proxy) Counters(t testing.TB) proxy.Counters {
	t.Helper()
	last := lastLine(p.d.stdout.String())
	if last == "" {
		return proxy.Counters{}
	}
	c, _, err := parseProxyReport(last)
	if err != nil {
		t.Fatalf("lab: %v", err)
	}
	return c
}

// Stop ends the proxy with SIGTERM and returns the final counters it printed.
func (p *Proxy) Stop(t testing.TB) proxy.Counters {
	t.Helper()
	last := lastLine(p.d.stop(t))
	c, event, err := parseProxyReport(last)
	if err != nil {
		t.Fatalf("lab: %v", err)
	}
	if event != "final" {
		t.Fatalf("lab: the proxy's last report is %q, want \"final\": %s", event, last)
	}
	return c
}

// parseProxyReport decodes one JSON report line of `dist-example proxy -format json`.
func parseProxyReport(line string) (proxy.Counters, string, error) {
	var v struct {
		Event string `json:"event"`
		proxy.Counters
	}
	if err := json.Unmarshal([]byte(line), &v); err != nil {
		return proxy.Counters{}, "", fmt.Errorf("the proxy's report is not JSON counters: %q: %w", line, err)
	}
	return v.Counters, v.Event, nil
}

// ProxyModel is what a profile makes of each datagram sent through the proxy, as
// probabilities of independent events: netem's pipeline (duplicate drawn, then loss; when
// both fire the original goes on; a clone draws its own loss), with the reorder draw for
// every copy that is queued.
type ProxyModel struct {
	NoCopy     float64 // no copy delivered: the receiver's count minus its Unique
	TwoCopies  float64 // both copies delivered: the receiver's Duplicates
	Lost       float64 // the proxy counts Lost (at most one per datagram)
	Duplicated float64 // the proxy counts Duplicated
	// Reorder is per delivered copy: the proxy's Reordered is Binomial(Delivered, Reorder).
	Reorder float64
	// DelayedOnly: delivered, every copy delayed. A copy sent at once leaves before any
	// copy of a later datagram was even read, so the receiver's Reordered (first copies
	// arriving after a higher number) counts only such datagrams: at most this many, and
	// nearly all of them when the least delay spans several sends.
	DelayedOnly float64
}

// PredictProxy returns the model of profile p: uncorrelated random loss, duplicate and
// reorder (gap 1) with any delay and jitter. Other clauses change the numbers (corrupt,
// rate, slot, ECN, the loss state models, correlations, gap > 1, a queue limit below the
// traffic), so it refuses them with an error naming the clause.
func PredictProxy(p netem.Profile) (ProxyModel, error) {
	refuse := []struct {
		clause string
		bad    bool
	}{
		{"loss state/gemodel (use loss random)", p.Loss.Model != netem.LossNone && p.Loss.Model != netem.LossRandom},
		{"a loss correlation", p.Loss.Corr != 0},
		{"a duplicate correlation", p.DuplicateCorr != 0},
		{"a reorder correlation", p.ReorderCorr != 0},
		{"reorder gap > 1", p.Gap > 1},
		{"corrupt", p.Corrupt != 0},
		{"rate", p.Rate.Bytes != 0},
		{"slot", p.Slot != netem.Slot{}},
		{"ecn", p.ECN},
	}
	for _, c := range refuse {
		if c.bad {
			return ProxyModel{}, fmt.Errorf("lab: PredictProxy models loss, duplicate, reorder, delay and jitter only; the profile has %s", c.clause)
		}
	}
	l, d, r := p.Loss.P.Percent()/100, p.Duplicate.Percent()/100, p.Reorder.Percent()/100
	if p.Loss.Model == netem.LossNone {
		l = 0
	}
	// With a duplicate (d): loss fires on the original's draw (the clone is never made, the
	// original goes on), or the clone is made and draws its own loss.
	oneCopy := (1-d)*(1-l) + d*l + d*(1-l)*l
	return ProxyModel{
		NoCopy:      (1 - d) * l,
		TwoCopies:   d * (1 - l) * (1 - l),
		Lost:        l + d*(1-l)*l,
		Duplicated:  d,
		Reorder:     r,
		DelayedOnly: oneCopy*(1-r) + d*(1-l)*(1-l)*(1-r)*(1-r),
	}, nil
}

// Binomial returns the interval of mean ± sigmas standard deviations of a count
// distributed Binomial(n, p): a fixed-width check that fails by chance about once in
// 1.7 million runs at 5 sigmas.
func Binomial(n int64, p, sigmas float64) (lo, hi float64) {
	mean := float64(n) * p
	sd := math.Sqrt(float64(n) * p * (1 - p))
	return mean - sigmas*sd, mean + sigmas*sd
}
