package scenario

import (
	"math"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dist-example/dist-example/app"
)

// With delay 50ms 10ms on each direction, each way takes U[40ms, 60ms) (netem's uniform
// jitter) and the echo answers at once, so an RTT is the sum of two independent uniform
// delays: within [80ms, 120ms), mean 100ms, variance 2*(20ms)^2/12. The mean and the
// variance are checked within 5 standard errors for the sample size.
func TestPingRTTIsTheSumOfTwoUniformDelays(t *testing.T) {
	const probes = 2000
	var rtts []float64 // ms
	res, err := RunPing(PingConfig{Seed: 1, Profile: mustProfile(t, "delay 50ms 10ms"), Duration: probes * 10 * time.Millisecond,
		Interval: 10 * time.Millisecond, Size: 64,
		OnReply: func(r app.PingReply) {
			if !r.Duplicate {
				rtts = append(rtts, float64(r.RTT)/float64(time.Millisecond))
			}
		}})
	require.NoError(t, err)
	require.Equal(t, uint64(probes), res.Stats.Transmitted)
	require.Len(t, rtts, probes, "no loss configured: every probe is answered")
	var sum, sq float64
	for _, r := range rtts {
		require.GreaterOrEqual(t, r, 80.0)
		require.Less(t, r, 120.0)
		sum += r
	}
	mean := sum / probes
	for _, r := range rtts {
		sq += (r - mean) * (r - mean)
	}
	variance := sq / (probes - 1)
	wantVar := 2 * 20.0 * 20.0 / 12 // ms^2
	sd := math.Sqrt(wantVar)
	assert.InDelta(t, 100, mean, 5*sd/math.Sqrt(probes), "mean RTT")
	// The sum of two uniforms is triangular, kurtosis 2.4: Var(s^2) ~ (2.4-1) sigma^4 / n.
	assert.InDelta(t, wantVar, variance, 5*wantVar*math.Sqrt(1.4/probes), "RTT variance")
	assert.Equal(t, uint64(probes), res.Echo.Datagrams)
	assert.Equal(t, uint64(probes), res.Forward.Delivered)
	assert.Equal(t, uint64(probes), res.Back.Delivered)
}

// The whole RTT distribution, not only its moments: with delay D J on each direction, an
// RTT is the sum of two independent U[D-J, D+J) delays, whose CDF is triangular. A
// Kolmogorov-Smirnov test against it, at a critical value for alpha = 1e-6 and the sample
// size, over several profiles and fixed seeds; the same samples must fail against a
// uniform RTT on the same range, so the test can tell the difference.
func TestPingRTTDistributionIsTheSumOfTheDelays(t *testing.T) {
	const probes = 2000
	for _, tc := range []struct {
		d, j time.Duration
		seed uint64
	}{
		{50 * time.Millisecond, 10 * time.Millisecond, 1},
		{20 * time.Millisecond, 5 * time.Millisecond, 2},
		{100 * time.Millisecond, 40 * time.Millisecond, 3},
		{10 * time.Millisecond, 9 * time.Millisecond, 4},
	} {
		text := "delay " + tc.d.String() + " " + tc.j.String()
		t.Run(text, func(t *testing.T) {
			var rtts []float64 // ns
			res, err := RunPing(PingConfig{Seed: tc.seed, Profile: mustProfile(t, text), Duration: probes * 10 * time.Millisecond,
				Interval: 10 * time.Millisecond, Size: 64,
				OnReply: func(r app.PingReply) {
					if !r.Duplicate {
						rtts = append(rtts, float64(r.RTT))
					}
				}})
			require.NoError(t, err)
			require.Equal(t, uint64(probes), res.Stats.Transmitted)
			require.Len(t, rtts, probes, "no loss configured: every probe is answered")
			lo, w := float64(tc.d-tc.j), float64(2*tc.j) // one way: U[lo, lo+w)
			triangular := sumOfTwoUniforms(lo, w)
			uniform := func(s float64) float64 { return math.Min(math.Max((s-2*lo)/(2*w), 0), 1) }
			critical := math.Sqrt(-math.Log(1e-6/2)/2) / math.Sqrt(probes)
			got := ksDistance(rtts, triangular)
			assert.Less(t, got, critical, "KS distance to the sum of two uniform delays")
			assert.Greater(t, ksDistance(rtts, uniform), critical, "the test must reject a uniform RTT")
			t.Logf("KS %.4f (critical %.4f), against uniform %.4f", got, critical, ksDistance(rtts, uniform))
		})
	}
}

