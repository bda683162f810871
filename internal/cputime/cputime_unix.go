//go:build unix

// Package cputime reads the process's CPU time, for benchmarks that report cost per item:
// on a shared machine wall time measures the neighbours too, CPU time only this process.
package cputime

import (
	"syscall"
	"time"
)

// Process is the process's user+system CPU time so far.
func Process() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
