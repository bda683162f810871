package simnet

// The prefetches ask the CPU to bring cache lines in without waiting for them
// (PREFETCHT0 never faults, whatever the address, and retires at once).

// prefetchStack asks for the lines from p-256 to p+256.
func prefetchStack(p uintptr)

// prefetchGoroutine asks for what resuming a parked goroutine reads: its gor's four lines
// from gor, its stack from sp-256 to sp+256 (as prefetchStack), and the runtime's
// goroutine record at rtg, six lines.
func prefetchGoroutine(gor, sp, rtg uintptr)

// prefetch2 asks for the lines at a and at b.
func prefetch2(a, b uintptr)

// getg returns the address of the calling goroutine's runtime record (the g register,
// as the runtime's own assembly reads it), only ever used as a prefetch address.
func getg() uintptr
