package simnet_test

import (
	"net"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/dist-example/dist-example/simnet"
)

func TestVirtualTime(t *testing.T) {
	n := newNet(t, simnet.Config{})
	clk := n.Clock()
	var log []string
	for _, d := range []time.Duration{3 * time.Second, time.Second, 2 * time.Second, time.Second} {
		n.Go("sleeper", func() {
			clk.Sleep(d)
			log = append(log, d.String()+"@"+clk.Since(simnet.Epoch).String())
		})
	}
	require.NoError(t, n.RunFor(1500*time.Millisecond))
	assert.Equal(t, 1500*time.Millisecond, n.Elapsed(), "RunFor leaves the clock at its end")
	assert.Equal(t, []string{"1s@1s", "1s@1s"}, log, "equal wake times run in the order they were scheduled")
	require.NoError(t, n.Run())
	assert.Equal(t, []string{"1s@1s", "1s@1s", "2s@2s", "3s@3s"}, log)
	assert.Equal(t, 3*time.Second, n.Elapsed(), "Run stops when idle, not later")
	require.NoError(t, n.RunUntil(time.Minute))
	assert.Equal(t, time.Minute, n.Elapsed(), "an idle network still advances to RunUntil's time")
	assert.Equal(t, simnet.Epoch.Add(time.Minute), clk.Now())
	require.Error(t, n.RunFor(-1))
}

func TestDeadlock(t *testing.T) {
	n := newNet(t, simnet.Config{}, "host1", "host2")
	a, b := listen(t, n, "host1:1"), listen(t, n, "host2:2")
	n.Go("client", func() {
		_, _ = a.WriteTo([]byte("hello"), b.LocalAddr())
		_, _, _ = a.ReadFrom(make([]byte, 10)) // the server never answers
	})
	n.Go("server", func() {
		buf := make([]byte, 10)
		_, _, _ = b.ReadFrom(buf)
		n.Clock().Sleep(time.Second)
		_ = b.SetReadDeadline(time.Time{})
		_, _, _ = b.ReadFrom(buf)
	})
	n.Go("finisher", func() {})
	err := n.Run()
	var dl *simnet.DeadlockError
	require.ErrorAs(t, err, &dl)
	assert.Equal(t, time.Second, dl.At)
	assert.Equal(t, []simnet.GoroutineState{
		{ID: 1, Name: "client", Waiting: "ReadFrom on 10.0.0.1:1 (no deadline)"},
		{ID: 2, Name: "server", Waiting: "ReadFrom on 10.0.0.2:2 (no deadline)"},
	}, dl.Goroutines)
	assert.Contains(t, err.Error(), `goroutine 1 "client": ReadFrom on 10.0.0.1:1 (no deadline)`)

	// A deadlock is not permanent: a datagram from test code unblocks the server.
	_, err = a.WriteTo([]byte("again"), b.LocalAddr())
	require.NoError(t, err)
	require.ErrorAs(t, n.Run(), &dl)
	require.Len(t, dl.Goroutines, 1)
	assert.Equal(t, "client", dl.Goroutines[0].Name)
}

func TestStaleWakeupsIgnored(t *testing.T) {
	// A read that returns with data before its deadline must not be woken by that
	// deadline later, when it waits on something else.
	n := newNet(t, simnet.Config{}, "host1", "host2")
	a, b := listen(t, n, "host1:0"), listen(t, n, "host2:0")
	clk := n.Clock()
	var woke []time.Duration
	n.Go("reader", func() {
		require.NoError(t, b.SetReadDeadline(clk.Now().Add(time.Second)))
		_, _, err := b.ReadFrom(make([]byte, 10))
		if err != nil {
			woke = append(woke, -1)
		}
		woke = append(woke, clk.Since(simnet.Epoch))
		clk.Sleep(2 * time.Second) // the 1 s deadline falls inside this sleep
		woke = append(woke, clk.Since(simnet.Epoch))
	})
	n.Go("writer", func() {
		clk.Sleep(100 * time.Millisecond)
		_, _ = a.WriteTo([]byte("x"), b.LocalAddr())
	})
	require.NoError(t, n.Run())
	assert.Equal(t, []time.Duration{100 * time.Millisecond, 2100 * time.Millisecond}, woke)
}

