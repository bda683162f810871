//go:build unix

package main

import (
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestProxyPrintsCountersOnSIGUSR1(t *testing.T) {
	up, _ := proxyUDPSink(t)
	r := startProxyCmd(t, "-listen", "127.0.0.1:0", "-upstream", up.LocalAddr().String())
	// The start line is printed after the handler is installed, so this cannot kill us.
	require.NoError(t, syscall.Kill(syscall.Getpid(), syscall.SIGUSR1))
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(r.stdout.String(), "signal forward") {
		require.True(t, time.Now().Before(deadline), "no report after SIGUSR1: %q", proxyTail(r.stdout.String()))
		time.Sleep(time.Millisecond)
	}
	require.NoError(t, r.stop(t))
}
