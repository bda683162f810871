package scenario

import (
	"bytes"
	"crypto/sha256"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/dist-example/dist-example/app"
	"github.com/dist-example/dist-example/simnet"
	"github.com/dist-example/dist-example/simnet/internal/record"
)

// isNumber is bytes.Equal(b, app.AppendNumber(nil, n)), for every b and n.
func FuzzIsNumber(f *testing.F) {
	for _, n := range []int64{0, 1, 9, 10, 99, 100, 123456, -1, -10, math.MaxInt64, math.MinInt64} {
		f.Add(app.AppendNumber(nil, n), n)
		f.Add(app.AppendNumber(nil, n+1), n)
		f.Add(append([]byte{'0'}, app.AppendNumber(nil, n)...), n)
		f.Add(bytes.TrimSuffix(app.AppendNumber(nil, n), []byte("\n")), n)
	}
	f.Add([]byte("\n"), int64(0))
	f.Add([]byte("-\n"), int64(0))
	f.Add([]byte("+5\n"), int64(5))
	f.Add([]byte("5\r\n"), int64(5))
	f.Add([]byte("-9223372036854775809\n"), int64(math.MinInt64))
	f.Add([]byte("18446744073709551616\n"), int64(0))
	f.Fuzz(func(t *testing.T, b []byte, n int64) {
		if got, want := isNumber(b, n), bytes.Equal(b, app.AppendNumber(nil, n)); got != want {
			t.Fatalf("isNumber(%q, %d) = %v, want %v", b, n, got, want)
		}
	})
}

// The hasher's digest is the SHA-256 of every record's encoding in order, whether the
// bytes fit one chunk or take many.
func TestHasherDigestIsSHA256OfTheRecords(t *testing.T) {
	for _, records := range []int{0, 1, hashChunk/eventSize - 1, hashChunk / eventSize, 7*hashChunk/eventSize + 7} {
		h := newHasher()
		var all []byte
		for i := range records {
			r := record.Record{At: int64(i), Seq: uint64(i) * 3, Len: uint32(i % 1500), Kind: uint8(1 + i%10)}
			if i%1000 == 999 {
				r.Kind, r.Detail = uint8(simnet.EvFault), strings.Repeat("x", i%300)
			}
			h.append(&r)
			all = appendRecord(all, &r)
		}
		want := sha256.Sum256(all)
		require.Equal(t, want[:], h.digest(), "%d records", records)
		require.Equal(t, want[:], h.digest(), "digest again")
	}
}

// The sender's conn follows each datagram as app.ParseNumber's number (0 for none),
// whether it takes the counted-up text it expected or parses: counting up from across
// digit counts and the top of int64, with datagrams of other forms in between.
func TestSendConnNumberIsParseNumber(t *testing.T) {
	want := func(p []byte) int64 {
		n, err := app.ParseNumber(p)
		if err != nil {
			return 0
		}
		return n
	}
	rapid.Check(t, func(rt *rapid.T) {
		c := &sendConn{}
		n := rapid.SampledFrom([]int64{0, 7, 95, 998, 99_999, -12, math.MaxInt64 - 5, math.MinInt64}).Draw(rt, "start")
		n += rapid.Int64Range(0, 3).Draw(rt, "plus")
		var prev []byte
		for range rapid.IntRange(1, 40).Draw(rt, "datagrams") {
			p := app.AppendNumber(nil, n)
			n++
			switch rapid.IntRange(0, 9).Draw(rt, "form") {
			case 5, 6: // the previous datagram counted up as text, whatever its bytes
				p = bytes.Clone(prev)
				for i := len(p) - 2; i >= 0; i-- {
					if p[i] != '9' {
						p[i]++
						break
					}
					p[i] = '0'
				}
			case 0:
				p = append([]byte{'0'}, p...) // a leading zero
			case 1:
				p = append([]byte{'+'}, p...)
			case 2:
				p = append(p[:len(p)-1], '\r', '\n')
			case 3:
				p = []byte(rapid.StringMatching(`[-+0-9\r\n x]{0,6}`).Draw(rt, "other"))
			case 4:
				p = p[:len(p)-1] // no newline
			}
			if got := c.number(p); got != want(p) {
				rt.Fatalf("number(%q) = %d, want %d", p, got, want(p))
			}
			prev = p
		}
	})
}