func TestMovingDeadline(t *testing.T) {
	// SetReadDeadline on a blocked read takes effect at once, earlier or later.
	n := newNet(t, simnet.Config{}, "host1")
	c := listen(t, n, "host1:0")
	clk := n.Clock()
	var at time.Duration
	var readErr error
	n.Go("reader", func() {
		_ = c.SetReadDeadline(clk.Now().Add(10 * time.Second))
		_, _, readErr = c.ReadFrom(make([]byte, 1))
		at = clk.Since(simnet.Epoch)
	})
	n.At(time.Second, func() { _ = c.SetReadDeadline(simnet.Epoch.Add(3 * time.Second)) })
	require.NoError(t, n.Run())
	require.ErrorIs(t, readErr, os.ErrDeadlineExceeded)
	assert.Equal(t, 3*time.Second, at)
}

func TestAtAndAfter(t *testing.T) {
	n := newNet(t, simnet.Config{})
	var got []string
	n.At(2*time.Second, func() { got = append(got, "at 2s") })
	n.After(time.Second, func() {
		got = append(got, "after 1s")
		n.After(5*time.Second, func() { got = append(got, "nested at 6s: "+n.Elapsed().String()) })
	})
	n.Go("g", func() { n.Clock().Sleep(1500 * time.Millisecond); got = append(got, "g at 1.5s") })
	require.NoError(t, n.Run())
	assert.Equal(t, []string{"after 1s", "g at 1.5s", "at 2s", "nested at 6s: 6s"}, got)
}

func TestMisuse(t *testing.T) {
	n := newNet(t, simnet.Config{})
	assert.PanicsWithValue(t,
		"simnet: Clock.Sleep called outside a simulated goroutine (start it with Network.Go; test code advances time with Network.RunFor)",
		func() { n.Clock().Sleep(time.Second) })
	var nested error
	n.Go("nested", func() { nested = n.Run() })
	require.NoError(t, n.Run())
	assert.ErrorIs(t, nested, simnet.ErrRunning)
}

func TestPanicPropagates(t *testing.T) {
	n := newNet(t, simnet.Config{})
	n.Go("bad", func() { panic("boom") })
	defer func() {
		r := recover()
		require.NotNil(t, r)
		assert.Contains(t, r.(error).Error(), `goroutine 1 "bad" panicked: boom`)
	}()
	_ = n.Run()
	t.Fatal("Run returned after a simulated goroutine panicked")
}

// TestCloseEndsGoroutines closes a network with goroutines blocked in reads and sleeps
// (and one never started): every one ends, deferred calls run, nothing leaks.
func TestCloseEndsGoroutines(t *testing.T) {
	defer goleak.VerifyNone(t)
	n, err := simnet.New(simnet.Config{})
	require.NoError(t, err)
	_, err = n.AddHost("host1")
	require.NoError(t, err)
	c, err := n.Listen("host1:0")
	require.NoError(t, err)
	var readErr error
	var deferred int
	n.Go("reader", func() {
		defer func() { deferred++ }()
		_, _, readErr = c.ReadFrom(make([]byte, 1))
		_, _, _ = c.ReadFrom(make([]byte, 1)) // fails again at once: the conn is closed
		n.Clock().Sleep(time.Hour)            // ends the goroutine: the network is closed
		deferred += 100
	})
	n.Go("sleeper", func() {
		defer func() { deferred++ }()
		for {
			n.Clock().Sleep(time.Second)
		}
	})
	require.NoError(t, n.RunFor(10*time.Second))
	n.Go("never-started", func() { deferred += 1000 })
	assert.Equal(t, 3, n.Goroutines())
	require.NoError(t, n.Close())
	assert.Equal(t, 0, n.Goroutines())
	assert.Equal(t, 2, deferred)
	assert.ErrorIs(t, readErr, net.ErrClosed)
	assert.ErrorIs(t, n.Run(), simnet.ErrNetworkClosed)
	require.NoError(t, n.Close(), "Close is idempotent")
}

