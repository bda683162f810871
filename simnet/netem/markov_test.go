package netem

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// chain is a finite Markov chain given by its transition matrix, used to predict what a
// loss model's long-run figures must be, independently of the link's code.
type chain [][]float64

// stationary returns π with πP = π, by power iteration from the uniform distribution.
func (c chain) stationary() []float64 {
	n := len(c)
	pi := make([]float64, n)
	for i := range pi {
		pi[i] = 1 / float64(n)
	}
	next := make([]float64, n)
	for range 100_000 {
		clear(next)
		for i, row := range c {
			for j, p := range row {
				next[j] += pi[i] * p
			}
		}
		var d float64
		for i := range pi {
			d = math.Max(d, math.Abs(next[i]-pi[i]))
		}
		pi, next = next, pi
		if d < 1e-15 {
			break
		}
	}
	return pi
}

// meanVar returns the stationary mean of f(X) and the asymptotic variance of its sample
// mean times n: Var(f) + 2 Σ_{k≥1} Cov(f(X_0), f(X_k)), summed until the terms vanish.
func (c chain) meanVar(f []float64) (mu, sigma2 float64) {
	pi := c.stationary()
	for i := range pi {
		mu += pi[i] * f[i]
	}
	cov := func(g []float64) float64 { // E[f(X_0) g(X_0)] − μ², g = P^k f
		var s float64
		for i := range pi {
			s += pi[i] * f[i] * g[i]
		}
		return s - mu*mu
	}
	sigma2 = cov(f)
	g := append([]float64(nil), f...)
	h := make([]float64, len(f))
	for range 1_000_000 {
		for i, row := range c {
			h[i] = 0
			for j, p := range row {
				h[i] += p * g[j]
			}
		}
		g, h = h, g
		term := cov(g)
		sigma2 += 2 * term
		if math.Abs(term) < 1e-14 {
			break
		}
	}
	return mu, sigma2
}

// pairs is the chain of consecutive states (X_t, X_{t+1}), state i*n+j.
func (c chain) pairs() chain {
	n := len(c)
	out := make(chain, n*n)
	for i := range n {
		for j := range n {
			row := make([]float64, n*n)
			for k := range n {
				row[j*n+k] = c[j][k]
			}
			out[i*n+j] = row
		}
	}
	return out
}

// fourStateChain is the 4-state model as netem-facts.md gives it (states 1..4 are
// indices 0..3); a packet is lost when the step lands in state 3 or 4.
func fourStateChain(p13, p31, p32, p23, p14 float64) (chain, []float64) {
	return chain{
		{1 - p13 - p14, 0, p13, p14},
		{0, 1 - p23, p23, 0},
		{p31, p32, 1 - p31 - p32, 0},
		{1, 0, 0, 0},
	}, []float64{0, 0, 1, 1}
}

// The 4-state model with all five parameters: the long-run loss rate and the rate of two
// losses in a row are the chain's, within 5 standard deviations of their sample means.
// The chain is built from the model's description, not from the link's code.
func TestLossStateFullLongRun(t *testing.T) {
	const n = 400_000
	for _, tc := range []struct {
		text                    string
		p13, p31, p32, p23, p14 float64
		seed                    uint64
	}{
		{"loss state 1% 30% 5% 10% 0.1%", 0.01, 0.30, 0.05, 0.10, 0.001, 7},
		{"loss state 5% 20% 30% 40% 2%", 0.05, 0.20, 0.30, 0.40, 0.02, 8},
		{"loss state 0.5% 60% 10% 2% 1%", 0.005, 0.60, 0.10, 0.02, 0.01, 9},
	} {
		t.Run(tc.text, func(t *testing.T) {
			p := mustParse(t, tc.text)
			require.Equal(t, LossState, p.Loss.Model)
			c, lost := fourStateChain(tc.p13, tc.p31, tc.p32, tc.p23, tc.p14)
			wantLoss, varLoss := c.meanVar(lost)

			m := len(c)
			both := make([]float64, m*m)
			for i := range m {
				for j := range m {
					both[i*m+j] = lost[i] * lost[j]
				}
			}
			wantBoth, varBoth := c.pairs().meanVar(both)

			xs := lossSeries(t, p, tc.seed, n)
			var pairs float64
			for i := 1; i < n; i++ {
				pairs += xs[i-1] * xs[i]
			}
			gotBoth := pairs / float64(n-1)

			assert.InDelta(t, wantLoss, mean(xs), 5*math.Sqrt(varLoss/n)+1.0/n, "long-run loss")
			assert.InDelta(t, wantBoth, gotBoth, 5*math.Sqrt(varBoth/(n-1))+1.0/n, "two losses in a row")
			// Bursts: a loss is followed by a loss more often than losses occur at all.
			assert.Greater(t, wantBoth, wantLoss*wantLoss)
			t.Logf("loss %.5f (chain %.5f ± %.5f), two in a row %.5f (chain %.5f)",
				mean(xs), wantLoss, 5*math.Sqrt(varLoss/n), gotBoth, wantBoth)
		})
	}
}

// The helpers predict what they must on chains whose answers are known in closed form.
func TestChainHelpers(t *testing.T) {
	// Bernoulli(p) as a chain: mean p, variance p(1−p), no correlation.
	const p = 0.2
	c := chain{{1 - p, p}, {1 - p, p}}
	mu, v := c.meanVar([]float64{0, 1})
	assert.InDelta(t, p, mu, 1e-12)
	assert.InDelta(t, p*(1-p), v, 1e-12)
	// Two-state chain with switching a, b: mean a/(a+b), asymptotic variance
	// Var·(1+λ)/(1−λ) with λ = 1−a−b.
	const a, b = 0.1, 0.3
	c = chain{{1 - a, a}, {b, 1 - b}}
	mu, v = c.meanVar([]float64{0, 1})
	q := a / (a + b)
	lambda := 1 - a - b
	assert.InDelta(t, q, mu, 1e-12)
	assert.InDelta(t, q*(1-q)*(1+lambda)/(1-lambda), v, 1e-9)
	// Pairs: P(1 then 1) = π₁(1−b).
	m := c.pairs()
	mu2, _ := m.meanVar([]float64{0, 0, 0, 1})
	assert.InDelta(t, q*(1-b), mu2, 1e-12)
	// The defaults of loss state p are Bernoulli(p).
	c4, lost := fourStateChain(0.05, 0.95, 0, 1, 0)
	mu, v = c4.meanVar(lost)
	assert.InDelta(t, 0.05, mu, 1e-12)
	assert.InDelta(t, 0.05*0.95, v, 1e-9)
}
