package scenario

import (
	"bytes"
	"crypto/sha256"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

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
// bytes fit one chunk or take many (hashed on its goroutine, with chunks reused).
func TestHasherDigestIsSHA256OfTheRecords(t *testing.T) {
	for _, records := range []int{0, 1, hashChunk/eventSize - 1, hashChunk / eventSize, 3*hashBufs*hashChunk/eventSize + 7} {
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
		h.close() // after a digest: nothing to stop
	}
	// A run that fails stops its hasher without a digest: close waits for the
	// goroutine's end (it would hang if the goroutine were not told).
	h := newHasher()
	for i := range 3 * hashChunk / eventSize {
		h.append(&record.Record{At: int64(i)})
	}
	h.close()
	h.close()
}
