//go:build !race && !asan && !msan

package simnet

import "unsafe"

// touchStack loads one word of each cache line around *sp, the blockLocked frame of a
// parked goroutine about to be resumed. With a thousand hosts, two thousand goroutines
// take turns and a resumed one finds its stack lines cold: the resume path then returns
// through frame after frame (coroswitch, the iter.Pull closure, transferLocked,
// blockLocked, the read or sleep, the program's loop), each return waiting on its miss.
// Loaded here, independently and before the switch, the misses overlap. BenchmarkHosts,
// same run, best of 4: 1000 hosts 0.82-0.85x, 100 hosts 0.97x; below touchFrom nothing is
// touched (11 more instructions per datagram in SimHour, cachegrind).
//
// It only reads, and what it reads does not matter: the range stays inside memory that is
// or was g's stack (a stack that has moved since is still mapped Go memory). Below sp:
// g parked in coroswitch, deeper still, and the runtime's stack guard keeps more than
// 800 bytes below any running function's frame; above sp, the frames up to the
// coroutine's start span at least 470 bytes (blockLocked, Sleep or read, the goroutine's
// function, gor.main, iter.Pull's and the runtime's starting frames; measured 248 bytes
// to newCoro's function in the shallowest test goroutine, plus about 220 above it).
// Race and sanitizer builds skip it (stacktouch_race.go): their checks would see an
// unsynchronised read of another goroutine's memory.
//
//go:nosplit
//go:nocheckptr
func touchStack(sp *uintptr) {
	p := *(*unsafe.Pointer)(unsafe.Pointer(sp))
	var x uintptr
	for off := -256; off < 320; off += 64 {
		x += *(*uintptr)(unsafe.Add(p, off))
	}
	touchSink = x
}

var touchSink uintptr // keeps the loads

// touchFrom is how many live goroutines it takes for transferLocked to touch stacks:
// with fewer, their stacks stay in cache and the loads would only cost instructions.
const touchFrom = 128
