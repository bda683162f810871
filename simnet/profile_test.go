package simnet_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dist-example/dist-example/simnet"
	"github.com/dist-example/dist-example/simnet/netem"
)

// profileRig is hosts a and b under a default profile, with a conn on each and a trace.
type profileRig struct {
	n     *simnet.Network
	a, b  *simnet.Conn
	trace *bytes.Buffer
}

func newProfileRig(t *testing.T, def string) *profileRig {
	t.Helper()
	r := &profileRig{trace: &bytes.Buffer{}}
	r.n = newNet(t, simnet.Config{Seed: 3, Default: mustParse(t, def), Trace: r.trace}, "a", "b")
	r.a, r.b = listen(t, r.n, "a:1"), listen(t, r.n, "b:1")
	return r
}

// send writes k datagrams from a to b and runs until they have left the link.
func (r *profileRig) send(t *testing.T, k int) {
	t.Helper()
	for range k {
		_, err := r.a.WriteTo([]byte("datagram"), r.b.LocalAddr())
		require.NoError(t, err)
	}
	require.NoError(t, r.n.RunFor(time.Second))
}

func (r *profileRig) stats(t *testing.T) simnet.Stats {
	t.Helper()
	s, err := r.n.LinkStats("a", "b")
	require.NoError(t, err)
	return s
}

// faultLines returns the trace's fault lines without their timestamps.
func (r *profileRig) faultLines() []string {
	var out []string
	for line := range strings.Lines(r.trace.String()) {
		if _, rest, ok := strings.Cut(strings.TrimSuffix(line, "\n"), " fault "); ok {
			out = append(out, rest)
		}
	}
	return out
}

// corruptBounds is the binomial mean +- 5 sigma of corrupt 50% over 1,000 datagrams.
const corruptLo, corruptHi = 500 - 80, 500 + 80

// SetLink and SetDefault install exactly the profile given, as tc qdisc replace does:
// the link's corrupt 50% is gone afterwards whether or not the link had carried traffic.
// ChangeLink merges with tc change semantics, and keeps corrupt, again whether or not
// the link had been used. LinkProfile and the trace say what the link really applies.
func TestProfileSemanticsIndependentOfUse(t *testing.T) {
	const def = "delay 5ms corrupt 50%"
	for _, tc := range []struct {
		name        string
		apply       func(n *simnet.Network) error
		wantProfile string
		wantFault   string
		corrupts    bool
	}{
		{"set-link", func(n *simnet.Network) error { return n.SetLink("a", "b", mustParse(t, "delay 1ms")) },
			"delay 1ms", "profile a->b delay 1ms", false},
		{"set-default", func(n *simnet.Network) error { return n.SetDefault(mustParse(t, "delay 1ms")) },
			"delay 1ms", "default delay 1ms", false},
		{"change-link", func(n *simnet.Network) error { return n.ChangeLink("a", "b", mustParse(t, "delay 1ms")) },
			"delay 1ms corrupt 50%", "change a->b delay 1ms corrupt 50%", true},
	} {
		for _, used := range []bool{false, true} {
			name := tc.name + "/before-first-use"
			if used {
				name = tc.name + "/after-one-datagram"
			}
			t.Run(name, func(t *testing.T) {
				r := newProfileRig(t, def)
				if used {
					r.send(t, 1)
				}
				before := r.stats(t)
				require.NoError(t, tc.apply(r.n))
				p, err := r.n.LinkProfile("a", "b")
				require.NoError(t, err)
				assert.Equal(t, tc.wantProfile, p.String(), "LinkProfile")
				assert.Equal(t, []string{tc.wantFault}, r.faultLines())

				r.send(t, 1000)
				after := r.stats(t)
				assert.Equal(t, before.Sent+1000, after.Sent, "counters are kept")
				corrupted := after.Corrupted - before.Corrupted
				if tc.corrupts {
					assert.True(t, corrupted >= corruptLo && corrupted <= corruptHi,
						"corrupted %d of 1000, want [%d, %d]", corrupted, corruptLo, corruptHi)
				} else {
					assert.Zero(t, corrupted, "the replaced profile has no corrupt")
				}
				p, err = r.n.LinkProfile("a", "b")
				require.NoError(t, err)
				assert.Equal(t, tc.wantProfile, p.String(), "LinkProfile after traffic")
			})
		}
	}
}

