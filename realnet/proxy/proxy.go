package proxy

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/benbjohnson/clock"

	"github.com/dist-example/dist-example/realnet"
	"github.com/dist-example/dist-example/simnet/netem"
)

// Defaults for the zero values of Config.
const (
	DefaultMaxSessions = 1024
	DefaultIdleTimeout = 60 * time.Second
	DefaultReadBuffer  = 4 << 20
)

// maxDatagram is the read buffer size: every UDP payload fits, so nothing is truncated.
const maxDatagram = 64 << 10

// Config describes one proxy. Listen and Upstream are required.
type Config struct {
	Listen   string // "host:port" the clients send to; port 0 picks one (see Proxy.Addr)
	Upstream string // "host:port" of the real server

	Forward netem.Profile // impairs client -> upstream; the zero Profile impairs nothing
	Reverse netem.Profile // impairs upstream -> client

	// Seed drives both links' random draws; each direction gets its own stream derived
	// from it (SeedFor), so a run is described by the profiles and this number. A
	// profile's own tc "seed N" overrides it for netem's PRNG of that link, as in tc.
	Seed uint64
	// Correlation is how both links make correlated draws (a profile's CORR values):
	// netem.CorrelationStated (the default) or netem.CorrelationKernel, Linux's
	// get_crandom, to behave as a real qdisc given the same text. Profile changes keep it.
	Correlation netem.Correlation

	MaxSessions int           // clients relayed at once; 0 means DefaultMaxSessions
	IdleTimeout time.Duration // a client none of whose datagrams was read or written this long (either way), with none queued, is forgotten; 0 means DefaultIdleTimeout
	ReadBuffer  int           // socket receive buffer asked for, bytes; 0 means DefaultReadBuffer, <0 leaves the OS default
	// QueueBytes bounds the memory each direction's queue holds: the payload buffers of
	// the datagrams queued in its link or waiting to be written. A datagram that would go
	// over it is dropped before the link sees it (DirectionStats.ByteLimitDrops), as the
	// profile's limit drops by count. 0 means DefaultQueueBytes.
	QueueBytes int64
	// NoRealtime keeps the delivery threads at ordinary priority. Otherwise, with the
	// precise timer (Clock nil, Linux), each direction's thread asks for the lowest
	// real-time priority (SCHED_FIFO 1) where the process may have it, so the due times
	// hold on a loaded machine; it never runs for long at a time.
	NoRealtime bool

	// Clock drives the links (their now and the delivery timer); nil means the real
	// clock, and on Linux a delivery timer that writes within microseconds of the due
	// times (a timerfd on a thread of its own, then a short spin); any other clock drives
	// Go timers, which can be a millisecond late. Socket deadlines, which pace
	// idle-session sweeps, stay on the wall clock.
	Clock clock.Clock
}

// Proxy relays UDP datagrams between clients and one upstream, each direction through
// its own netem link. Methods are safe for concurrent use.
type Proxy struct {
	cfg        Config        // read-only, defaults filled in
	clk        clock.Clock   // read-only
	start      time.Time     // read-only: the links' epoch
	listen     *net.UDPConn  // read-only
	upstream   *net.UDPAddr  // read-only
	upOverhead int           // read-only: header bytes toward the upstream
	pool       *bufPool      // read-only
	dirs       [2]*direction // read-only
	done       chan struct{} // closed by Close
	closeOnce  sync.Once
	closeErr   error // set once by Close
	wg         sync.WaitGroup

	sessMu   sync.Mutex
	sessions map[netip.AddrPort]*session // requires sessMu; after Close, those open when it closed
	closed   bool                        // requires sessMu

	sessOpened, sessExpired uint64 // requires sessMu: changed with the table, so they add up
	sessRejected            atomic.Uint64
}

// Errors for bad configurations; New wraps them with the offending value.
var (
	ErrNoListen   = errors.New("proxy: no listen address (want host:port, e.g. 127.0.0.1:9001)")
	ErrNoUpstream = errors.New("proxy: no upstream address (want host:port, e.g. 127.0.0.1:9000)")
	ErrSelfLoop   = errors.New("proxy: the upstream is the proxy's own listen address")
)

