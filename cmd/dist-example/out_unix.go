//go:build unix

package main

import (
	"errors"
	"syscall"
)

// processExists reports whether a process with this PID exists (one we may not signal
// exists too).
func processExists(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