// A link changed with ChangeLink has its own profile: a later SetDefault leaves it alone,
// while the other direction follows the default.
func TestChangeLinkOwnsProfile(t *testing.T) {
	r := newProfileRig(t, "delay 5ms corrupt 50%")
	require.NoError(t, r.n.ChangeLink("a", "b", mustParse(t, "delay 1ms rate 1mbit")))
	require.NoError(t, r.n.ChangeLink("a", "b", mustParse(t, "delay 2ms")))
	require.NoError(t, r.n.SetDefault(mustParse(t, "loss 1%")))
	for _, tc := range []struct{ src, dst, want string }{
		{"a", "b", "delay 2ms corrupt 50% rate 1mbit"},
		{"b", "a", "loss 1%"},
	} {
		p, err := r.n.LinkProfile(tc.src, tc.dst)
		require.NoError(t, err)
		assert.Equal(t, tc.want, p.String(), "%s->%s", tc.src, tc.dst)
	}
	require.NoError(t, r.n.SetLink("a", "b", mustParse(t, "delay 3ms")))
	p, err := r.n.LinkProfile("a", "b")
	require.NoError(t, err)
	assert.Equal(t, "delay 3ms", p.String(), "SetLink replaces a changed profile whole")
	assert.Equal(t, []string{
		"change a->b delay 1ms corrupt 50% rate 1mbit",
		"change a->b delay 2ms corrupt 50% rate 1mbit",
		"default loss 1%",
		"profile a->b delay 3ms",
	}, r.faultLines())
}

// ChangeLink sets a link up before it carries anything; Links still lists only links
// that carried something, and the totals are unchanged.
func TestChangeLinkEarlyLinkNotListed(t *testing.T) {
	r := newProfileRig(t, "delay 5ms")
	require.NoError(t, r.n.ChangeLink("a", "b", mustParse(t, "delay 1ms")))
	assert.Empty(t, r.n.Links())
	assert.Equal(t, simnet.Stats{}, r.n.Stats())
	assert.Equal(t, simnet.Stats{}, r.stats(t))

	r.send(t, 2)
	links := r.n.Links()
	require.Len(t, links, 1)
	assert.Equal(t, "a", links[0].Src)
	assert.Equal(t, uint64(2), links[0].Stats.Delivered)
}

func TestChangeLinkErrors(t *testing.T) {
	r := newProfileRig(t, "")
	err := r.n.ChangeLink("a", "zz", mustParse(t, "delay 1ms"))
	assert.ErrorIs(t, err, simnet.ErrUnknownHost)
	assert.ErrorContains(t, err, "ChangeLink")
	err = r.n.ChangeLink("a", "b", netem.Profile{Delay: -time.Second})
	assert.ErrorIs(t, err, netem.ErrInvalid)
	assert.ErrorContains(t, err, "ChangeLink a->b")
	assert.Empty(t, r.faultLines(), "a refused change leaves no trace")
}

// rate charges the payload plus HeaderOverhead (IPv4 + UDP), as the kernel and the proxy
// do: back-to-back datagrams leave exactly one transmit time apart.
func TestRateChargesHeaders(t *testing.T) {
	for _, tc := range []struct {
		name    string
		profile string
		size    int
		gap     time.Duration
	}{
		{"100-bytes", "rate 1mbit", 100, (100 + 28) * 8 * time.Microsecond},
		{"empty", "rate 1mbit", 0, 28 * 8 * time.Microsecond},
		{"ethernet-overhead", "rate 1mbit 14", 100, (100 + 28 + 14) * 8 * time.Microsecond},
		{"after-delay", "delay 10ms rate 8mbit", 1000, 1028 * time.Microsecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := newNet(t, simnet.Config{Default: mustParse(t, tc.profile)}, "a", "b")
			src, dst := listen(t, n, "a:1"), listen(t, n, "b:1")
			const k = 5
			for range k {
				_, err := src.WriteTo(make([]byte, tc.size), dst.LocalAddr())
				require.NoError(t, err)
			}
			var at []time.Duration
			n.Go("receiver", func() {
				buf := make([]byte, 2000)
				for range k {
					if _, _, err := dst.ReadFrom(buf); err != nil {
						return
					}
					at = append(at, n.Clock().Since(simnet.Epoch))
				}
			})
			require.NoError(t, n.Run())
			require.Len(t, at, k)
			delay := mustParse(t, tc.profile).Delay
			for i, got := range at {
				assert.Equal(t, delay+time.Duration(i+1)*tc.gap, got, "datagram %d", i)
			}
			assert.Equal(t, 28, simnet.HeaderOverhead)
		})
	}
}
