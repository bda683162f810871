package netem

import (
	"fmt"
	"math"
	"math/bits"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

// The ten checkable facts of netem-facts.md §6, one test each.

// Fact 1: delay D J without a table lies in [D−J, D+J) with mean ≈ D; J = 0 gives D.
func TestFact1UniformDelay(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		d := time.Duration(rapid.Int64Range(int64(time.Millisecond), int64(time.Second)).Draw(rt, "delay"))
		j := time.Duration(rapid.Int64Range(0, int64(d)).Draw(rt, "jitter"))
		seed := rapid.Uint64().Draw(rt, "seed")
		const n = 2000
		l := NewLink[int](Profile{Limit: n, Delay: d, Jitter: j}, seed)
		var sum float64
		for i := range n {
			now := time.Duration(i) * time.Microsecond
			l.Enqueue(now, Packet[int]{})
		}
		for l.Len() > 0 {
			p, ok := l.Dequeue(time.Hour)
			require.True(rt, ok)
			delay := p.Due - p.Sent
			if j == 0 {
				require.Equal(rt, d, delay)
			}
			require.GreaterOrEqual(rt, delay, d-j)
			if j > 0 {
				require.Less(rt, delay, d+j)
			}
			sum += float64(delay)
		}
		// Uniform over the integers [D−J, D+J−1] (mean D − 1/2, sd J/√3) up to the
		// kernel's modulo bias: R mod 2J favours small values when 2J is not tiny
		// next to 2^32, so the exact mean of R mod 2J is used.
		want := float64(d)
		if j > 0 {
			want = float64(d-j) + modMean(uint64(2*j))
		}
		bound := 5*float64(j)/math.Sqrt(3*n) + 1
		require.InDelta(rt, want, sum/n, bound, "delay %v jitter %v seed %d", d, j, seed)
	})
}

// modMean is the mean of R mod m for R uniform over 32 bits.
func modMean(m uint64) float64 {
	const n = 1 << 32
	q, r := n/m, n%m
	sum := float64(q)*float64(m)*float64(m-1)/2 + float64(r)*float64(r-1)/2
	return sum / n
}

// Fact 2: with normal every delay is within D ± 4J; with pareto within about
// [D − 0.667J, D + 4J] and the median is below D.
func TestFact2TableDelay(t *testing.T) {
	const d, j = 100 * time.Millisecond, 10 * time.Millisecond
	cases := []struct {
		dist     string
		lo, hi   time.Duration
		medianLT bool
	}{
		{"normal", d - 4*j, d + 4*j, false},
		{"pareto", d - j*2/3 - 1, d + 4*j, true},
		{"paretonormal", d - 4*j, d + 4*j, true},
	}
	for _, c := range cases {
		t.Run(c.dist, func(t *testing.T) {
			p := mustParse(t, fmt.Sprintf("limit 20000 delay %v %v distribution %s", d, j, c.dist))
			const n = 20000
			l := NewLink[int](p, 7)
			delays := make([]time.Duration, 0, n)
			for i := range n {
				l.Enqueue(time.Duration(i), Packet[int]{})
			}
			for l.Len() > 0 {
				pk, _ := l.Dequeue(time.Hour)
				delays = append(delays, pk.Due-pk.Sent)
			}
			slices.Sort(delays)
			assert.GreaterOrEqual(t, delays[0], c.lo)
			assert.LessOrEqual(t, delays[n-1], c.hi)
			if c.medianLT {
				assert.Less(t, delays[n/2], d)
			}
			// The draw picks table entries uniformly: the sample mean matches the
			// table's mean within 5 standard errors.
			tab := tableFor(p.Dist, p.Table)
			var m, m2 float64
			for _, v := range tab.Values() {
				x := float64(v) / distScale * float64(j)
				m += x
				m2 += x * x
			}
			m /= distSize
			sd := math.Sqrt(m2/distSize - m*m)
			var sum float64
			for _, x := range delays {
				sum += float64(x - d)
			}
			assert.InDelta(t, m, sum/n, 5*sd/math.Sqrt(n)+1)
		})
	}
}