func TestCloseFromInside(t *testing.T) {
	defer goleak.VerifyNone(t)
	n, err := simnet.New(simnet.Config{})
	require.NoError(t, err)
	n.Go("forever", func() {
		for {
			n.Clock().Sleep(time.Second)
		}
	})
	n.At(5*time.Second, func() { _ = n.Close() })
	require.NoError(t, n.Run())
	assert.Equal(t, 0, n.Goroutines())
}

func TestScheduledPanicPropagates(t *testing.T) {
	n := newNet(t, simnet.Config{})
	n.At(time.Second, func() { panic("fault script broke") })
	var got any
	func() {
		defer func() { got = recover() }()
		_ = n.Run()
	}()
	require.NotNil(t, got, "Run must re-raise the panic of a scheduled function")
	assert.Contains(t, got.(error).Error(), "function scheduled with At, After or AfterFunc panicked: fault script broke")
	n.Go("after", func() {})
	assert.NoError(t, n.Run(), "the network stays usable after a reported panic")
}

// TestStaleDeadlineKeepsClock: the deadline of a read that has returned neither wakes
// anyone nor moves the clock when it comes due.
func TestStaleDeadlineKeepsClock(t *testing.T) {
	n := newNet(t, simnet.Config{}, "host1")
	c := listen(t, n, "host1:1")
	clk := n.Clock()
	n.Go("reader", func() {
		_ = c.SetReadDeadline(clk.Now().Add(10 * time.Second))
		_, _, _ = c.ReadFrom(make([]byte, 1)) // returns at 1s with data
		_ = c.SetReadDeadline(time.Time{})
		_, _, _ = c.ReadFrom(make([]byte, 1)) // blocks forever
	})
	n.At(time.Second, func() { _, _ = c.WriteTo([]byte("x"), c.LocalAddr()) })
	var dl *simnet.DeadlockError
	require.ErrorAs(t, n.Run(), &dl)
	assert.Equal(t, time.Second, dl.At)
	assert.Equal(t, time.Second, n.Elapsed())
}

// TestStrayGoroutine: a blocking call from a plain goroutine started inside a simulated
// goroutine fails loudly (ErrStray, from the call and from Run) instead of being taken
// for the holder's, which used to park the parent and make its Sleep(2s) end at 3s.
func TestStrayGoroutine(t *testing.T) {
	n := newNet(t, simnet.Config{}, "host1")
	c := listen(t, n, "host1:1")
	clk := n.Clock()
	var sleepErr, readErr error
	var woke time.Duration
	n.Go("parent", func() {
		clk.Sleep(time.Second)
		done := make(chan struct{})
		go func() {
			defer close(done)
			defer func() { sleepErr, _ = recover().(error) }()
			_, _, readErr = c.ReadFrom(make([]byte, 10))
			clk.Sleep(time.Second)
		}()
		<-done // only in a test: a simulated goroutine must not block on a channel
		clk.Sleep(2 * time.Second)
		woke = n.Elapsed()
	})
	err := n.Run()
	require.ErrorIs(t, err, simnet.ErrStray, "Run reports the stray call")
	assert.ErrorIs(t, readErr, simnet.ErrStray)
	assert.ErrorIs(t, sleepErr, simnet.ErrStray)
	assert.Contains(t, err.Error(), `"parent" holds the run token`)
	assert.Equal(t, 3*time.Second, woke, "the parent's own sleep is untouched")
	require.NoError(t, n.RunFor(time.Second), "reported once")
}

