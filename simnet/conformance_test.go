package simnet_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dist-example/dist-example/simnet"
	"github.com/dist-example/dist-example/transport"
	"github.com/dist-example/dist-example/transport/transporttest"
)

// harness runs the conformance suite on a perfect two-host network.
type harness struct {
	n *simnet.Network
}

func (h *harness) Pair(t *testing.T) (a, b transport.PacketConn) {
	t.Helper()
	ca, err := h.n.Listen("host1:0")
	require.NoError(t, err)
	cb, err := h.n.Listen("host2:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ca.Close(); _ = cb.Close() })
	return ca, cb
}

func (h *harness) Clock() transport.Clock { return h.n.Clock() }
func (h *harness) Go(fn func())           { h.n.Go("conformance", fn) }

func (h *harness) Wait(t *testing.T) {
	t.Helper()
	require.NoError(t, h.n.Run(), "seed %d", h.n.Seed())
}

func TestConformance(t *testing.T) {
	transporttest.Run(t, func(t *testing.T) transporttest.Harness {
		n := newNet(t, simnet.Config{Seed: 1}, "host1", "host2")
		return &harness{n: n}
	})
}