// New opens the listen socket and starts relaying. Close stops it.
func New(cfg Config) (*Proxy, error) {
	if cfg.Listen == "" {
		return nil, ErrNoListen
	}
	if cfg.Upstream == "" {
		return nil, ErrNoUpstream
	}
	if cfg.MaxSessions < 0 {
		return nil, fmt.Errorf("proxy: max sessions %d; want 0 (default %d) or more", cfg.MaxSessions, DefaultMaxSessions)
	}
	if cfg.IdleTimeout < 0 {
		return nil, fmt.Errorf("proxy: idle timeout %v; want 0 (default %v) or more", cfg.IdleTimeout, DefaultIdleTimeout)
	}
	if cfg.QueueBytes < 0 {
		return nil, fmt.Errorf("proxy: queue bytes %d; want 0 (default %d) or more", cfg.QueueBytes, DefaultQueueBytes)
	}
	if cfg.QueueBytes == 0 {
		cfg.QueueBytes = DefaultQueueBytes
	}
	if cfg.MaxSessions == 0 {
		cfg.MaxSessions = DefaultMaxSessions
	}
	if cfg.IdleTimeout == 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	if cfg.ReadBuffer == 0 {
		cfg.ReadBuffer = DefaultReadBuffer
	}
	precise := cfg.Clock == nil
	if precise {
		cfg.Clock = clock.New()
	}

	if err := cfg.Correlation.Validate(); err != nil {
		return nil, fmt.Errorf("proxy: Config.Correlation: %w", err)
	}
	up, err := net.ResolveUDPAddr("udp", cfg.Upstream)
	if err != nil {
		return nil, fmt.Errorf("proxy: upstream address %q: %w (want host:port)", cfg.Upstream, err)
	}
	if up.Port == 0 {
		return nil, fmt.Errorf("proxy: upstream address %q has port 0; want a port in 1..65535", cfg.Upstream)
	}
	laddr, err := net.ResolveUDPAddr("udp", cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("proxy: listen address %q: %w (want host:port)", cfg.Listen, err)
	}
	ln, err := net.ListenUDP("udp", laddr)
	if err != nil {
		return nil, fmt.Errorf("proxy: listen on %q: %w", cfg.Listen, err)
	}
	if selfLoop(ln.LocalAddr().(*net.UDPAddr), up) {
		ln.Close()
		return nil, fmt.Errorf("%w (listen %s, upstream %s)", ErrSelfLoop, ln.LocalAddr(), up)
	}
	if cfg.ReadBuffer > 0 {
		// Best effort: past the kernel's cap only with CAP_NET_ADMIN.
		_, _ = realnet.SetReadBuffer(ln, cfg.ReadBuffer)
		_ = ln.SetWriteBuffer(cfg.ReadBuffer)
	}

	p := &Proxy{
		cfg: cfg, clk: cfg.Clock, start: cfg.Clock.Now(), listen: ln, upstream: up,
		upOverhead: ipUDPOverhead(up.AddrPort().Addr()),
		pool:       newBufPool(),
		done:       make(chan struct{}),
		sessions:   make(map[netip.AddrPort]*session),
	}
	newWaiter := func() waiter {
		if precise {
			if w := newPreciseWaiter(p.now, !cfg.NoRealtime); w != nil {
				return w
			}
		}
		return newClockWaiter(p.clk, p.now)
	}
	p.dirs[Forward] = newDirection(Forward, cfg.Forward, SeedFor(cfg.Seed, Forward), cfg.Correlation, cfg.QueueBytes,
		p.now, newWaiter(), p.pool, p.done, toUpstream{})
	p.dirs[Reverse] = newDirection(Reverse, cfg.Reverse, SeedFor(cfg.Seed, Reverse), cfg.Correlation, cfg.QueueBytes,
		p.now, newWaiter(), p.pool, p.done, newToClient(ln))
	// With precise waiters on more than one CPU, each direction also runs a backup loop
	// (see direction.loop): the two threads are seldom stopped at once.
	if precise && runtime.NumCPU() > 1 {
		for _, d := range p.dirs {
			if w := newPreciseWaiter(p.now, !cfg.NoRealtime); w != nil {
				d.backup = w
			}
		}
	}

	for _, d := range p.dirs {
		p.wg.Add(1)
		go func() { defer p.wg.Done(); d.loop(d.w) }()
		if d.backup != nil {
			p.wg.Add(1)
			go func() { defer p.wg.Done(); d.loop(d.backup) }()
		}
	}
	p.wg.Add(1)
	go p.readClients()
	return p, nil
}