// With "distribution normal" each way, an RTT is the sum of two normal delays: normal,
// mean 2D, standard deviation sqrt(2)*J. netem's table approximates the normal quantiles
// in 4096 steps, far finer than the KS critical value, so the same test applies; it must
// reject the triangular CDF that the same delay and jitter give without the distribution.
func TestPingRTTWithNormalJitterIsNormal(t *testing.T) {
	const probes = 2000
	const d, j = 50 * time.Millisecond, 5 * time.Millisecond
	var rtts []float64 // ns
	_, err := RunPing(PingConfig{Seed: 5, Profile: mustProfile(t, "delay 50ms 5ms distribution normal"),
		Duration: probes * 10 * time.Millisecond, Interval: 10 * time.Millisecond, Size: 64,
		OnReply: func(r app.PingReply) {
			if !r.Duplicate {
				rtts = append(rtts, float64(r.RTT))
			}
		}})
	require.NoError(t, err)
	require.Len(t, rtts, probes)
	mu, sigma := float64(2*d), math.Sqrt2*float64(j)
	normal := func(s float64) float64 { return 0.5 * math.Erfc(-(s-mu)/(sigma*math.Sqrt2)) }
	// Without the distribution: each way U[D-J, D+J), so the RTT is triangular on
	// [2D-2J, 2D+2J).
	triangular := sumOfTwoUniforms(float64(d-j), float64(2*j))
	critical := math.Sqrt(-math.Log(1e-6/2)/2) / math.Sqrt(probes)
	got := ksDistance(rtts, normal)
	assert.Less(t, got, critical, "KS distance to N(2D, 2J^2)")
	assert.Greater(t, ksDistance(rtts, triangular), critical, "the test must reject uniform jitter's RTT")
	t.Logf("KS %.4f (critical %.4f), against uniform jitter %.4f", got, critical, ksDistance(rtts, triangular))
}

// sumOfTwoUniforms is the CDF of X1+X2 with X1, X2 independent and uniform on [lo, lo+w):
// triangular on [2lo, 2lo+2w).
func sumOfTwoUniforms(lo, w float64) func(float64) float64 {
	return func(s float64) float64 {
		switch x := s - 2*lo; {
		case x <= 0:
			return 0
		case x < w:
			return x * x / (2 * w * w)
		case x < 2*w:
			return 1 - (2*w-x)*(2*w-x)/(2*w*w)
		}
		return 1
	}
}

// ksDistance is the Kolmogorov-Smirnov statistic of the samples against the CDF f.
func ksDistance(xs []float64, f func(float64) float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := float64(len(s))
	var d float64
	for i, x := range s {
		fx := f(x)
		d = math.Max(d, math.Max(float64(i+1)/n-fx, fx-float64(i)/n))
	}
	return d
}

func TestPingSeesLossBothWays(t *testing.T) {
	run := func() *PingResult {
		res, err := RunPing(PingConfig{Seed: 9, Profile: mustProfile(t, "delay 20ms loss 10%"), Duration: 20 * time.Second,
			Interval: 10 * time.Millisecond, Size: 32})
		require.NoError(t, err)
		return res
	}
	res := run()
	n := float64(res.Stats.Transmitted)
	// A probe survives both ways with probability 0.81; 5 sigma of a binomial.
	assert.InDelta(t, 0.81*n, float64(res.Stats.Received), 5*math.Sqrt(n*0.81*0.19))
	assert.Equal(t, res.Forward.Delivered, res.Echo.Datagrams)
	assert.Equal(t, res.Back.Delivered, res.Stats.Received)
	again := run()
	assert.Equal(t, res.Fingerprint, again.Fingerprint)
	assert.Equal(t, res.Stats.Summary(), again.Stats.Summary())
}

func TestRunPingRejectsBadConfig(t *testing.T) {
	for name, cfg := range map[string]PingConfig{
		"no duration": {Interval: time.Second, Size: 64},
		"no interval": {Duration: time.Second, Size: 64},
		"bad size":    {Duration: time.Second, Interval: time.Millisecond, Size: 1},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := RunPing(cfg)
			require.Error(t, err)
		})
	}
}
