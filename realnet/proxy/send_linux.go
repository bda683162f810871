//go:build linux && (amd64 || arm64)

package proxy

import (
	"net"
	"strconv"
	"syscall"
	"unsafe"

	"golang.org/x/net/ipv4"
	"golang.org/x/sys/unix"
)

// rawWriter is a batchConn whose WriteBatch makes the sendmmsg call itself, as a raw
// system call: the socket is non-blocking, so the call never sleeps in the kernel, and
// the goroutine keeps its P through it. golang.org/x/net's WriteBatch goes through the
// runtime's blocking-syscall path instead; a segmented burst toward loopback takes tens
// of microseconds in the kernel, long enough for the runtime's monitor to take the P
// away and wake another thread to run it, several times a millisecond under load (a
// tenth of the proxy's CPU time in a blast). ReadBatch stays golang.org/x/net's.
type rawWriter struct {
	batchConn // ReadBatch
	rc        syscall.RawConn
	v6        bool // the socket is IPv6: destinations go as sockaddr_in6

	hs    []mmsghdr
	iov   []unix.Iovec
	names []unix.RawSockaddrInet6 // big enough for either family

	send1 func(fd uintptr) bool // the RawConn callback, made once
	nm    int                   // messages to send
	n     int                   // what the last call returned
	errno syscall.Errno
}

func withRawWrites(c *net.UDPConn, x batchConn, v6 bool) batchConn {
	rc, err := c.SyscallConn()
	if err != nil {
		return x
	}
	w := &rawWriter{batchConn: x, rc: rc, v6: v6}
	w.send1 = func(fd uintptr) bool {
		n, _, e := unix.RawSyscall6(unix.SYS_SENDMMSG, fd, uintptr(unsafe.Pointer(&w.hs[0])), uintptr(w.nm), 0, 0, 0)
		if e == unix.EAGAIN || e == unix.EINTR {
			return false // the poller waits for the socket to be writable
		}
		w.n, w.errno = int(n), e
		return true
	}
	return w
}

// WriteBatch sends ms as one sendmmsg call and returns how many messages the kernel
// took; with an error, the message at that index is the one it refused.
func (w *rawWriter) WriteBatch(ms []ipv4.Message, _ int) (int, error) {
	if len(ms) == 0 {
		return 0, nil
	}
	w.fill(ms)
	w.n, w.errno = 0, 0
	err := w.rc.Write(w.send1)
	clear(w.iov) // let the datagrams' buffers go
	clear(w.hs[:len(ms)])
	if err != nil {
		return 0, err
	}
	if w.errno != 0 {
		return 0, w.errno
	}
	return w.n, nil
}

// fill lays ms out as the kernel's mmsghdrs, in buffers kept across calls.
func (w *rawWriter) fill(ms []ipv4.Message) {
	bufs := 0
	for i := range ms {
		bufs += len(ms[i].Buffers)
	}
	if len(w.hs) < len(ms) {
		w.hs = make([]mmsghdr, len(ms))
		w.names = make([]unix.RawSockaddrInet6, len(ms))
	}
	if len(w.iov) < bufs {
		w.iov = make([]unix.Iovec, bufs)
	}
	w.nm = len(ms)
	k := 0
	for i := range ms {
		m := &ms[i]
		h := &w.hs[i].hdr
		*h = unix.Msghdr{}
		start := k
		for _, b := range m.Buffers {
			if len(b) > 0 {
				w.iov[k].Base = &b[0]
			} else {
				w.iov[k].Base = nil
			}
			w.iov[k].SetLen(len(b))
			k++
		}
		if k > start {
			h.Iov = &w.iov[start]
			h.SetIovlen(k - start)
		}
		if len(m.OOB) > 0 {
			h.Control = &m.OOB[0]
			h.SetControllen(len(m.OOB))
		}
		if a, ok := m.Addr.(*net.UDPAddr); ok && a != nil {
			h.Name, h.Namelen = w.sockaddr(i, a)
		}
	}
}

// sockaddr writes a into the i-th name slot in the socket's family.
func (w *rawWriter) sockaddr(i int, a *net.UDPAddr) (*byte, uint32) {
	slot := &w.names[i]
	port := [2]byte{byte(a.Port >> 8), byte(a.Port)}
	if ip4 := a.IP.To4(); ip4 != nil && !w.v6 {
		sa := (*unix.RawSockaddrInet4)(unsafe.Pointer(slot))
		*sa = unix.RawSockaddrInet4{Family: unix.AF_INET}
		*(*[2]byte)(unsafe.Pointer(&sa.Port)) = port
		copy(sa.Addr[:], ip4)
		return (*byte)(unsafe.Pointer(sa)), unix.SizeofSockaddrInet4
	}
	*slot = unix.RawSockaddrInet6{Family: unix.AF_INET6}
	*(*[2]byte)(unsafe.Pointer(&slot.Port)) = port
	copy(slot.Addr[:], a.IP.To16())
	if a.Zone != "" { // the reader writes scope ids as numbers
		if id, err := strconv.ParseUint(a.Zone, 10, 32); err == nil {
			slot.Scope_id = uint32(id)
		} else if ifi, err := net.InterfaceByName(a.Zone); err == nil {
			slot.Scope_id = uint32(ifi.Index)
		}
	}
	return (*byte)(unsafe.Pointer(slot)), unix.SizeofSockaddrInet6
}
