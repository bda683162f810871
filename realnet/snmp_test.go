package realnet

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const sampleSNMP = `Ip: Forwarding DefaultTTL InReceives
Ip: 1 64 12345
Udp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors IgnoredMulti MemErrors
Udp: 19 2 7 20 5 1 0 0 0
UdpLite: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors IgnoredMulti MemErrors
UdpLite: 90 91 92 93 94 95 0 0 0
`

func TestParseUDPCounters(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		want       UDPCounters
		wantErr    string // substring; empty means success
	}{
		{"linux 6", sampleSNMP, UDPCounters{InDatagrams: 19, NoPorts: 2, InErrors: 7, OutDatagrams: 20, RcvbufErrors: 5, SndbufErrors: 1}, ""},
		{"older kernel, fewer columns", "Udp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors\nUdp: 1 2 3 4 5 6\n",
			UDPCounters{1, 2, 3, 4, 5, 6}, ""},
		{"columns in another order", "Udp: SndbufErrors RcvbufErrors OutDatagrams InErrors NoPorts InDatagrams\nUdp: 6 5 4 3 2 1\n",
			UDPCounters{1, 2, 3, 4, 5, 6}, ""},
		{"counter beyond 32 bits", "Udp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors\nUdp: 18446744073709551615 0 0 4294967296 0 0\n",
			UDPCounters{InDatagrams: 1<<64 - 1, OutDatagrams: 1 << 32}, ""},
		{"no Udp lines", "Ip: Forwarding\nIp: 1\n", UDPCounters{}, `no "Udp:" lines`},
		{"empty", "", UDPCounters{}, `no "Udp:" lines`},
		{"header only", "Udp: InDatagrams NoPorts\n", UDPCounters{}, "no value line"},
		{"short value line", "Udp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors\nUdp: 1 2 3\n", UDPCounters{}, "6 names but 3 values"},
		{"not a number", "Udp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors\nUdp: 1 x 3 4 5 6\n", UDPCounters{}, `NoPorts: value "x"`},
		{"negative", "Udp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors\nUdp: 1 2 -3 4 5 6\n", UDPCounters{}, `InErrors: value "-3"`},
		{"missing column", "Udp: InDatagrams NoPorts InErrors OutDatagrams\nUdp: 1 2 3 4\n", UDPCounters{}, "lacks RcvbufErrors, SndbufErrors"},
		{"UdpLite only", "UdpLite: InDatagrams\nUdpLite: 1\n", UDPCounters{}, `no "Udp:" lines`},
		{"overlong line", "Udp: " + strings.Repeat("x", maxSNMPLine+1) + "\n", UDPCounters{}, "too long"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseUDPCounters(strings.NewReader(tc.text))
			if tc.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestParseUDP6Counters(t *testing.T) {
	const sample = "Ip6InReceives                   \t5\nUdp6InDatagrams                 \t19\nUdp6NoPorts \t2\n" +
		"Udp6InErrors\t7\nUdp6OutDatagrams\t20\nUdp6RcvbufErrors\t5\nUdp6SndbufErrors\t1\nUdp6InCsumErrors\t0\n" +
		"UdpLite6InDatagrams\t90\n"
	for _, tc := range []struct {
		name, text string
		want       UDPCounters
		wantErr    string
	}{
		{"linux 6", sample, UDPCounters{InDatagrams: 19, NoPorts: 2, InErrors: 7, OutDatagrams: 20, RcvbufErrors: 5, SndbufErrors: 1}, ""},
		{"no Udp6 lines", "Ip6InReceives 5\n", UDPCounters{}, `no "Udp6" lines`},
		{"missing counter", "Udp6InDatagrams 1\nUdp6NoPorts 2\n", UDPCounters{}, "lacks InErrors, OutDatagrams, RcvbufErrors, SndbufErrors"},
		{"not a number", strings.Replace(sample, "\t19", "\tx", 1), UDPCounters{}, `InDatagrams: value "x"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseUDP6Counters(strings.NewReader(tc.text))
			if tc.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestUDPCountersArithmetic(t *testing.T) {
	a := UDPCounters{1, 2, 3, 4, 5, 6}
	b := UDPCounters{10, 20, 30, 40, 50, 60}
	assert.Equal(t, UDPCounters{11, 22, 33, 44, 55, 66}, a.Add(b))
	assert.Equal(t, UDPCounters{9, 18, 27, 36, 45, 54}, b.Sub(a))
}

// TestReadUDP6CountersLive: a datagram over [::1] moves the IPv6 counters.
func TestReadUDP6CountersLive(t *testing.T) {
	if _, err := os.Stat(snmp6Path); err != nil {
		t.Skipf("%s not available here: %v", snmp6Path, err)
	}
	rx, err := Listen("[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback here: %v", err)
	}
	defer rx.Close()
	before, err := ReadUDP6Counters()
	require.NoError(t, err)
	tx, dst, err := Dial(rx.LocalAddr().String())
	require.NoError(t, err)
	defer tx.Close()
	require.NoError(t, rx.SetReadDeadline(time.Now().Add(5*time.Second)))
	_, err = tx.WriteTo([]byte("count me"), dst)
	require.NoError(t, err)
	_, _, err = rx.ReadFrom(make([]byte, 16))
	require.NoError(t, err)
	after, err := ReadUDP6Counters()
	require.NoError(t, err)
	assert.GreaterOrEqual(t, after.OutDatagrams, before.OutDatagrams+1)
	assert.GreaterOrEqual(t, after.InDatagrams, before.InDatagrams+1)
}

// TestReadUDPCountersLive checks the live file parses and that counters move the way
// sending one datagram over loopback should move them.
func TestReadUDPCountersLive(t *testing.T) {
	if _, err := os.Stat(snmpPath); err != nil {
		t.Skipf("%s not available here: %v", snmpPath, err)
	}
	before, err := ReadUDPCounters()
	require.NoError(t, err)

	rx, err := Listen("127.0.0.1:0")
	require.NoError(t, err)
	defer rx.Close()
	tx, dst, err := Dial(rx.LocalAddr().String())
	require.NoError(t, err)
	defer tx.Close()
	require.NoError(t, rx.SetReadDeadline(time.Now().Add(5*time.Second)))
	_, err = tx.WriteTo([]byte("count me"), dst)
	require.NoError(t, err)
	_, _, err = rx.ReadFrom(make([]byte, 16))
	require.NoError(t, err)

	after, err := ReadUDPCounters()
	require.NoError(t, err)
	// Other sockets on the host may add to the counters, never subtract.
	assert.GreaterOrEqual(t, after.OutDatagrams, before.OutDatagrams+1)
	assert.GreaterOrEqual(t, after.InDatagrams, before.InDatagrams+1)
}
