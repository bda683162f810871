//go:build linux

package proxy

import (
	"encoding/binary"
	"errors"
	"unsafe"

	"golang.org/x/sys/unix"
)

// gsoAvailable: Linux has UDP generic segmentation offload (UDP_SEGMENT, 4.18 and
// later): one sendmsg carries a run of datagrams to one destination, all of one size but
// the last, and the kernel cuts them apart below the UDP layer, so the per-datagram cost
// of the stack is paid once per run. On loopback the receiving socket gets them as
// separate datagrams, as it would from any sender.
const gsoAvailable = true

// gsoCmsgLen is the control message's size.
var gsoCmsgLen = unix.CmsgSpace(2)

// putGSO writes a UDP_SEGMENT control message for segments of size bytes into b
// (len(b) == gsoCmsgLen).
func putGSO(b []byte, size int) {
	h := (*unix.Cmsghdr)(unsafe.Pointer(&b[0]))
	h.Level = unix.SOL_UDP
	h.Type = unix.UDP_SEGMENT
	h.SetLen(unix.CmsgLen(2))
	binary.NativeEndian.PutUint16(b[unix.CmsgLen(0):], uint16(size))
}

// gsoRefused reports whether a send failed because segmentation is not available on
// this path (an old kernel, or a device without checksum offload): the writer then
// sends datagram by datagram from then on.
func gsoRefused(err error) bool {
	return errors.Is(err, unix.EIO) || errors.Is(err, unix.EINVAL) ||
		errors.Is(err, unix.ENOPROTOOPT) || errors.Is(err, unix.EOPNOTSUPP)
}
