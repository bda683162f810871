package simnettest_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dist-example/dist-example/simnet"
	"github.com/dist-example/dist-example/simnet/netem"
	"github.com/dist-example/dist-example/simnet/simnettest"
)

// run sends count datagrams through a lossy link, cooperatively, from seed.
func run(t *testing.T, seed uint64, count int, observe func(simnet.Event)) {
	p, err := netem.Parse("delay 10ms 5ms loss 20%")
	require.NoError(t, err)
	n, err := simnet.New(simnet.Config{Seed: seed, Default: p, Observe: observe})
	require.NoError(t, err)
	defer n.Close()
	for _, h := range []string{"a", "b"} {
		_, err := n.AddHost(h)
		require.NoError(t, err)
	}
	c, err := n.Listen("a:0")
	require.NoError(t, err)
	n.Go("sender", func() {
		for range count {
			_, _ = c.WriteTo([]byte("x"), &netAddr{"b:9"})
			n.Clock().Sleep(time.Millisecond)
		}
	})
	require.NoError(t, n.Run())
}

type netAddr struct{ s string }

func (a *netAddr) Network() string { return "udp" }
func (a *netAddr) String() string  { return a.s }

func TestReplayPasses(t *testing.T) {
	evs := simnettest.Replay(t, func(observe func(simnet.Event)) { run(t, 1, 100, observe) })
	require.NotEmpty(t, evs)
}

// FirstDiff and Describe name the first event where two runs differ.
func TestFirstDiff(t *testing.T) {
	var a, b, c simnettest.Recorder
	run(t, 1, 100, a.Observe)
	run(t, 2, 100, b.Observe)
	run(t, 1, 99, c.Observe)
	require.Equal(t, -1, simnettest.FirstDiff(a.Events(), a.Events()))
	require.Empty(t, simnettest.Describe(a.Events(), a.Events()))
	i := simnettest.FirstDiff(a.Events(), b.Events())
	require.GreaterOrEqual(t, i, 0)
	require.NotEqual(t, a.Events()[i], b.Events()[i])
	require.Equal(t, a.Events()[:i], b.Events()[:i])
	d := simnettest.Describe(a.Events(), b.Events())
	require.Contains(t, d, a.Events()[i].String())
	require.Contains(t, d, b.Events()[i].String())
	// A run cut short differs where it has an event less.
	j := simnettest.FirstDiff(a.Events(), c.Events())
	require.GreaterOrEqual(t, j, 0)
	require.True(t, strings.Contains(simnettest.Describe(a.Events(), c.Events()), "#"))
}

// Replay fails the test when the scenario does not replay.
func TestReplayFails(t *testing.T) {
	seed := uint64(0)
	ft := &fakeT{TB: t}
	simnettest.Replay(ft, func(observe func(simnet.Event)) {
		seed++
		run(t, seed, 50, observe)
	})
	require.True(t, ft.failed)
	require.Contains(t, ft.msg, "first difference at event #")
}

type fakeT struct {
	testing.TB
	failed bool
	msg    string
}

func (f *fakeT) Helper() {}
func (f *fakeT) Fatalf(format string, args ...any) {
	f.failed = true
	f.msg = fmt.Sprintf(format, args...)
}
