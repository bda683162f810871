//go:build linux

package proxy

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// preciseWaiter sleeps on a timerfd, which the kernel fires on a high-resolution timer
// with no timer slack, on an OS thread of its own, and spins the last stretch before the
// due time (a margin adapted to how late the thread wakes: see spinTracker). A kick
// writes an eventfd, only when the loop is actually asleep in ppoll.
type preciseWaiter struct {
	now      func() time.Duration // read-only
	tfd, efd int                  // read-only until close
	locked   bool                 // the loop's goroutine holds its thread
	realtime bool                 // read-only: ask for SCHED_FIFO for that thread
	fds      [2]unix.PollFd       // the loop's: timerfd, eventfd
	spin     spinTracker          // the loop's

	sleeping atomic.Bool // in (or about to enter) ppoll
	kicked   atomic.Bool // a kick since the last sleep returned

	mu     sync.Mutex // orders kick's eventfd write against close
	closed bool       // requires mu
}

// newPreciseWaiter returns nil if the kernel refuses the descriptors (the caller then
// uses a clockWaiter).
func newPreciseWaiter(now func() time.Duration, realtime bool) *preciseWaiter {
	tfd, err := unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC)
	if err != nil {
		return nil
	}
	efd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		unix.Close(tfd)
		return nil
	}
	w := &preciseWaiter{now: now, tfd: tfd, efd: efd, realtime: realtime}
	w.fds = [2]unix.PollFd{{Fd: int32(tfd), Events: unix.POLLIN}, {Fd: int32(efd), Events: unix.POLLIN}}
	return w
}

func (w *preciseWaiter) sleep(due time.Duration) {
	if !w.locked {
		// The first sleep pins the loop to its thread: a thread that wakes from ppoll
		// runs the loop at once, with no hand-off to another one. The thread is the
		// loop's until it returns, and then exits with it.
		runtime.LockOSThread()
		w.locked = true
		if w.realtime {
			// Best effort (needs CAP_SYS_NICE or an RLIMIT_RTPRIO): at the lowest real-time
			// priority the thread runs as soon as its timer fires, ahead of every ordinary
			// thread, so a busy machine does not make the packets late. It never runs long:
			// a spin of at most maxSpin, then writes.
			_ = unix.SchedSetAttr(0, &unix.SchedAttr{Size: unix.SizeofSchedAttr, Policy: unix.SCHED_FIFO, Priority: 1}, 0)
		}
	}
	defer w.kicked.Store(false) // the loop looks at the link next: every kick so far is seen
	for !w.kicked.Load() {
		rest := max(due-w.now(), 0)
		if rest == 0 {
			return
		}
		margin := w.spin.margin()
		if rest <= margin {
			for w.now() < due && !w.kicked.Load() {
			}
			return
		}
		w.sleeping.Store(true)
		if w.kicked.Load() { // a kick that saw sleeping false did not write the eventfd
			w.sleeping.Store(false)
			return
		}
		var spec unix.ItimerSpec // zero disarms: sleep until kicked
		wake := never
		if due != never {
			wake = due - margin
			spec.Value = unix.NsecToTimespec(int64(rest - margin))
		}
		_ = unix.TimerfdSettime(w.tfd, 0, &spec, nil)
		_, _ = unix.Ppoll(w.fds[:], nil, nil) // EINTR: look again
		w.sleeping.Store(false)
		var buf [8]byte
		_, _ = unix.Read(w.efd, buf[:])
		if n, _ := unix.Read(w.tfd, buf[:]); n == len(buf) && wake != never {
			w.spin.observe(w.now() - wake) // the timer fired: how late did the thread get here?
		}
	}
}

func (w *preciseWaiter) kick() {
	w.kicked.Store(true)
	if !w.sleeping.Load() {
		return
	}
	one := [8]byte{1}
	w.mu.Lock()
	if !w.closed {
		_, _ = unix.Write(w.efd, one[:]) // any non-zero count wakes, whatever the byte order
	}
	w.mu.Unlock()
}

func (w *preciseWaiter) close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.closed {
		w.closed = true
		unix.Close(w.tfd)
		unix.Close(w.efd)
	}
}
