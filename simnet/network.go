package simnet

import (
	"fmt"
	"io"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dist-example/dist-example/simnet/netem"
)

// Epoch is the wall-clock time of virtual time zero, fixed so that printed timestamps do
// not change from run to run.
var Epoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// DefaultRecvBuffer is the receive buffer of a Conn when Config.RecvBuffer is 0, in bytes
// (Linux's net.core.rmem_default).
const DefaultRecvBuffer = 212992

// Config configures a Network. The zero Config is a perfect network with seed 0.
type Config struct {
	// Seed is the source of every random draw; the same seed replays the same run.
	Seed uint64
	// Default impairs every link between two different hosts that has no profile of its
	// own (see SetLink). Traffic from a host to itself is not impaired unless set.
	Default netem.Profile
	// Trace, if set, receives one line per packet event (see the package doc). It is
	// written while the network's lock is held, so it must not call back into the
	// network; write errors are ignored.
	Trace io.Writer
	// Observe, if set, is called with every packet event (and fault) as a structured
	// Event: the same events, in the same order, as the lines of Trace, which is
	// Event.AppendText of each. It is the cheap way to follow a run (ground truth,
	// fingerprints): nothing is formatted. It runs synchronously in event order while the
	// network's lock is held, so it must not call back into the network (that would
	// deadlock) and should be quick; it gets a copy, so it cannot change the run.
	Observe func(Event)
	// RecvBuffer bounds the unread data a Conn holds, in bytes; each datagram is charged
	// its length plus DatagramOverhead. 0 means DefaultRecvBuffer.
	RecvBuffer int
	// Correlation is how every link makes its correlated draws (a profile's CORR values):
	// netem.CorrelationStated (the default: the stated rate and lag-1 correlation) or
	// netem.CorrelationKernel (Linux's get_crandom, to match a real qdisc given the same
	// text).
	Correlation netem.Correlation
	// Synctest runs the network in synctest mode: created inside a testing/synctest
	// bubble (synctest.Test), it runs on the bubble's clock and ordinary goroutines,
	// channels, timers and package time may use it; see "Synctest mode" in the package
	// doc. New fails if Synctest is set outside a bubble, or unset inside one.
	Synctest bool
}

// DatagramOverhead is what a queued datagram costs in a receive buffer beyond its
// payload, so that even empty datagrams fill the buffer.
const DatagramOverhead = 64

// Network is a deterministic simulated IPv4/UDP network on a virtual clock. Its methods
// are safe for concurrent use; see the package doc for which may block.
type Network struct {
	mu sync.Mutex // guards everything below; held only while network code runs

	seed      uint64            // read-only
	recvBuf   int               // read-only
	corr      netem.Correlation // read-only
	clock     *Clock            // read-only
	trace     *tracer
	def       netem.Profile
	hosts     []*Host
	byName    map[string]*Host
	byAddr    map[netip.Addr]*Host
	nextAuto  uint32 // last automatic address handed out, as an offset from 10.0.0.0
	links     map[pairKey]*link
	blocked   map[pairKey]blockReason   // partitions and downed links
	overrides map[pairKey]netem.Profile // own profiles (SetLink, ChangeLink)
	timers    map[uint64]struct{}       // AfterFunc timers not yet run or stopped
	nextTimer uint64
	pool      bufPool

	noRouteSent uint64 // datagrams to an address no host has

	// scheduler
	now      time.Duration // the virtual time; set only by setNowLocked
	nowCopy  atomic.Int64  // now, for Elapsed to read without the lock
	seq      uint64
	events   eventQueue
	live     []*gor // goroutines not yet done, in no particular order
	nextGID  int
	cur      *gor    // holds the run token; nil when the driver or a scheduled function does
	drvSlot  *coro   // where the driver is parked while simulated goroutines run
	zombies  []*coro // coroutines of goroutines ended by Goexit, to finish (transferLocked)
	running  bool
	limit    time.Duration
	runErr   error
	panicked error
	closed   bool
	stray    error   // the first blocking call from a goroutine not started by Go
	outside  outside // Interrupt and SleepContext, looked at once per event (interrupt.go)

	st    *stMode   // synctest mode's state; nil in cooperative mode (read-only)
	epoch time.Time // wall time of virtual time zero: Epoch, or the bubble's time at New (read-only)
}

