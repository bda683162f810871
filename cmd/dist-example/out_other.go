//go:build !unix

package main

// processExists cannot tell here, so it says yes: nothing is removed.
func processExists(pid int) bool { return true }