// Fact 3: with reorder 100% gap G, delay above the spacing and no loss, exactly the
// packets at positions kG overtake their predecessors.
func TestFact3GapPattern(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		g := rapid.IntRange(2, 10).Draw(rt, "gap")
		n := rapid.IntRange(g, 60).Draw(rt, "packets")
		p := mustParse(rt, fmt.Sprintf("delay 10ms reorder 100%% gap %d", g))
		l := NewLink[int](p, rapid.Uint64().Draw(rt, "seed"))
		out := drive(rt, l, every(n, time.Millisecond), fixedSize(10))
		require.Len(rt, out, n)
		pos := make([]int, n) // delivery position of packet i
		for k, d := range out {
			pos[d.pkt.Meta] = k
			require.Equal(rt, (d.pkt.Meta+1)%g == 0, d.pkt.Reordered, "packet %d", d.pkt.Meta+1)
		}
		for i := 1; i < n; i++ {
			overtakes := pos[i] < pos[i-1]
			require.Equal(rt, (i+1)%g == 0, overtakes, "packet %d (1-based), gap %d", i+1, g)
		}
	})
}

// Fact 4: with reorder P and no correlation each packet is sent at once independently
// with probability P, with no added delay.
func TestFact4ReorderNoGap(t *testing.T) {
	for _, pct := range []float64{1, 10, 25, 50, 90} {
		t.Run(fmt.Sprint(pct), func(t *testing.T) {
			p := mustParse(t, fmt.Sprintf("delay 10ms reorder %g%%", pct))
			const n = 50000
			l := NewLink[int](p, uint64(pct))
			xs := make([]float64, n)
			for i := range n {
				now := time.Duration(i) * time.Millisecond
				l.Enqueue(now, Packet[int]{Meta: i})
				for {
					pk, ok := l.Dequeue(now)
					if !ok {
						break
					}
					if pk.Reordered {
						xs[pk.Meta] = 1
						require.Equal(t, pk.Sent, pk.Due)
						require.Equal(t, now, pk.Sent)
					}
				}
			}
			f := pct / 100
			assert.InDelta(t, f, mean(xs), binomialBound(f, n, 1))
			assert.InDelta(t, 0, lag1(xs), 5/math.Sqrt(n))
		})
	}
}

// Fact 5: with rate R departures never decrease, even with jitter; without delay,
// back-to-back packets are spaced floor((L+ovh)·1e9/R) ns apart.
func TestFact5Rate(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		kbit := rapid.IntRange(8, 100_000).Draw(rt, "kbit")
		size := rapid.IntRange(1, 1500).Draw(rt, "size")
		ovh := rapid.IntRange(-size, 100).Draw(rt, "overhead")
		jitter := rapid.IntRange(0, 50).Draw(rt, "jitterMs")
		text := fmt.Sprintf("rate %dkbit %d", kbit, ovh)
		if jitter > 0 {
			text = fmt.Sprintf("delay 50ms %dms ", jitter) + text
		}
		p := mustParse(rt, text)
		l := NewLink[int](p, rapid.Uint64().Draw(rt, "seed"))
		n := 50
		out := drive(rt, l, make([]time.Duration, n), fixedSize(size)) // all at t = 0
		require.Len(rt, out, n)
		tx := time.Duration(int64(size+ovh) * 1e9 / (int64(kbit) * 1000 / 8))
		for i := 1; i < n; i++ {
			require.GreaterOrEqual(rt, out[i].at, out[i-1].at, "departures decreased")
			require.Equal(rt, out[i-1].pkt.Meta+1, out[i].pkt.Meta, "rate must keep order")
			if jitter == 0 {
				require.Equal(rt, tx, out[i].pkt.Due-out[i-1].pkt.Due)
			}
		}
	})
}

// Fact 6: rate R 0 48 5 charges ceil(L/48)·53 bytes per packet.
func TestFact6Cells(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		size := rapid.IntRange(0, 9000).Draw(rt, "size")
		p := mustParse(rt, "rate 1mbit 0 48 5")
		l := NewLink[int](p, 1)
		l.Enqueue(0, Packet[int]{Data: make([]byte, size)})
		l.Enqueue(0, Packet[int]{Data: make([]byte, size)})
		a, _ := l.Dequeue(time.Hour)
		b, _ := l.Dequeue(time.Hour)
		charged := uint64((size + 47) / 48 * 53)
		hi, lo := bits.Mul64(charged, 1e9)
		want, _ := bits.Div64(hi, lo, 125000)
		require.Equal(rt, time.Duration(want), a.Due)
		require.Equal(rt, time.Duration(want), b.Due-a.Due)
	})
}

