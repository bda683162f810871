package simnet_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dist-example/dist-example/simnet"
	"github.com/dist-example/dist-example/simnet/netem"
)

func stNet(t *testing.T, profile string, seed uint64) *simnet.Network {
	t.Helper()
	cfg := simnet.Config{Seed: seed, Synctest: true}
	if profile != "" {
		p, err := netem.Parse(profile)
		require.NoError(t, err)
		cfg.Default = p
	}
	return newNet(t, cfg, "host1", "host2")
}

// Ordinary goroutines, a channel and time.Sleep run on the bubble's clock, which is the
// network's: a ping over delay 10ms takes exactly 20ms of virtual time.
func TestSynctestPingPong(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := stNet(t, "delay 10ms", 1)
		a := listen(t, n, "host1:0")
		b := listen(t, n, "host2:7")
		go func() {
			buf := make([]byte, 100)
			for {
				k, from, err := b.ReadFrom(buf)
				if err != nil {
					return
				}
				_, _ = b.WriteTo(buf[:k], from)
			}
		}()
		start := time.Now()
		got := make(chan string)
		go func() {
			buf := make([]byte, 100)
			k, _, err := a.ReadFrom(buf)
			if err != nil {
				got <- err.Error()
				return
			}
			got <- string(buf[:k])
		}()
		_, err := a.WriteTo([]byte("ping"), b.LocalAddr())
		require.NoError(t, err)
		require.Equal(t, "ping", <-got)
		require.Equal(t, 20*time.Millisecond, time.Since(start))
		require.Equal(t, 20*time.Millisecond, n.Elapsed())
		require.Equal(t, time.Now(), n.Clock().Now())
	})
}

// A deadline from time.Now ends a read at exactly that virtual time, and moving it while
// the read is blocked takes effect at once.
func TestSynctestDeadlines(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := stNet(t, "", 1)
		a := listen(t, n, "host1:0")
		start := time.Now()
		require.NoError(t, a.SetReadDeadline(start.Add(30*time.Millisecond)))
		_, _, err := a.ReadFrom(make([]byte, 10))
		require.ErrorIs(t, err, os.ErrDeadlineExceeded)
		require.Equal(t, 30*time.Millisecond, time.Since(start))

		require.NoError(t, a.SetReadDeadline(time.Now().Add(time.Hour)))
		done := make(chan time.Duration)
		go func() {
			_, _, err := a.ReadFrom(make([]byte, 10))
			if !errors.Is(err, os.ErrDeadlineExceeded) {
				panic(err)
			}
			done <- time.Since(start)
		}()
		time.Sleep(5 * time.Millisecond)
		require.NoError(t, a.SetReadDeadline(time.Now()))
		require.Equal(t, 35*time.Millisecond, <-done)

		ctx, cancel := context.WithTimeout(context.Background(), 7*time.Millisecond)
		defer cancel()
		<-ctx.Done()
		require.Equal(t, 42*time.Millisecond, n.Elapsed())
	})
}

// Network.Go, Run, Clock.Sleep and AfterFunc keep working in synctest mode.
func TestSynctestGoRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := stNet(t, "delay 5ms", 1)
		var mu sync.Mutex
		var order []string
		n.Clock().AfterFunc(3*time.Millisecond, func() { mu.Lock(); order = append(order, "timer"); mu.Unlock() })
		n.Go("sleeper", func() {
			n.Clock().Sleep(10 * time.Millisecond)
			mu.Lock()
			order = append(order, "slept")
			mu.Unlock()
		})
		require.NoError(t, n.Run())
		require.Equal(t, []string{"timer", "slept"}, order)
		require.Equal(t, 10*time.Millisecond, n.Elapsed())
		require.NoError(t, n.RunFor(time.Second))
		require.Equal(t, 1010*time.Millisecond, n.Elapsed())
	})
}

// Mixing the modes fails with a message instead of silently.
func TestSynctestModeMixing(t *testing.T) {
	_, err := simnet.New(simnet.Config{Synctest: true})
	require.ErrorContains(t, err, "not called inside a testing/synctest bubble")

	coop := newNet(t, simnet.Config{}, "host1")
	var inside *simnet.Network
	var c *simnet.Conn
	synctest.Test(t, func(t *testing.T) {
		_, err := simnet.New(simnet.Config{})
		require.ErrorContains(t, err, "inside a testing/synctest bubble without Config.Synctest")
		require.ErrorContains(t, coop.Run(), "cooperative network")

		inside, err = simnet.New(simnet.Config{Synctest: true}) // not closed: used below
		require.NoError(t, err)
		_, err = inside.AddHost("host1")
		require.NoError(t, err)
		c = listen(t, inside, "host1:0")
	})
	msg := func(f func()) (s string) {
		defer func() { s, _ = recover().(string) }()
		f()
		return ""
	}
	require.Contains(t, msg(func() { _, _ = c.WriteTo([]byte("x"), c.LocalAddr()) }), "outside its testing/synctest bubble")
	require.Contains(t, msg(func() { inside.Go("x", func() {}) }), "outside its testing/synctest bubble")
	require.Contains(t, msg(func() { inside.Clock().Sleep(time.Second) }), "outside its testing/synctest bubble")
	require.True(t, strings.Contains(msg(func() { _, _, _ = c.ReadFrom(nil) }), "outside its testing/synctest bubble"))
}
