//go:build unix

package main

import (
	"os"
	"os/signal"
	"syscall"
)

// notifyReport asks for SIGUSR1, which makes the proxy print its counters.
func notifyReport(c chan<- os.Signal) { signal.Notify(c, syscall.SIGUSR1) }
