package simnet

import (
	"fmt"
	"runtime"
	"strconv"
	"unsafe"
)

// The scheduler must know which goroutine calls a blocking method (Conn.ReadFrom,
// Clock.Sleep): the holder of the run token, or a stray one, such as a goroutine that a
// simulated goroutine started with a plain go statement. Taking a stray call for the
// holder's would park the wrong goroutine and move time for both, silently. Go gives no
// goroutine identity, so a simulated goroutine is recognised by where its stack is:
//
//   - The slow, certain way: the goroutine ID in the header of runtime.Stack (tens of
//     microseconds), noted once when the goroutine starts.
//   - The fast way: the stack addresses at which a call was already found, the slow way,
//     to be the holder's. A frame at such an address is on the holder's stack, which no
//     other goroutine's stack overlaps while the holder's stays where it is. A goroutine
//     reads from a few places in a loop, so after a few slow checks every call is fast.
//
// A stack moves when it grows or is shrunk by the garbage collector. A move while the
// goroutine is parked (where it spends its time) is noticed on resuming, and the
// addresses are forgotten. A move while it runs is not, and the old addresses would then
// name freed memory, which a stray goroutine's stack could reuse and call from at exactly
// such an address: a narrow window that the ID check closes only for the calls it sees.

// caller is what a simulated goroutine knows of its real goroutine. Guarded by
// Network.mu, and set on the goroutine itself.
type caller struct {
	goid uint64
	sps  [4]uintptr // stack addresses of calls found to be this goroutine's (0: none)
	next int        // the slot of sps to fill next
}

// callerNow describes the calling goroutine.
func callerNow() caller { return caller{goid: goid()} }

// goid returns the calling goroutine's ID from the header line of its stack trace,
// "goroutine 18 [running]:".
func goid() uint64 {
	var buf [64]byte
	b := buf[:runtime.Stack(buf[:], false)]
	const prefix = "goroutine "
	if len(b) < len(prefix) || string(b[:len(prefix)]) != prefix {
		panic("simnet: cannot read the goroutine ID from runtime.Stack: " + strconv.Quote(string(b)))
	}
	b = b[len(prefix):]
	var id uint64
	for len(b) > 0 && b[0] >= '0' && b[0] <= '9' {
		id = id*10 + uint64(b[0]-'0')
		b = b[1:]
	}
	return id
}

// stackMark returns an address on the caller's stack: called twice at the same depth of
// the same goroutine it returns the same value unless the stack moved in between.
//
//go:noinline
func stackMark() uintptr {
	var probe byte
	return uintptr(unsafe.Pointer(&probe))
}

// forget drops the addresses after the stack moved.
func (c *caller) forget() { c.sps, c.next = [4]uintptr{}, 0 }

// isCalling reports whether the goroutine calling a blocking method, whose frame is at
// stack address sp, is c's.
func (c *caller) isCalling(sp uintptr) bool {
	if c.sps[0] == sp || c.sps[1] == sp || c.sps[2] == sp || c.sps[3] == sp {
		return true
	}
	return c.isCallingSlow(sp)
}

func (c *caller) isCallingSlow(sp uintptr) bool {
	if goid() != c.goid {
		return false
	}
	c.sps[c.next] = sp
	c.next = (c.next + 1) % len(c.sps)
	return true
}

// holderLocked returns the simulated goroutine that holds the run token, for a blocking
// method about to park it: nil with ErrNotSimulated if none does (test code or a
// scheduled function calls), or nil with an error wrapping ErrStray if the caller is
// another goroutine. A stray call is also kept as the error Run returns, so that it is
// seen even if the caller ignores it.
//
//go:noinline
func (n *Network) holderLocked(op string) (*gor, error) {
	g := n.cur
	if g == nil {
		return nil, ErrNotSimulated
	}
	if g.self.isCalling(stackMark()) {
		return g, nil
	}
	err := fmt.Errorf("%w: %s while simulated goroutine %d %q holds the run token", ErrStray, op, g.id, g.name)
	if n.stray == nil {
		n.stray = err
	}
	return nil, err
}
