package simnet_test

import (
	"sync"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/require"

	"github.com/dist-example/dist-example/simnet"
	"github.com/dist-example/dist-example/transport"
	"github.com/dist-example/dist-example/transport/transporttest"
)

// harness runs the conformance suite on a perfect two-host network, cooperative or in
// synctest mode, over conns from Listen or connected ones from Dial.
type harness struct {
	n    *simnet.Network
	dial bool
	wg   sync.WaitGroup // synctest mode: the plain goroutines started by Go
}

func (h *harness) Pair(t *testing.T) (a, b transport.PacketConn) {
	t.Helper()
	var ca, cb *simnet.Conn
	var err error
	if h.dial {
		// Each connected to the other, so each reads only what the other sends.
		ca, err = h.n.Dial("udp", "host1:5001", "host2:5002")
		require.NoError(t, err)
		cb, err = h.n.Dial("udp", "host2:5002", "host1:5001")
		require.NoError(t, err)
	} else {
		ca, err = h.n.Listen("host1:0")
		require.NoError(t, err)
		cb, err = h.n.Listen("host2:0")
		require.NoError(t, err)
	}
	t.Cleanup(func() { _ = ca.Close(); _ = cb.Close() })
	return ca, cb
}

func (h *harness) Clock() transport.Clock { return h.n.Clock() }

// Go: a simulated goroutine in cooperative mode, a plain go statement in synctest mode.
func (h *harness) Go(fn func()) {
	if h.isSynctest() {
		h.wg.Go(fn)
		return
	}
	h.n.Go("conformance", fn)
}

func (h *harness) isSynctest() bool { return h.n.Synctest() }

func (h *harness) Wait(t *testing.T) {
	t.Helper()
	if h.isSynctest() {
		h.wg.Wait()
		return
	}
	require.NoError(t, h.n.Run(), "seed %d", h.n.Seed())
}

func TestConformance(t *testing.T) {
	for _, mode := range []struct {
		name     string
		synctest bool
		dial     bool
	}{
		{"cooperative", false, false},
		{"cooperative-dial", false, true},
		{"synctest", true, false},
		{"synctest-dial", true, true},
	} {
		t.Run(mode.name, func(t *testing.T) {
			var wrap func(*testing.T, func(*testing.T))
			if mode.synctest {
				wrap = synctest.Test
			}
			transporttest.RunIn(t, wrap, func(t *testing.T) transporttest.Harness {
				n := newNet(t, simnet.Config{Seed: 1, Synctest: mode.synctest}, "host1", "host2")
				return &harness{n: n, dial: mode.dial}
			})
		})
	}
}
