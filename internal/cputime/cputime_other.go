//go:build !unix

// Package cputime reads the process's CPU time, for benchmarks that report cost per item.
package cputime

import "time"

// Process is not measured on this platform: it reads 0, and so do metrics made from it.
func Process() time.Duration { return 0 }
