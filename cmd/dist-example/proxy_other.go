//go:build !unix

package main

import "os"

// notifyReport: there is no SIGUSR1 here; use -interval or the control API.
func notifyReport(c chan<- os.Signal) {}