// New returns an empty network; add hosts with AddHost.
func New(cfg Config) (*Network, error) {
	if err := cfg.Default.Validate(); err != nil {
		return nil, fmt.Errorf("simnet: Config.Default: %w", err)
	}
	if err := cfg.Correlation.Validate(); err != nil {
		return nil, fmt.Errorf("simnet: Config.Correlation: %w", err)
	}
	if cfg.RecvBuffer < 0 {
		return nil, fmt.Errorf("simnet: Config.RecvBuffer %d: must be >= 0 (0 means %d)", cfg.RecvBuffer, DefaultRecvBuffer)
	}
	n := &Network{
		seed:      cfg.Seed,
		recvBuf:   cfg.RecvBuffer,
		corr:      cfg.Correlation,
		def:       cfg.Default,
		byName:    make(map[string]*Host),
		byAddr:    make(map[netip.Addr]*Host),
		links:     make(map[pairKey]*link),
		blocked:   make(map[pairKey]blockReason),
		overrides: make(map[pairKey]netem.Profile),
	}
	if n.recvBuf == 0 {
		n.recvBuf = DefaultRecvBuffer
	}
	if cfg.Trace != nil || cfg.Observe != nil {
		n.trace = &tracer{w: cfg.Trace, observe: cfg.Observe}
	}
	n.clock = &Clock{n: n}
	if err := n.initMode(cfg.Synctest); err != nil {
		return nil, err
	}
	return n, nil
}

// Seed returns the network's seed, to print with a failing test.
func (n *Network) Seed() uint64 { return n.seed }

// Elapsed returns the virtual time since the network started.
// In cooperative mode it takes no lock (it reads nowCopy): simulated goroutines read the
// clock about as often as they send.
func (n *Network) Elapsed() time.Duration {
	if n.st == nil {
		return time.Duration(n.nowCopy.Load())
	}
	n.lock()
	defer n.mu.Unlock()
	return n.now
}

// setNowLocked moves the virtual clock to t. Every change of now goes through it, so that
// nowCopy always equals now.
func (n *Network) setNowLocked(t time.Duration) {
	n.now = t
	n.nowCopy.Store(int64(t))
}

// Clock returns the network's virtual clock.
func (n *Network) Clock() *Clock { return n.clock }

// At schedules fn to run at virtual time at (a time already past means now). fn runs
// between simulated goroutines, may call any Network or Conn method, and must not block
// (it is not a simulated goroutine; start one with Go for that). Faults are scheduled
// this way: n.At(5*time.Second, func() { n.Crash("host2") }).
func (n *Network) At(at time.Duration, fn func()) {
	n.lock()
	defer n.mu.Unlock()
	if at < n.now {
		at = n.now
	}
	n.pushLocked(fnEvent(at, evFunc, fn, 0))
}

// After schedules fn to run d from now, like At (d <= 0 means now).
func (n *Network) After(d time.Duration, fn func()) {
	n.lock()
	defer n.mu.Unlock()
	n.pushLocked(fnEvent(n.afterLocked(d), evFunc, fn, 0))
}

// afterLocked is the virtual time d from now, saturating instead of wrapping around (a
// d so long that it would wrap means never, as for Clock.Sleep).
func (n *Network) afterLocked(d time.Duration) time.Duration {
	at := n.now + max(d, 0)
	if at < n.now {
		at = forever - 1
	}
	return at
}

// Close closes every conn, ends every simulated goroutine and discards pending events. A
// goroutine blocked in ReadFrom gets net.ErrClosed; one that blocks again, or sleeps, is
// ended with runtime.Goexit (its deferred calls run). Called from test code, Close returns
// once every simulated goroutine has ended (one that loops without ever blocking keeps it
// from returning, as it would Run); called inside the simulation, they end as the current
// run drains. Close is idempotent.
func (n *Network) Close() error {
	n.lock()
	if n.closed {
		n.mu.Unlock()
		return nil
	}
	n.closed = true
	for _, h := range n.hosts {
		h.closeConnsLocked(errClosed)
	}
	if n.st != nil {
		n.stCloseLocked()
		n.mu.Unlock()
		return nil
	}
	for _, g := range n.live {
		if g.state == gBlocked {
			n.wakeLocked(g)
		}
	}
	if n.running {
		n.mu.Unlock()
		return nil
	}
	n.running = true
	n.limit = forever
	n.switchLocked(nil)
	n.running = false
	n.events = eventQueue{}
	n.timers = nil
	p := n.panicked
	n.panicked = nil
	n.mu.Unlock()
	if p != nil {
		panic(p)
	}
	return nil
}

// Goroutines returns how many simulated goroutines have not ended.
func (n *Network) Goroutines() int {
	if n.st != nil {
		return int(n.st.live.Load())
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	return len(n.live)
}
