package lab_test

import (
	"flag"
	"strings"
	"testing"
	"time"

	"github.com/dist-example/dist-example/simnet/netem"
)

// The experiment's knobs, for realnet/lab/lab.sh (which runs these tests with them) or
// `go test ./realnet/lab -args -lab.count 50000 ...`. Left alone, the tests run their
// defaults.
var (
	labCases    = flag.String("lab.cases", "clean,loss,rate,proxy", "comma-separated cases to run: clean, loss, rate, proxy")
	labCount    = flag.Int("lab.count", 20000, "datagrams in the loss case; the clean, rate and proxy cases send at most 2000, 1500 and 5000")
	labInterval = flag.Duration("lab.interval", 0, "the sender's interval (0: 100us, and 200us in the proxy case)")
	labLoss     = flag.Float64("lab.loss", 0.05, "the loss case's drop probability, 0 < P < 1")
	labRate     = flag.String("lab.rate", "1mbit", "the rate case's tbf rate, in tc's units")
	labSigmas   = flag.Float64("lab.sigmas", 5, "width of the statistical bounds, in binomial sigmas")
	labProxy    = flag.String("lab.proxy-netem", "delay 20ms 10ms loss 10% duplicate 5% reorder 20% limit 20000",
		"the proxy case's profile (delay [jitter] [distribution], loss, duplicate, reorder, limit, seed; no correlations or gap)")
	labProxySeed = flag.Uint64("lab.proxy-seed", 7, "the proxy's seed")
)

// runCase skips t unless -lab.cases names the case.
func runCase(t *testing.T, name string) {
	t.Helper()
	if !strings.Contains(","+*labCases+",", ","+name+",") {
		t.Skipf("case %s is not in -lab.cases %q", name, *labCases)
	}
}

// interval is -lab.interval, or def when it is not given.
func interval(def time.Duration) time.Duration {
	if *labInterval > 0 {
		return *labInterval
	}
	return def
}

// rateBits reads -lab.rate as tc does, in bits per second.
func rateBits(t *testing.T) float64 {
	t.Helper()
	p, err := netem.Parse("rate " + *labRate)
	if err != nil || p.Rate.Bytes == 0 {
		t.Fatalf("-lab.rate %q: want a rate in tc's units, e.g. 1mbit (%v)", *labRate, err)
	}
	return float64(p.Rate.Bytes * 8)
}
