//go:build linux

package realnet

import (
	"fmt"
	"net"
	"syscall"
)

func setReadBuffer(c *net.UDPConn, rc syscall.RawConn, want int) (int, error) {
	var forceErr, getErr error
	got := 0
	ctlErr := rc.Control(func(fd uintptr) {
		// Trying FORCE and falling back on EPERM is simpler and more accurate than
		// guessing capabilities from the uid (containers may be root without
		// CAP_NET_ADMIN).
		forceErr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUFFORCE, want)
	})
	if ctlErr != nil {
		return 0, fmt.Errorf("realnet: read buffer: %w", ctlErr)
	}
	if forceErr != nil {
		if err := c.SetReadBuffer(want); err != nil {
			return 0, fmt.Errorf("realnet: set SO_RCVBUF to %d: %w", want, err)
		}
	}
	ctlErr = rc.Control(func(fd uintptr) {
		got, getErr = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF)
	})
	if ctlErr != nil {
		return 0, fmt.Errorf("realnet: read buffer: %w", ctlErr)
	}
	if getErr != nil {
		return 0, fmt.Errorf("realnet: read back SO_RCVBUF: %w", getErr)
	}
	return got, nil
}
