package lab

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRcvbufErrors(t *testing.T) {
	tests := []struct {
		name    string
		snmp    string
		want    int64
		wantErr bool
	}{
		{
			name: "kernel layout",
			snmp: "Ip: Forwarding DefaultTTL\nIp: 1 64\n" +
				"Udp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors IgnoredMulti MemErrors\n" +
				"Udp: 20000 0 7 20000 7 0 0 0 0\n" +
				"UdpLite: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors\nUdpLite: 0 0 0 0 99 0\n",
			want: 7,
		},
		{name: "no Udp lines", snmp: "Ip: Forwarding\nIp: 1\n", wantErr: true},
		{name: "no RcvbufErrors column", snmp: "Udp: InDatagrams\nUdp: 5\n", wantErr: true},
		{name: "not a number", snmp: "Udp: RcvbufErrors\nUdp: x\n", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := rcvbufErrors(tt.snmp)
			if tt.wantErr {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestParseTotals(t *testing.T) {
	t.Run("last line is the totals", func(t *testing.T) {
		out := `{"type":"interval","received":1,"totals":{"received":1}}` + "\n" +
			`{"type":"total","received":18958,"expected":20000,"unique":18958,"lost":1042,"max":19999}` + "\n"
		c, err := parseTotals(out)
		require.NoError(t, err)
		assert.Equal(t, int64(18958), c.Unique)
		assert.Equal(t, int64(1042), c.Lost)
		assert.Equal(t, int64(19999), c.Max)
	})
	for name, out := range map[string]string{
		"interval last": `{"type":"interval","received":1}`,
		"text output":   "Received 1/1 packets in range [0-0]",
		"empty":         "",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := parseTotals(out)
			require.Error(t, err)
		})
	}
}
