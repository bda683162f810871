//go:build !(linux && (amd64 || arm64))

package proxy

import "net"

// withRawWrites keeps golang.org/x/net's batched writes where there is no raw sendmmsg.
func withRawWrites(_ *net.UDPConn, x batchConn, _ bool) batchConn { return x }