// TestGoexitInGoroutine: a simulated goroutine ended by runtime.Goexit (as t.FailNow
// would) hands the token on; the others run on and nothing leaks.
func TestGoexitInGoroutine(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	n, err := simnet.New(simnet.Config{})
	require.NoError(t, err)
	clk := n.Clock()
	var log []string
	for i := range 3 {
		n.Go("g", func() {
			defer func() { log = append(log, "deferred "+strconv.Itoa(i)) }()
			clk.Sleep(time.Duration(i) * time.Second)
			if i == 1 {
				runtime.Goexit()
			}
			clk.Sleep(time.Second)
		})
	}
	require.NoError(t, n.Run())
	assert.Equal(t, []string{"deferred 0", "deferred 1", "deferred 2"}, log)
	assert.Equal(t, 3*time.Second, n.Elapsed())
	require.NoError(t, n.Close())
}

// TestManyGoroutinesTakeTurns: with many goroutines, the token goes straight from each to
// the next due (one switch whatever the order), some end by returning and some by
// runtime.Goexit in between, and every wakeup comes at its time; nothing leaks.
func TestManyGoroutinesTakeTurns(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	n, err := simnet.New(simnet.Config{})
	require.NoError(t, err)
	clk := n.Clock()
	type wake struct {
		at time.Duration
		id int
	}
	var log []wake
	const count = 60
	for i := range count {
		n.Go("g"+strconv.Itoa(i), func() {
			for k := range 1 + i%7 {
				clk.Sleep(time.Duration((i*7919+k*104729)%13) * time.Millisecond)
				log = append(log, wake{n.Elapsed(), i})
				if i%5 == 0 && k == i%3 {
					runtime.Goexit()
				}
			}
		})
	}
	require.NoError(t, n.Run())
	assert.Equal(t, 0, n.Goroutines())
	for j := 1; j < len(log); j++ {
		require.LessOrEqual(t, log[j-1].at, log[j].at, "wakeups in time order: %v", log[j-1:j+1])
	}
	// Replaying the schedule by hand: each goroutine's wakeups at the sums of its sleeps.
	want := map[int][]time.Duration{}
	for i := range count {
		var at time.Duration
		for k := range 1 + i%7 {
			at += time.Duration((i*7919+k*104729)%13) * time.Millisecond
			want[i] = append(want[i], at)
			if i%5 == 0 && k == i%3 {
				break
			}
		}
	}
	got := map[int][]time.Duration{}
	for _, w := range log {
		got[w.id] = append(got[w.id], w.at)
	}
	assert.Equal(t, want, got)
	require.NoError(t, n.Close())
}

// deep sleeps d at a recursion depth of depth frames of 1 KiB, so that the stack grows (and
// moves) on the way down and the garbage collector may shrink it again later.
func deep(clk *simnet.Clock, depth int, d time.Duration) byte {
	var pad [1024]byte
	if depth == 0 {
		clk.Sleep(d)
		return pad[0]
	}
	pad[depth%len(pad)] = byte(depth)
	return pad[(depth+1)%len(pad)] + deep(clk, depth-1, d)
}

// TestManyGoroutinesMovingStacks: with more goroutines than the scheduler's stack touching
// starts at (stacktouch.go), goroutines park at varying stack depths while their stacks
// grow and collections shrink them, and every wakeup still comes at its time.
func TestManyGoroutinesMovingStacks(t *testing.T) {
	n := newNet(t, simnet.Config{})
	clk := n.Clock()
	const count, rounds = 300, 6
	woke := make([][]time.Duration, count)
	for i := range count {
		n.Go("g"+strconv.Itoa(i), func() {
			for k := range rounds {
				deep(clk, (i+k)%4*(i%3), time.Duration(1+(i+k)%5)*time.Millisecond)
				woke[i] = append(woke[i], n.Elapsed())
			}
		})
	}
	for k := range 3 * rounds {
		n.At(time.Duration(k)*time.Millisecond, runtime.GC)
	}
	require.NoError(t, n.Run())
	for i := range count {
		var at time.Duration
		var want []time.Duration
		for k := range rounds {
			at += time.Duration(1+(i+k)%5) * time.Millisecond
			want = append(want, at)
		}
		require.Equal(t, want, woke[i], "goroutine %d", i)
	}
}
