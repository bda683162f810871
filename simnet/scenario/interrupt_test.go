package scenario

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dist-example/dist-example/simnet"
)

// Idle virtual time costs nothing: a run of two datagrams 50 hours apart takes the
// scheduler no more steps than one of two datagrams 5 seconds apart.
func TestIdleRunCostsWhatAShortOneDoes(t *testing.T) {
	events := func(d time.Duration) uint64 {
		res, err := Run(Config{Seed: 1, Duration: d, SendInterval: d / 2, Interval: d})
		require.NoError(t, err)
		require.Equal(t, int64(2), res.Sent)
		return res.Events
	}
	short, long := events(10*time.Second), events(100*time.Hour)
	assert.LessOrEqual(t, long, short+short/10, "scheduler events: %d over 100h, %d over 10s", long, short)
}

// A run whose context ends stops at that virtual time and returns what it had: the
// receiver's summaries with the final one last, and an error wrapping ErrInterrupted.
func TestRunContextInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	res, err := RunContext(ctx, Config{Seed: 3, Duration: 10000 * time.Hour, SendInterval: 10 * time.Second, Interval: time.Hour,
		OnRead: func(r Read) {
			if r.At > 2*time.Hour {
				cancel() // from inside the run: the interrupt lands soon after (another goroutine calls Interrupt)
			}
		}})
	require.ErrorIs(t, err, simnet.ErrInterrupted)
	require.NotNil(t, res)
	assert.True(t, res.Interrupted)
	assert.Greater(t, res.End, 2*time.Hour)
	assert.Less(t, res.End, 10000*time.Hour, "the run stopped early")
	require.NotEmpty(t, res.Summaries)
	last := res.Summaries[len(res.Summaries)-1]
	assert.True(t, last.Final, "the receiver's totals come last")
	assert.Equal(t, res.Final, last.Counts)
	assert.Greater(t, res.Final.Received, int64(700))

	pres, err := RunPingContext(ctx, PingConfig{Seed: 1, Duration: time.Hour, Interval: time.Second, Size: 64})
	require.ErrorIs(t, err, simnet.ErrInterrupted, "a context that has ended stops the run at once")
	assert.True(t, pres.Interrupted)
	assert.Zero(t, pres.End)
}

func TestDurationsAreBounded(t *testing.T) {
	for _, c := range []Config{
		{Duration: MaxDuration + 1, SendInterval: time.Hour, Interval: time.Hour},
		{Duration: time.Hour, SendInterval: MaxDuration + 1, Interval: time.Hour},
		{Duration: time.Hour, SendInterval: time.Hour, Interval: MaxDuration + 1},
	} {
		require.ErrorContains(t, c.Validate(), "<= 100000h0m0s")
	}
	res, err := Run(Config{Seed: 1, Duration: MaxDuration, SendInterval: MaxDuration, Interval: MaxDuration})
	require.NoError(t, err)
	assert.Equal(t, int64(1), res.Sent)
}
