package thirdparty

import (
	"runtime"
	"testing"
	"testing/cryptotest"
	"testing/synctest"

	"github.com/stretchr/testify/require"

	"github.com/dist-example/dist-example/simnet"
	"github.com/dist-example/dist-example/simnet/simnettest"
)

// withProcs runs f at GOMAXPROCS p.
func withProcs(p int, f func()) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(p))
	f()
}

// The dns scenario replays event for event, at GOMAXPROCS 1 and then 2: its network
// decisions come from per-link streams, and the client has one query outstanding.
func TestDNSReplays(t *testing.T) {
	procs := []int{1, 2}
	run := 0
	simnettest.Replay(t, func(observe func(simnet.Event)) {
		withProcs(procs[run%2], func() {
			synctest.Test(t, func(t *testing.T) {
				res := runDNS(t, 7, 200)
				for _, e := range res.events {
					observe(e)
				}
			})
		})
		run++
	})
}

// TestReplayFigures measures how often runs replay byte-identically (the text trace of
// every event) against the first run, and per link (simnettest.Canonical), for the dns and quic-go scenarios at GOMAXPROCS 1
// and 2, crypto/rand fixed with cryptotest.SetGlobalRandom. The figures are logged (run
// with -v); only dns is required to replay.
func TestReplayFigures(t *testing.T) {
	if testing.Short() {
		t.Skip("measurement")
	}
	const runs = 5
	for _, sc := range []struct {
		name string
		run  func(t *testing.T) []simnet.Event
	}{
		{"dns", func(t *testing.T) []simnet.Event { return runDNS(t, 3, 300).events }},
		{"quic", func(t *testing.T) []simnet.Event { return runQUIC(t, 3, quicProfile, 256<<10).events }},
	} {
		for _, p := range []int{1, 2} {
			var first []simnet.Event
			same, canon, where := 0, 0, ""
			for i := range runs {
				var evs []simnet.Event
				withProcs(p, func() {
					cryptotest.SetGlobalRandom(t, 1)
					synctest.Test(t, func(t *testing.T) { evs = sc.run(t) })
				})
				if i == 0 {
					first = evs
					continue
				}
				if simnettest.FirstDiff(first, evs) < 0 {
					same++
				}
				if simnettest.FirstDiff(simnettest.Canonical(first), simnettest.Canonical(evs)) < 0 {
					canon++
				} else if where == "" {
					where = "canonical: " + simnettest.Describe(simnettest.Canonical(first), simnettest.Canonical(evs))
				}
			}
			t.Logf("%s GOMAXPROCS=%d: %d of %d runs identical to the first, %d identical per link (Canonical) %s",
				sc.name, p, same, runs-1, canon, where)
			if sc.name == "dns" {
				require.Equal(t, runs-1, same, "dns replays")
			}
		}
	}
}