// selfLoop reports whether relaying to up would send datagrams back into the proxy.
func selfLoop(listen, up *net.UDPAddr) bool {
	if listen.Port != up.Port {
		return false
	}
	return listen.IP.Equal(up.IP) || (listen.IP.IsUnspecified() && (up.IP.IsLoopback() || up.IP.IsUnspecified()))
}

// SeedFor derives the seed of one direction's link from the proxy's seed, so the two
// directions draw independent streams and either can be replayed in simnet.
func SeedFor(seed uint64, d Direction) uint64 {
	// splitmix64 of seed and direction: consecutive seeds give unrelated streams.
	z := seed + 0x9e3779b97f4a7c15*uint64(d+1)
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// now is the links' time: real time since the proxy started.
func (p *Proxy) now() time.Duration { return p.clk.Since(p.start) }

// Addr is the address clients send to (with the port chosen when Listen had port 0).
func (p *Proxy) Addr() *net.UDPAddr { return p.listen.LocalAddr().(*net.UDPAddr) }

// Upstream is the resolved upstream address.
func (p *Proxy) Upstream() *net.UDPAddr { return p.upstream }

// Seed is the seed the links were derived from.
func (p *Proxy) Seed() uint64 { return p.cfg.Seed }

// Profile returns the profile currently impairing direction d.
func (p *Proxy) Profile(d Direction) netem.Profile { return p.dirs[d].profile() }

// SetProfile makes prof, exactly, direction d's profile from the next datagram on (as
// deleting and re-adding the qdisc would), but packets already queued keep their due
// times and no counter is reset.
func (p *Proxy) SetProfile(d Direction, prof netem.Profile) { p.dirs[d].setProfile(prof, false) }

// ResetProfile makes prof direction d's profile as deleting and re-adding the qdisc
// does: every datagram queued in d's link is dropped (counted Flushed) and the link
// starts afresh from d's seed. Datagrams already released to be written still go; the
// counters go on. It returns the profile now in force.
func (p *Proxy) ResetProfile(d Direction, prof netem.Profile) netem.Profile {
	return p.dirs[d].reset(prof)
}

// ChangeProfile applies prof to direction d with the semantics of
// "tc qdisc change ... netem": settings prof leaves out are reset or kept as tc
// does (corrupt, rate, slot, the delay table and correlations are kept; see
// netem.Link.SetProfile). It returns the profile now in force. Queued packets and
// counters are kept.
func (p *Proxy) ChangeProfile(d Direction, prof netem.Profile) netem.Profile {
	return p.dirs[d].setProfile(prof, true)
}

// Counters returns a snapshot of both directions' counters and the session table.
func (p *Proxy) Counters() Counters {
	c := Counters{Elapsed: p.now()}
	c.Forward = p.dirs[Forward].stats()
	c.Reverse = p.dirs[Reverse].stats()
	p.sessMu.Lock()
	c.Sessions.Active = len(p.sessions)
	c.Sessions.Opened = p.sessOpened
	c.Sessions.Expired = p.sessExpired
	p.sessMu.Unlock()
	c.Sessions.Rejected = p.sessRejected.Load()
	return c
}

// Close stops relaying, closes every socket and waits for every goroutine the proxy
// started. Packets still queued in the links are abandoned (they stay counted InFlight),
// and the sessions open at that moment stay counted Active, so the counters read after
// Close are the final ones and still add up (Opened = Active + Expired).
func (p *Proxy) Close() error {
	p.closeOnce.Do(func() {
		close(p.done)
		for _, d := range p.dirs {
			d.kick() // a loop asleep looks at done
		}
		p.closeErr = p.listen.Close()
		p.sessMu.Lock()
		p.closed = true
		all := make([]*session, 0, len(p.sessions))
		for _, s := range p.sessions {
			all = append(all, s)
		}
		p.sessMu.Unlock()
		for _, s := range all {
			s.conn.Close()
		}
		p.wg.Wait()
	})
	return p.closeErr
}
