package simnet_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dist-example/dist-example/simnet"
)

// newNet builds a network with the named hosts and closes it when the test ends, so no
// simulated goroutine outlives its test.
func newNet(t testing.TB, cfg simnet.Config, hosts ...string) *simnet.Network {
	t.Helper()
	n, err := simnet.New(cfg)
	require.NoError(t, err)
	for _, h := range hosts {
		_, err := n.AddHost(h)
		require.NoError(t, err)
	}
	t.Cleanup(func() { _ = n.Close() })
	return n
}

func listen(t testing.TB, n *simnet.Network, addr string) *simnet.Conn {
	t.Helper()
	c, err := n.Listen(addr)
	require.NoError(t, err)
	return c
}
