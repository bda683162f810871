//go:build !race && !asan && !msan

package simnet

import "unsafe"

// touchStack asks for each cache line around *sp, the blockLocked frame of a parked
// goroutine about to be resumed. With a thousand hosts, two thousand goroutines take
// turns and a resumed one finds its stack lines cold: the resume path then returns
// through frame after frame (coroswitch, the iter.Pull closure, transferLocked,
// blockLocked, the read or sleep, the program's loop), each return waiting on its miss.
// Asked for here, independently and before the switch, the misses overlap. On amd64 it
// is a prefetch (prefetch_amd64.s), which the switch's own chain of loads does not wait
// behind; elsewhere, loads (prefetch_other.go). Below touchFrom nothing is touched.
//
// What it reads does not matter: the range stays inside memory that is or was g's stack
// (a stack that has moved since is still mapped Go memory). Below sp: g parked in
// coroswitch, deeper still, and the runtime's stack guard keeps more than 800 bytes
// below any running function's frame; above sp, the frames up to the coroutine's start
// span at least 470 bytes (blockLocked, Sleep or read, the goroutine's function,
// gor.main, iter.Pull's and the runtime's starting frames; measured 248 bytes to
// newCoro's function in the shallowest test goroutine, plus about 220 above it).
// Race and sanitizer builds skip it (stacktouch_race.go): their checks would see an
// unsynchronised read of another goroutine's memory.
//
//go:nosplit
func touchStack(sp *uintptr) { prefetchStack(*sp) }

// warmSuccessor asks, as g resumes, for the cache lines that resuming g.succ will read:
// if g hands the token to it again when it next parks, as goroutines taking turns in a
// steady order do, they arrive while g works instead of one after another at the switch.
// The addresses come from g's own record (g.succ, its stack and runtime record as they
// were then) and from g.succ's (where it is parked now and the closure its resumer will
// call). A wrong guess costs a few instructions and a few lines of cache.
func warmSuccessor(g *gor) {
	u := g.succ
	prefetchGoroutine(uintptr(unsafe.Pointer(u)), g.succSp, g.succG)
	prefetch2(uintptr(unsafe.Pointer(u.slot)), u.resumeFn)
}

// touchFrom is how many live goroutines it takes for transferLocked to touch stacks:
// with fewer, their stacks stay in cache and the loads would only cost instructions.
const touchFrom = 128

// warmFrom is how many live goroutines it takes for a goroutine to warm its successor
// (warmSuccessor): with fewer, what they use stays in cache and the prefetches would
// only cost instructions. Alternated 2-host and N-host segments in one process, ratio
// of 10th percentiles: with warming from 128, 100 hosts (200 goroutines) 1.14-1.18,
// without 1.08-1.12; 250 hosts 1.28-1.32 with, 1.30-1.37 without.
const warmFrom = 256
