package thirdparty

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dist-example/dist-example/simnet"
	"github.com/dist-example/dist-example/simnet/netem"
)

// newNet makes a synctest-mode network (call it inside synctest.Test) with the named
// hosts and profile on every link between them, closed when the test ends.
func newNet(t testing.TB, seed uint64, profile string, observe func(simnet.Event), hosts ...string) *simnet.Network {
	t.Helper()
	p, err := netem.Parse(profile)
	require.NoError(t, err)
	n, err := simnet.New(simnet.Config{Seed: seed, Default: p, Synctest: true, Observe: observe})
	require.NoError(t, err)
	for _, h := range hosts {
		_, err := n.AddHost(h)
		require.NoError(t, err)
	}
	t.Cleanup(func() { _ = n.Close() })
	return n
}
