package app

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// TestSendRecvLoopback runs Sender and Receiver over the kernel's UDP on 127.0.0.1 with
// the real clock: 10,000 datagrams as fast as they go, all unique, none lost. The test
// waits on the receiver's counters, not on a sleep.
func TestSendRecvLoopback(t *testing.T) {
	defer goleak.VerifyNone(t)
	const count = 10000
	rc, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	// 10,000 small datagrams fit in 8 MiB even if the receiver is descheduled.
	require.NoError(t, rc.SetReadBuffer(8<<20))
	var summaries []Summary
	r := &Receiver{Conn: rc, Clock: clock.New(), Interval: 50 * time.Millisecond,
		OnSummary: func(s Summary) { summaries = append(summaries, s) }}
	done := make(chan error, 1)
	go func() { done <- r.Run(context.Background()) }()

	sc, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	defer sc.Close()
	s := &Sender{Conn: sc, Clock: clock.New(), Dst: rc.LocalAddr(), Count: count, Start: 1}
	sent, err := s.Run(context.Background())
	require.NoError(t, err)
	require.Equal(t, int64(count), sent)

	require.Eventually(t, func() bool { return r.Totals().Unique >= count }, 20*time.Second, time.Millisecond,
		"receiver saw %d of %d", r.Totals().Unique, count)
	require.NoError(t, rc.Close())
	require.NoError(t, <-done)

	final := summaries[len(summaries)-1]
	require.True(t, final.Final)
	assert.Equal(t, Counts{Received: count, Expected: count, Unique: count, Min: 1, Max: count}, final.Counts)
	var sum int64
	for _, s := range summaries[:len(summaries)-1] {
		sum += s.Counts.Unique
	}
	assert.Equal(t, int64(count), sum, "the intervals add up to the totals")
}
