package netem

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A probability of 0 takes no draw from netem's PRNG, as in the kernel, where each test
// is written "q->duplicate && q->duplicate >= get_crandom(...)" (likewise loss and
// corrupt). So each profile below uses exactly one draw per packet, for its one non-zero
// option, and the link's decisions are those of the raw stream.
func TestZeroProbabilityTakesNoDraw(t *testing.T) {
	const seed, packets = 99, 2000
	for _, tc := range []struct {
		text  string
		fired func(orig Verdict, dupMade bool, p *Packet[int]) bool
	}{
		{"loss 10%", func(orig Verdict, _ bool, _ *Packet[int]) bool { return orig == Lost }},
		{"duplicate 30%", func(_ Verdict, dupMade bool, _ *Packet[int]) bool { return dupMade }},
		{"corrupt 30%", func(_ Verdict, _ bool, p *Packet[int]) bool { return p.Corrupted }},
	} {
		t.Run(tc.text, func(t *testing.T) {
			p, err := Parse(tc.text)
			require.NoError(t, err)
			prob := p.Loss.P | p.Duplicate | p.Corrupt // the one that is set
			l := NewLink[int](p, seed)
			var corrupted *Packet[int]
			l.Observe = func(_ time.Duration, kind EventKind, q *Packet[int]) {
				if kind == EvEnqueue && !q.Duplicate {
					c := *q
					corrupted = &c
				}
			}
			var want rand.PCG
			seedPCG(&want, seed, streamMain)
			fires := 0
			for i := range packets {
				corrupted = nil
				orig, dupMade, _ := l.Enqueue(time.Duration(i), Packet[int]{Data: []byte{1, 2, 3}, Meta: i})
				if corrupted == nil {
					corrupted = &Packet[int]{}
				}
				got := tc.fired(orig, dupMade, corrupted)
				require.Equal(t, uint32(prob) >= uint32(want.Uint64()>>32), got, "packet %d", i)
				if got {
					fires++
				}
				for _, ok := l.Dequeue(time.Duration(i)); ok; _, ok = l.Dequeue(time.Duration(i)) {
				}
			}
			require.Positive(t, fires)
		})
	}
}
