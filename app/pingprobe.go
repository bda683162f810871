package app

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"time"
)

// A ping probe is a fixed header padded with zeros to the probe size:
//
//	offset size field
//	0      4    magic "dxp1"
//	4      8    sequence number, big endian, from 0
//	12     8    send time: nanoseconds since the pinger started, big endian
//	20     4    CRC-32 (IEEE) of the whole datagram with this field zeroed
//
// The send time is an offset from the pinger's own start, not a wall-clock stamp: the
// real clock then measures it on the monotonic clock (immune to NTP steps), and a
// simulated clock may start at any epoch. Only the pinger reads it, so no clock needs to
// agree with the echo server's.
//
// The checksum exists because the simulator (like netem's corrupt) flips bits that no
// UDP checksum catches there: a flipped sequence number would otherwise pass for a
// duplicate or a reordered reply of another probe.
const (
	// PingHeaderLen is the size of the probe header, and so the smallest probe.
	PingHeaderLen = 24
	// PingMaxSize is the largest UDP payload over IPv4 (65535 - 20 - 8), the largest
	// probe.
	PingMaxSize = 65507
)

var pingMagic = [4]byte{'d', 'x', 'p', '1'}

// Errors returned by ParsePingProbe, so callers can count the kinds apart.
var (
	ErrPingShort    = errors.New("app: ping probe shorter than its header")
	ErrPingMagic    = errors.New("app: not a ping probe (bad magic)")
	ErrPingChecksum = errors.New("app: ping probe checksum mismatch")
)

// PingProbe is the decoded header of a probe or of its echo.
type PingProbe struct {
	Seq  uint64        // probe number, from 0
	Sent time.Duration // send time, measured from the pinger's start on its clock
}

// AppendPingProbe appends a probe of size bytes (header plus zero padding) to b and
// returns the extended slice. size must lie in [PingHeaderLen, PingMaxSize].
func AppendPingProbe(b []byte, p PingProbe, size int) ([]byte, error) {
	if size < PingHeaderLen || size > PingMaxSize {
		return b, fmt.Errorf("app: ping probe size %d; want %d..%d bytes", size, PingHeaderLen, PingMaxSize)
	}
	start := len(b)
	b = append(b, pingMagic[:]...)
	b = binary.BigEndian.AppendUint64(b, p.Seq)
	b = binary.BigEndian.AppendUint64(b, uint64(p.Sent))
	b = append(b, make([]byte, size-(len(b)-start))...)
	binary.BigEndian.PutUint32(b[start+20:], pingChecksum(b[start:]))
	return b, nil
}

// ParsePingProbe decodes the header of a probe (or echoed probe) and checks its checksum.
// It never panics, whatever b holds; bytes past the header are padding and only enter
// the checksum.
func ParsePingProbe(b []byte) (PingProbe, error) {
	if len(b) < PingHeaderLen {
		return PingProbe{}, fmt.Errorf("%w: %d bytes, want at least %d", ErrPingShort, len(b), PingHeaderLen)
	}
	if [4]byte(b[:4]) != pingMagic {
		return PingProbe{}, ErrPingMagic
	}
	if got, want := binary.BigEndian.Uint32(b[20:24]), pingChecksum(b); got != want {
		return PingProbe{}, fmt.Errorf("%w: carried %#08x, computed %#08x", ErrPingChecksum, got, want)
	}
	return PingProbe{
		Seq:  binary.BigEndian.Uint64(b[4:12]),
		Sent: time.Duration(binary.BigEndian.Uint64(b[12:20])),
	}, nil
}

// pingZero stands in for the checksum field; a package variable, since a local array
// passed to crc32 escapes and costs an allocation per probe.
var pingZero [4]byte

// pingChecksum is the CRC-32 of b with the checksum field (bytes 20..23) taken as zero.
func pingChecksum(b []byte) uint32 {
	c := crc32.Update(0, crc32.IEEETable, b[:20])
	c = crc32.Update(c, crc32.IEEETable, pingZero[:])
	return crc32.Update(c, crc32.IEEETable, b[24:])
}