// Fact 7: if duplicate and loss both fire exactly one copy is delivered, and a packet
// never yields three copies.
func TestFact7DuplicateAndLoss(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		dup := rapid.IntRange(0, 100).Draw(rt, "duplicate")
		loss := rapid.IntRange(0, 100).Draw(rt, "loss")
		p := mustParse(rt, fmt.Sprintf("delay 1ms duplicate %d%% loss %d%%", dup, loss))
		l := NewLink[int](p, rapid.Uint64().Draw(rt, "seed"))
		const n = 300
		queued := make([]int, n)
		var ghosts int
		l.Observe = func(_ time.Duration, kind EventKind, pk *Packet[int]) {
			if kind == EvEnqueue {
				queued[pk.Meta]++
			}
		}
		for i := range n {
			o, made, d := l.Enqueue(time.Duration(i)*time.Millisecond, Packet[int]{Meta: i})
			if made && d == Lost && o == Queued {
				ghosts++ // both fired (or the clone was lost on its own): one copy goes on
				require.Equal(rt, 1, queued[i])
			}
		}
		got := make([]int, n)
		for l.Len() > 0 {
			pk, ok := l.Dequeue(time.Hour)
			require.True(rt, ok)
			got[pk.Meta]++
		}
		for i := range n {
			require.LessOrEqual(rt, got[i], 2, "packet %d delivered %d times", i, got[i])
			require.Equal(rt, queued[i], got[i])
		}
		if dup == 100 && loss == 100 {
			require.Equal(rt, n, ghosts)
			require.Equal(rt, slices.Repeat([]int{1}, n), got)
		}
	})
}

// Fact 8: with limit N, a long delay and N+k back-to-back packets exactly the last k are
// dropped, counted as limit drops and nothing else.
func TestFact8Limit(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		n := rapid.IntRange(1, 200).Draw(rt, "limit")
		k := rapid.IntRange(0, 50).Draw(rt, "extra")
		p := mustParse(rt, fmt.Sprintf("limit %d delay 1s", n))
		l := NewLink[int](p, 1)
		for i := range n + k {
			v, _, _ := l.Enqueue(0, Packet[int]{Meta: i})
			want := Queued
			if i >= n {
				want = LimitDrop
			}
			require.Equal(rt, want, v, "packet %d", i)
		}
		st := l.Stats()
		require.Equal(rt, uint64(k), st.LimitDrops)
		require.Zero(rt, st.Lost)
		require.Equal(rt, uint64(n), st.InFlight)
	})
}

// Fact 9: loss gemodel p and loss state p give long-run loss ≈ p with lag-1
// autocorrelation ≈ 0; a full gemodel gives [r(1−k)+p(1−h)]/(p+r).
func TestFact9Markov(t *testing.T) {
	const n = 200_000
	for _, text := range []string{"loss gemodel 5%", "loss state 5%", "loss gemodel 20%", "loss state 1%"} {
		t.Run(text, func(t *testing.T) {
			p := mustParse(t, text)
			want := p.Loss.P.Percent() / 100
			if p.Loss.Model == LossState {
				want = p.Loss.P13.Percent() / 100
			}
			xs := lossSeries(t, p, 99, n)
			assert.InDelta(t, want, mean(xs), binomialBound(want, n, 1))
			assert.InDelta(t, 0, lag1(xs), 5/math.Sqrt(n))
		})
	}
	t.Run("full gemodel", func(t *testing.T) {
		const pp, r, h1, k1 = 0.05, 0.30, 0.80, 0.01
		p := mustParse(t, "loss gemodel 5% 30% 80% 1%")
		want := (r*k1 + pp*h1) / (pp + r)
		xs := lossSeries(t, p, 5, n)
		// The state chain's second eigenvalue λ = 1−p−r inflates the variance of the
		// mean by at most (1+λ)/(1−λ).
		lambda := 1 - pp - r
		assert.InDelta(t, want, mean(xs), binomialBound(want, n, (1+lambda)/(1-lambda)))
		assert.Greater(t, lag1(xs), 0.3, "bursty losses must be correlated")
	})
}

// Fact 10: a corrupted copy differs from the original in exactly one bit and keeps its
// length.
func TestFact10Corruption(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		payload := rapid.SliceOfN(rapid.Byte(), 0, 300).Draw(rt, "payload")
		p := mustParse(rt, "corrupt 100%")
		l := NewLink[int](p, rapid.Uint64().Draw(rt, "seed"))
		l.Enqueue(0, Packet[int]{Data: slices.Clone(payload)})
		got, ok := l.Dequeue(0)
		require.True(rt, ok)
		require.Len(rt, got.Data, len(payload))
		diff := 0
		for i := range payload {
			diff += bits.OnesCount8(payload[i] ^ got.Data[i])
		}
		if len(payload) == 0 {
			require.False(rt, got.Corrupted)
			require.Zero(rt, l.Stats().Corrupted)
			return
		}
		require.Equal(rt, 1, diff)
		require.True(rt, got.Corrupted)
		require.Equal(rt, uint64(1), l.Stats().Corrupted)
	})
}
