package scenario

import (
	"crypto/sha256"
	"encoding/binary"

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

// hashChunk is how many encoded bytes the sink gathers before handing them to the hash:
// large enough that handing over costs little (a 1 h sim hands over about 110 chunks),
// small enough that the chunks of a run (up to hashBufs) touch few fresh pages. sim -seed
// 1 -duration 1h -send-interval 10ms, two Ps, best of 8 alternated on the idle machine:
// 64 KiB 196 ms, 128 KiB 194, 256 KiB 192, 1 MiB 202 (page faults), one P 205.
const hashChunk = 256 << 10

// hashBufs is how many chunks a run's hasher holds at most: one being filled, the rest
// queued for or being hashed.
const hashBufs = 4

// hasher is the fingerprint's SHA-256, fed in chunks. From the second chunk on, the chunks
// are hashed in order on a goroutine of their own. sim runs with two Ps, so the hashing
// (about a tenth of a 1 h run's CPU) overlaps the simulation, which runs on the other;
// with one P it runs when the simulation waits for a free chunk, hashing hashBufs-1
// chunks in a row. A short run starts no goroutine. The digest is the same either way:
// the chunks are hashed in the order they were filled.
type hasher struct {
	buf  []byte      // the chunk being filled
	full chan []byte // filled chunks, hashed in order by hashChunks; nil until the first
	free chan []byte // hashed chunks, to fill again
	bufs int         // chunks made
	sum  chan []byte // hashChunks' digest, once full is closed
	done []byte      // the digest, once made
}

func newHasher() *hasher { return &hasher{buf: make([]byte, 0, hashChunk+256), bufs: 1} }

// append appends r's encoding to the bytes to hash.
func (h *hasher) append(r *record.Record) {
	h.buf = appendRecord(h.buf, r)
	if len(h.buf) >= hashChunk {
		h.flush()
	}
}

// flush hands the chunk being filled to the hashing goroutine, starting it on the first.
func (h *hasher) flush() {
	if h.full == nil {
		h.full, h.free, h.sum = make(chan []byte, hashBufs), make(chan []byte, hashBufs), make(chan []byte, 1)
		go hashChunks(h.full, h.free, h.sum)
	}
	h.full <- h.buf
	select {
	case h.buf = <-h.free:
	default:
		if h.bufs < hashBufs {
			h.bufs++
			h.buf = make([]byte, 0, hashChunk+256)
		} else {
			h.buf = <-h.free
		}
	}
}

// hashChunks hashes the chunks of full in order, handing each back on free, and when
// full is closed sends the digest on sum.
func hashChunks(full <-chan []byte, free chan<- []byte, sum chan<- []byte) {
	d := sha256.New()
	for b := range full {
		d.Write(b)
		free <- b[:0]
	}
	sum <- d.Sum(nil)
}

// digest is the SHA-256 of everything appended; nothing may be appended after it.
func (h *hasher) digest() []byte {
	switch {
	case h.done != nil:
	case h.full == nil:
		s := sha256.Sum256(h.buf)
		h.done = s[:]
	default:
		h.full <- h.buf
		close(h.full)
		h.full = nil
		h.done = <-h.sum
	}
	return h.done
}

// close stops the hashing goroutine of a run that ends without a digest, and waits for
// it to end.
func (h *hasher) close() {
	if h.full != nil {
		close(h.full)
		h.full = nil
		<-h.sum
	}
}
