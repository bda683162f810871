package scenario

import (
	"crypto/sha256"
	"encoding/binary"
	"hash"

	"github.com/dist-example/dist-example/simnet"
	"github.com/dist-example/dist-example/simnet/internal/record"
)

// eventSize is the fixed part of an event's canonical encoding.
const eventSize = 40

// appendRecord appends r's canonical encoding, the input of the fingerprint: fixed-width
// little-endian fields, the same bytes on every platform and in every run that has the
// same events.
//
//	offset  size  field
//	 0      8     At (ns)
//	 8      1     Kind
//	 9      1     flags: 1 Dup, 2 Corrupt, 4 Reordered
//	10      2     Port
//	12      4     Len
//	16      8     Seq
//	24      8     Due (ns)
//	32      4     Src (IPv4; 0.0.0.0 when absent)
//	36      4     Dst
//	then, for EvFault only: 4 bytes of len(Detail), and Detail
//
// Every field of simnet.Event is covered except the host names, which the addresses
// stand for (simnet gives each name one address).
func appendRecord(b []byte, r *record.Record) []byte {
	n := len(b)
	if cap(b)-n < eventSize {
		b = append(b, make([]byte, eventSize)...)
	} else {
		b = b[:n+eventSize]
	}
	e := (*[eventSize]byte)(b[n:])
	le := binary.LittleEndian
	le.PutUint64(e[0:], uint64(r.At))
	e[8] = r.Kind
	e[9] = r.Flags
	le.PutUint16(e[10:], r.Port)
	le.PutUint32(e[12:], r.Len)
	le.PutUint64(e[16:], r.Seq)
	le.PutUint64(e[24:], uint64(r.Due))
	copy(e[32:36], r.Src[:])
	copy(e[36:40], r.Dst[:])
	if r.Kind == uint8(simnet.EvFault) {
		b = le.AppendUint32(b, uint32(len(r.Detail)))
		b = append(b, r.Detail...)
	}
	return b
}

// hashChunk is how many encoded bytes the sink gathers before hashing them: small
// enough to stay in the level 1 cache, so that encoding and hashing touch no other
// memory. Hashing on a goroutine of its own, on a second P, used to look cheaper, but
// cost the simulation more than it saved: each chunk's cache lines had to move between
// the cores, and the chunks touched fresh pages. sim -seed 1 -duration 1h
// -send-interval 10ms, 10 alternations on the idle machine: 256 KiB chunks on a second P
// best 204 ms, median 214; 16 KiB here best 197, median 203 (4 KiB 199/203, 64 KiB
// 197/206).
const hashChunk = 16 << 10

// hasher is the fingerprint's SHA-256, fed in chunks of encoded events.
type hasher struct {
	d    hash.Hash
	buf  []byte // encoded events not hashed yet
	done []byte // the digest, once made
}

func newHasher() *hasher { return &hasher{d: sha256.New(), buf: make([]byte, 0, hashChunk+256)} }

// append appends r's encoding to the bytes to hash.
func (h *hasher) append(r *record.Record) {
	h.buf = appendRecord(h.buf, r)
	if len(h.buf) >= hashChunk {
		h.d.Write(h.buf)
		h.buf = h.buf[:0]
	}
}

// digest is the SHA-256 of everything appended; nothing may be appended after it.
func (h *hasher) digest() []byte {
	if h.done == nil {
		h.d.Write(h.buf)
		h.buf = nil
		h.done = h.d.Sum(nil)
	}
	return h.done
}
