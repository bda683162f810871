package app

import (
	"errors"
	"fmt"
	"net"
	"os"

	"github.com/dist-example/dist-example/transport"
)

// EchoStats is what an echo server counted.
type EchoStats struct {
	Datagrams   uint64 // datagrams received (and, but for WriteErrors, reflected)
	Bytes       uint64 // payload bytes received
	WriteErrors uint64 // reflections whose WriteTo failed
}

// Echo reflects every datagram that arrives on conn back to its sender, unchanged, until
// conn is closed; then it returns its counts and a nil error. A read deadline expiry is
// not an error (it reads again); any other read error ends it with that error. A failed
// reflection is counted and the server goes on: one unreachable sender must not stop it
// serving the others.
//
// onDatagram, if not nil, is called after each datagram with the running counts.
//
// It needs no clock and starts no goroutine: under the simulator it blocks only in
// ReadFrom, and the run stops it by closing conn.
func Echo(conn transport.PacketConn, onDatagram func(n int, from net.Addr, s EchoStats)) (EchoStats, error) {
	var s EchoStats
	if conn == nil {
		return s, errors.New("app: echo: no conn")
	}
	buf := make([]byte, pingReadBuf) // any UDP payload fits, so nothing is truncated
	for {
		n, from, err := conn.ReadFrom(buf)
		switch {
		case errors.Is(err, os.ErrDeadlineExceeded):
			continue
		case errors.Is(err, net.ErrClosed):
			return s, nil
		case err != nil:
			return s, fmt.Errorf("app: echo: read: %w", err)
		}
		s.Datagrams++
		s.Bytes += uint64(n)
		if _, err := conn.WriteTo(buf[:n], from); err != nil {
			if errors.Is(err, net.ErrClosed) {
				return s, nil
			}
			s.WriteErrors++
		}
		if onDatagram != nil {
			onDatagram(n, from, s)
		}
	}
}
