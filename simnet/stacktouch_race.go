//go:build race || asan || msan

package simnet

// touchStack does nothing in race and sanitizer builds (see stacktouch.go).
func touchStack(*uintptr) {}

const (
	touchFrom = 1 << 62
	warmFrom  = 1 << 62
)

func warmSuccessor(*gor) {}
