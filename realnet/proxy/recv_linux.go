//go:build linux && (amd64 || arm64)

package proxy

import (
	"encoding/binary"
	"net"
	"net/netip"
	"strconv"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// mmsghdr is the kernel's struct mmsghdr on 64-bit Linux: a msghdr and the length the
// call received into it.
type mmsghdr struct {
	hdr unix.Msghdr
	n   uint32
	_   [4]byte
}

// reader reads bursts of datagrams from one socket with recvmmsg, into buffers and
// source addresses it keeps: unlike golang.org/x/net's ReadBatch, which allocates a
// net.UDPAddr per datagram, a read allocates nothing. The call is a raw system call (the
// socket is non-blocking: it returns at once, and the goroutine keeps its P; see
// rawWriter). Not safe for concurrent use.
type reader struct {
	rc   syscall.RawConn
	hs   []mmsghdr
	iov  []unix.Iovec
	bufs [][]byte
	from []unix.RawSockaddrAny

	read1 func(fd uintptr) bool // the RawConn callback, made once
	n     int                   // what the last call returned
	errno syscall.Errno
}

func newReader(c *net.UDPConn) *reader {
	r := &reader{hs: make([]mmsghdr, maxReadBatch), iov: make([]unix.Iovec, maxReadBatch),
		bufs: make([][]byte, maxReadBatch), from: make([]unix.RawSockaddrAny, maxReadBatch)}
	rc, err := c.SyscallConn()
	if err != nil { // only for a closed socket: reads then fail as closed
		return r
	}
	r.rc = rc
	for i := range r.hs {
		r.bufs[i] = make([]byte, maxDatagram)
		r.iov[i].Base = &r.bufs[i][0]
		r.iov[i].SetLen(maxDatagram)
	}
	r.read1 = func(fd uintptr) bool {
		for i := range r.hs {
			h := &r.hs[i].hdr
			h.Name = (*byte)(unsafe.Pointer(&r.from[i]))
			h.Namelen = unix.SizeofSockaddrAny
			h.Iov = &r.iov[i]
			h.SetIovlen(1)
		}
		n, _, e := unix.RawSyscall6(unix.SYS_RECVMMSG, fd, uintptr(unsafe.Pointer(&r.hs[0])),
			uintptr(len(r.hs)), 0, 0, 0)
		if e == unix.EAGAIN || e == unix.EINTR {
			return false // the poller waits for the socket to be readable again
		}
		r.n, r.errno = int(n), e
		return true
	}
	return r
}

// read waits for at least one datagram and returns how many it read. Errors are the
// socket's: deadline exceeded, closed, or one the kernel reports (then n is 0).
func (r *reader) read() (int, error) {
	if r.rc == nil {
		return 0, net.ErrClosed
	}
	if err := r.rc.Read(r.read1); err != nil {
		return 0, err
	}
	if r.errno != 0 {
		return 0, r.errno
	}
	return r.n, nil
}

// datagram returns the i-th datagram read and its source.
func (r *reader) datagram(i int) ([]byte, netip.AddrPort) {
	data := r.bufs[i][:r.hs[i].n]
	sa := &r.from[i]
	switch sa.Addr.Family {
	case unix.AF_INET:
		a := (*unix.RawSockaddrInet4)(unsafe.Pointer(sa))
		return data, netip.AddrPortFrom(netip.AddrFrom4(a.Addr), port(&a.Port))
	case unix.AF_INET6:
		a := (*unix.RawSockaddrInet6)(unsafe.Pointer(sa))
		ip := netip.AddrFrom16(a.Addr)
		if a.Scope_id != 0 {
			ip = ip.WithZone(strconv.FormatUint(uint64(a.Scope_id), 10))
		}
		return data, netip.AddrPortFrom(ip, port(&a.Port))
	}
	return data, netip.AddrPort{}
}

// port reads a sockaddr's port, stored in network byte order.
func port(p *uint16) uint16 {
	return binary.BigEndian.Uint16((*[2]byte)(unsafe.Pointer(p))[:])
}
