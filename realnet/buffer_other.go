//go:build !linux

package realnet

import (
	"fmt"
	"net"
	"syscall"
)

// setReadBuffer off Linux sets SO_RCVBUF through the standard library; reading it back
// portably would need golang.org/x/sys, which this module does not require, so got is 0.
func setReadBuffer(c *net.UDPConn, _ syscall.RawConn, want int) (int, error) {
	if err := c.SetReadBuffer(want); err != nil {
		return 0, fmt.Errorf("realnet: set SO_RCVBUF to %d: %w", want, err)
	}
	return 0, nil
}
