//go:build !linux || !(amd64 || arm64)

package proxy

import (
	"net"
	"net/netip"
	"syscall"
)

// Without sendmmsg, datagrams are written one at a time (see mmsg_linux.go).

const batchingSupported = false

type batcher struct{}

func newBatcher() *batcher { return &batcher{} }

func socketIs6(*net.UDPConn) bool { return false }

func (*batcher) send(syscall.RawConn, bool, [][]byte, []netip.AddrPort) int {
	panic("proxy: batched send without sendmmsg")
}

type receiver struct{}

const maxReadBatch = 1

func newReceiver() *receiver { return &receiver{} }

func (*receiver) recv(syscall.RawConn) (int, error) { panic("proxy: batched read without recvmmsg") }

func (*receiver) datagram(int) ([]byte, netip.AddrPort) {
	panic("proxy: batched read without recvmmsg")
}
