package simnet_test

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dist-example/dist-example/app"
	"github.com/dist-example/dist-example/simnet"
)

// TestAppOverLossyLink runs the application's sender and receiver over a lossy link and
// checks the receiver's accounting against the network's ground truth.
func TestAppOverLossyLink(t *testing.T) {
	const (
		count = 10000
		pLoss = 0.05
		pDup  = 0.02
	)
	n := newNet(t, simnet.Config{Seed: 5, Default: mustParse(t, "delay 20ms 5ms loss 5% duplicate 2%")}, "sender", "receiver")
	src, dst := listen(t, n, "sender:0"), listen(t, n, "receiver:9000")
	clk := n.Clock()
	s := &app.Sender{Conn: src, Clock: clk, Dst: dst.LocalAddr(), Interval: time.Millisecond, Count: count}
	r := &app.Receiver{Conn: dst, Clock: clk, Interval: time.Second}
	var sent int64
	var sendErr, recvErr error
	n.Go("sender", func() {
		sent, sendErr = s.Run(context.Background())
		clk.Sleep(time.Second) // let the last datagrams arrive
		_ = dst.Close()
	})
	n.Go("receiver", func() { recvErr = r.Run(context.Background()) })
	require.NoError(t, n.Run(), "seed %d", n.Seed())
	require.NoError(t, sendErr)
	require.NoError(t, recvErr)
	require.Equal(t, int64(count), sent)

	ns := n.Stats()
	got := r.Totals()
	assert.Equal(t, uint64(count), ns.Sent)
	assert.Equal(t, int64(ns.Delivered), got.Received, "the receiver reads every delivered copy")
	assert.Equal(t, got.Expected, got.Unique+got.Lost)
	assert.Equal(t, got.Received, got.Unique+got.Duplicates+got.Stale)
	// A number is lost when loss fires and duplicate does not (if both fire, one copy
	// goes on): binomial(count, p), within 5 sigma.
	p := pLoss * (1 - pDup)
	mean, sigma := count*p, math.Sqrt(count*p*(1-p))
	lost := float64(count - got.Unique)
	assert.InDelta(t, mean, lost, 5*sigma, "numbers lost (seed %d)", n.Seed())
	assert.Equal(t, float64(got.Lost), lost-float64(count-got.Expected), "the receiver counts as lost what it expected and never got")
	assert.NotZero(t, got.Reordered, "5 ms of jitter at 1 ms spacing reorders")
}
