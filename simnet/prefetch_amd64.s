#include "textflag.h"

// The lines from R-256 to R+256: a parked goroutine's stack around its blockLocked frame.
#define PREFETCH_STACK(R) \
	PREFETCHT0	-256(R); \
	PREFETCHT0	-192(R); \
	PREFETCHT0	-128(R); \
	PREFETCHT0	-64(R); \
	PREFETCHT0	0(R); \
	PREFETCHT0	64(R); \
	PREFETCHT0	128(R); \
	PREFETCHT0	192(R); \
	PREFETCHT0	256(R)

// func prefetchStack(p uintptr)
TEXT ·prefetchStack(SB), NOSPLIT|NOFRAME, $0-8
	MOVQ	p+0(FP), AX
	PREFETCH_STACK(AX)
	RET

// func prefetchGoroutine(gor, sp, rtg uintptr)
TEXT ·prefetchGoroutine(SB), NOSPLIT|NOFRAME, $0-24
	MOVQ	gor+0(FP), AX
	PREFETCHT0	0(AX)
	PREFETCHT0	64(AX)
	PREFETCHT0	128(AX)
	PREFETCHT0	192(AX)
	MOVQ	rtg+16(FP), AX
	PREFETCHT0	0(AX)
	PREFETCHT0	64(AX)
	PREFETCHT0	128(AX)
	PREFETCHT0	192(AX)
	PREFETCHT0	256(AX)
	PREFETCHT0	320(AX)
	MOVQ	sp+8(FP), AX
	PREFETCH_STACK(AX)
	RET

// func prefetch2(a, b uintptr)
TEXT ·prefetch2(SB), NOSPLIT|NOFRAME, $0-16
	MOVQ	a+0(FP), AX
	PREFETCHT0	0(AX)
	MOVQ	b+8(FP), AX
	PREFETCHT0	0(AX)
	RET

// func getg() uintptr
TEXT ·getg(SB), NOSPLIT|NOFRAME, $0-8
	MOVQ	(TLS), AX
	MOVQ	AX, ret+0(FP)
	RET
