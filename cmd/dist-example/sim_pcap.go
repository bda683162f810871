package main

import (
	"io"
	"net"
	"net/netip"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"

	"github.com/dist-example/dist-example/simnet"
	"github.com/dist-example/dist-example/simnet/scenario"
)

// pcapSnaplen is the capture length: any UDP datagram over IPv4 fits whole.
const pcapSnaplen = 65536

// pcapWriter writes what host2's socket received as a classic pcap file (microsecond
// timestamps, the format every tool reads): one Ethernet/IPv4/UDP frame per datagram,
// stamped with Epoch plus the virtual time of its delivery. The capture point is host2's
// receive side, so a datagram the link lost is absent and a duplicate appears twice,
// just as tcpdump on the receiving host would show them.
//
// Wireshark and tshark take UDP port 2345 for KNET and show every frame as malformed;
// "tshark -d udp.port==2345,data" shows the payloads as data.
type pcapWriter struct {
	w   *pcapgo.Writer
	buf gopacket.SerializeBuffer
	id  uint16
	err error // the first error; add does nothing after it
}

// newPcap writes the file header to w; an error is kept in err.
func newPcap(w io.Writer) *pcapWriter {
	p := &pcapWriter{w: pcapgo.NewWriter(w), buf: gopacket.NewSerializeBuffer()}
	p.err = p.w.WriteFileHeader(pcapSnaplen, layers.LinkTypeEthernet)
	return p
}

// macOf makes a locally administered MAC address from an IPv4 address, so each simulated
// host has a stable one.
func macOf(a netip.Addr) net.HardwareAddr {
	b := a.As4()
	return net.HardwareAddr{0x02, 0x00, b[0], b[1], b[2], b[3]}
}

// add captures one datagram; the first error is kept for close.
func (p *pcapWriter) add(r scenario.Read) {
	if p.err != nil {
		return
	}
	p.id++
	eth := &layers.Ethernet{SrcMAC: macOf(r.From.Addr()), DstMAC: macOf(r.To.Addr()), EthernetType: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{Version: 4, TTL: 64, Id: p.id, Flags: layers.IPv4DontFragment, Protocol: layers.IPProtocolUDP,
		SrcIP: r.From.Addr().AsSlice(), DstIP: r.To.Addr().AsSlice()}
	udp := &layers.UDP{SrcPort: layers.UDPPort(r.From.Port()), DstPort: layers.UDPPort(r.To.Port())}
	if err := udp.SetNetworkLayerForChecksum(ip); err != nil {
		p.err = err
		return
	}
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	if err := gopacket.SerializeLayers(p.buf, opts, eth, ip, udp, gopacket.Payload(r.Payload)); err != nil {
		p.err = err
		return
	}
	frame := p.buf.Bytes()
	ci := gopacket.CaptureInfo{Timestamp: simnet.Epoch.Add(r.At), CaptureLength: len(frame), Length: len(frame)}
	p.err = p.w.WritePacket(ci, frame)
}
