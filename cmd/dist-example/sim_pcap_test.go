package main

import (
	"bytes"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
	"github.com/stretchr/testify/require"

	"github.com/dist-example/dist-example/simnet"
	"github.com/dist-example/dist-example/simnet/scenario"
)

// TestPcapFramesMatchGopacket: the hand-made frames are byte for byte what gopacket
// serializes for the same datagram (lengths, IPv4 and UDP checksums, the padding of a
// short frame), and the file reads back with pcapgo with the right timestamps.
func TestPcapFramesMatchGopacket(t *testing.T) {
	from := netip.MustParseAddrPort("10.0.0.1:2345")
	to := netip.MustParseAddrPort("10.200.3.254:65535")
	payloads := [][]byte{nil, []byte("x"), []byte("12"), []byte("0123456789abcdefg"), bytes.Repeat([]byte{0xff}, 1473), make([]byte, 9000)}
	var file bytes.Buffer
	p := newPcap(&file)
	for i, pl := range payloads {
		p.add(scenario.Read{At: time.Duration(i)*time.Second + 1234567*time.Nanosecond, From: from, To: to, Payload: pl})
	}
	require.NoError(t, p.err)

	r, err := pcapgo.NewReader(&file)
	require.NoError(t, err)
	require.Equal(t, layers.LinkTypeEthernet, r.LinkType())
	require.Equal(t, uint32(pcapSnaplen), r.Snaplen())
	mac := func(a netip.Addr) net.HardwareAddr {
		b := a.As4()
		return net.HardwareAddr{2, 0, b[0], b[1], b[2], b[3]}
	}
	for i, pl := range payloads {
		data, ci, err := r.ReadPacketData()
		require.NoError(t, err)
		require.Equal(t, simnet.Epoch.Add(time.Duration(i)*time.Second+1234*time.Microsecond), ci.Timestamp.UTC())
		eth := &layers.Ethernet{SrcMAC: mac(from.Addr()), DstMAC: mac(to.Addr()), EthernetType: layers.EthernetTypeIPv4}
		ip := &layers.IPv4{Version: 4, TTL: 64, Id: uint16(i + 1), Flags: layers.IPv4DontFragment, Protocol: layers.IPProtocolUDP,
			SrcIP: from.Addr().AsSlice(), DstIP: to.Addr().AsSlice()}
		udp := &layers.UDP{SrcPort: layers.UDPPort(from.Port()), DstPort: layers.UDPPort(to.Port())}
		require.NoError(t, udp.SetNetworkLayerForChecksum(ip))
		buf := gopacket.NewSerializeBuffer()
		opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
		require.NoError(t, gopacket.SerializeLayers(buf, opts, eth, ip, udp, gopacket.Payload(pl)))
		require.Equal(t, buf.Bytes(), data, "frame %d (%d bytes of payload)", i, len(pl))
		require.Equal(t, len(data), ci.Length)
	}
}
