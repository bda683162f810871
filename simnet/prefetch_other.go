//go:build !amd64

package simnet

import "unsafe"

// prefetchStack loads one word of each line from p-256 to p+256: without a prefetch
// instruction, the loads at least miss together.
//
//go:nocheckptr
func prefetchStack(p uintptr) {
	if p == 0 {
		return
	}
	base := *(*unsafe.Pointer)(unsafe.Pointer(&p))
	var x uintptr
	for off := -256; off < 320; off += 64 {
		x += *(*uintptr)(unsafe.Add(base, off))
	}
	touchSink = x
}

var touchSink uintptr // keeps the loads

// prefetchGoroutine loads the stack lines only (see prefetch_amd64.go).
func prefetchGoroutine(gor, sp, rtg uintptr) { prefetchStack(sp) }

// prefetch2 does nothing without a prefetch instruction.
func prefetch2(a, b uintptr) {}

// getg is 0 where simnet has no assembly to read it.
func getg() uintptr { return 0 }
