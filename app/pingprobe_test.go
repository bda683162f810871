package app

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

func TestPingProbeLayout(t *testing.T) {
	b, err := AppendPingProbe([]byte("prefix"), PingProbe{Seq: 0x0102030405060708, Sent: 0x1112131415161718}, 30)
	require.NoError(t, err)
	require.Len(t, b, 6+30)
	p := b[6:]
	assert.Equal(t, []byte("dxp1"), p[:4])
	assert.Equal(t, []byte{1, 2, 3, 4, 5, 6, 7, 8}, p[4:12])
	assert.Equal(t, []byte{0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18}, p[12:20])
	assert.Equal(t, make([]byte, 6), p[24:], "zero padding")
	got, err := ParsePingProbe(p)
	require.NoError(t, err)
	assert.Equal(t, PingProbe{Seq: 0x0102030405060708, Sent: 0x1112131415161718}, got)
}

func TestPingProbeErrors(t *testing.T) {
	good, err := AppendPingProbe(nil, PingProbe{Seq: 3, Sent: time.Second}, 40)
	require.NoError(t, err)
	flip := func(i int) []byte {
		b := append([]byte(nil), good...)
		b[i] ^= 1
		return b
	}
	tests := []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, ErrPingShort},
		{"header minus one", good[:PingHeaderLen-1], ErrPingShort},
		{"magic", flip(0), ErrPingMagic},
		{"seq bit", flip(11), ErrPingChecksum},
		{"time bit", flip(19), ErrPingChecksum},
		{"checksum bit", flip(22), ErrPingChecksum},
		{"padding bit", flip(39), ErrPingChecksum},
		{"truncated", good[:39], ErrPingChecksum},
		{"extended", append(append([]byte(nil), good...), 0), ErrPingChecksum},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParsePingProbe(tt.in)
			require.ErrorIs(t, err, tt.want)
		})
	}
	t.Run("size out of range", func(t *testing.T) {
		for _, size := range []int{-1, 0, PingHeaderLen - 1, PingMaxSize + 1} {
			_, err := AppendPingProbe(nil, PingProbe{}, size)
			require.ErrorContains(t, err, "want 24..65507 bytes", "size %d", size)
		}
	})
}

func TestPingProbeRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := PingProbe{
			Seq:  rapid.Uint64().Draw(t, "seq"),
			Sent: time.Duration(rapid.Int64().Draw(t, "sent")),
		}
		size := rapid.IntRange(PingHeaderLen, 2000).Draw(t, "size")
		b, err := AppendPingProbe(nil, p, size)
		if err != nil {
			t.Fatal(err)
		}
		if len(b) != size {
			t.Fatalf("len %d, want %d", len(b), size)
		}
		got, err := ParsePingProbe(b)
		if err != nil || got != p {
			t.Fatalf("round trip: got %+v, %v; want %+v", got, err, p)
		}
		// Any single flipped bit is caught (CRC-32 detects every 1-bit error).
		i := rapid.IntRange(0, 8*size-1).Draw(t, "bit")
		b[i/8] ^= 1 << (i % 8)
		if _, err := ParsePingProbe(b); err == nil {
			t.Fatalf("bit %d flipped and still accepted", i)
		}
	})
}

func FuzzParsePingProbe(f *testing.F) {
	good, _ := AppendPingProbe(nil, PingProbe{Seq: 7, Sent: time.Millisecond}, 32)
	f.Add(good)
	f.Add([]byte("dxp1"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParsePingProbe(b)
		if err != nil {
			if !errors.Is(err, ErrPingShort) && !errors.Is(err, ErrPingMagic) && !errors.Is(err, ErrPingChecksum) {
				t.Fatalf("unclassified error %v", err)
			}
			return
		}
		// Whatever parses re-encodes to the same fields (the checksum may differ: the
		// padding need not be zero).
		again, err := AppendPingProbe(nil, p, len(b))
		if err != nil {
			if len(b) > PingMaxSize {
				return
			}
			t.Fatal(err)
		}
		if string(again[:20]) != string(b[:20]) {
			t.Fatalf("header re-encodes differently: %x vs %x", again[:20], b[:20])
		}
	})
}
