package main

import (
	"encoding/binary"
	"io"
	"net/netip"

	"github.com/dist-example/dist-example/simnet"
	"github.com/dist-example/dist-example/simnet/scenario"
)

// pcapSnaplen is the capture length: any UDP datagram over IPv4 fits whole.
const pcapSnaplen = 65536

// Header sizes of a captured frame, and the shortest Ethernet frame (without its FCS):
// shorter ones are padded with zeros.
const (
	ethLen      = 14
	ipv4Len     = 20
	udpLen      = 8
	ethMinFrame = 60
)

// pcapWriter writes what host2's socket received as a classic pcap file (microsecond
// timestamps, the format every tool reads): one Ethernet/IPv4/UDP frame per datagram,
// stamped with Epoch plus the virtual time of its delivery. The capture point is host2's
// receive side, so a datagram the link lost is absent and a duplicate appears twice,
// just as tcpdump on the receiving host would show them.
//
// The frames are encoded here (a few fixed headers with their checksums) rather than with
// gopacket, whose layers package costs ~20 ms of start-up in every run, pcap or not; the
// tests decode the capture with gopacket.
//
// Wireshark and tshark take UDP port 2345 for KNET and show every frame as malformed;
// "tshark -d udp.port==2345,data" shows the payloads as data.
type pcapWriter struct {
	w   io.Writer
	buf []byte
	id  uint16
	err error // the first error; add does nothing after it
}

// newPcap writes the file header to w; an error is kept in err.
func newPcap(w io.Writer) *pcapWriter {
	p := &pcapWriter{w: w}
	var h [24]byte
	binary.LittleEndian.PutUint32(h[0:], 0xa1b2c3d4) // microsecond timestamps
	binary.LittleEndian.PutUint16(h[4:], 2)          // version 2.4
	binary.LittleEndian.PutUint16(h[6:], 4)
	// 8:16 zone and sigfigs: 0
	binary.LittleEndian.PutUint32(h[16:], pcapSnaplen)
	binary.LittleEndian.PutUint32(h[20:], 1) // LINKTYPE_ETHERNET
	_, p.err = w.Write(h[:])
	return p
}

// putMAC writes a locally administered MAC address made from an IPv4 address, so each
// simulated host has a stable one.
func putMAC(b []byte, a netip.Addr) {
	ip := a.As4()
	b[0], b[1] = 0x02, 0x00
	copy(b[2:6], ip[:])
}

// sum16 adds b as big-endian 16-bit words (an odd last byte is the high half of a word)
// to the one's-complement sum s, unfolded.
func sum16(s uint32, b []byte) uint32 {
	for len(b) >= 2 {
		s += uint32(b[0])<<8 | uint32(b[1])
		b = b[2:]
	}
	if len(b) == 1 {
		s += uint32(b[0]) << 8
	}
	return s
}

// checksum folds a one's-complement sum and complements it (RFC 1071).
func checksum(s uint32) uint16 {
	for s > 0xffff {
		s = s>>16 + s&0xffff
	}
	return ^uint16(s)
}

// add captures one datagram; the first error is kept for close.
func (p *pcapWriter) add(r scenario.Read) {
	if p.err != nil {
		return
	}
	p.id++
	n := ethLen + ipv4Len + udpLen + len(r.Payload)
	frameLen := max(n, ethMinFrame)
	total := 16 + frameLen
	if cap(p.buf) < total {
		p.buf = make([]byte, total)
	}
	b := p.buf[:total]
	clear(b)
	at := simnet.Epoch.Add(r.At)
	binary.LittleEndian.PutUint32(b[0:], uint32(at.Unix()))
	binary.LittleEndian.PutUint32(b[4:], uint32(at.Nanosecond()/1000))
	binary.LittleEndian.PutUint32(b[8:], uint32(frameLen))
	binary.LittleEndian.PutUint32(b[12:], uint32(frameLen))

	eth := b[16:]
	src, dst := r.From.Addr(), r.To.Addr()
	putMAC(eth[0:], dst)
	putMAC(eth[6:], src)
	binary.BigEndian.PutUint16(eth[12:], 0x0800) // IPv4

	ip := eth[ethLen:]
	s4, d4 := src.As4(), dst.As4()
	ip[0] = 0x45 // version 4, 5 words of header
	binary.BigEndian.PutUint16(ip[2:], uint16(n-ethLen))
	binary.BigEndian.PutUint16(ip[4:], p.id)
	binary.BigEndian.PutUint16(ip[6:], 0x4000) // don't fragment
	ip[8] = 64                                 // TTL
	ip[9] = 17                                 // UDP
	copy(ip[12:], s4[:])
	copy(ip[16:], d4[:])
	binary.BigEndian.PutUint16(ip[10:], checksum(sum16(0, ip[:ipv4Len])))

	udp := ip[ipv4Len:]
	ulen := udpLen + len(r.Payload)
	binary.BigEndian.PutUint16(udp[0:], r.From.Port())
	binary.BigEndian.PutUint16(udp[2:], r.To.Port())
	binary.BigEndian.PutUint16(udp[4:], uint16(ulen))
	copy(udp[udpLen:], r.Payload)
	// The checksum covers the pseudo-header (addresses, protocol, UDP length) too.
	s := sum16(0, s4[:])
	s = sum16(s, d4[:])
	s += 17 + uint32(ulen)
	c := checksum(sum16(s, udp[:ulen]))
	if c == 0 {
		c = 0xffff // a zero checksum means "none" (RFC 768)
	}
	binary.BigEndian.PutUint16(udp[6:], c)
	_, p.err = p.w.Write(b)
}
