package scenario

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// nums and seqs answer as the arrays they stand for, for senders that count up, restart,
// jump and write junk, and links that duplicate (reporting the clone first or second)
// and carry other traffic.
func TestRunsAreTheirArrays(t *testing.T) {
	for seed := range uint64(20) {
		rng := rand.New(rand.NewPCG(seed, 1))
		var ns nums
		var ss seqs
		var wantNum []int64
		wantIdx := map[uint64]int32{}
		var seq uint64
		n := rng.Int64N(1000)
		for idx := range int32(5000) {
			switch rng.IntN(50) {
			case 0:
				n = rng.Int64() // a jump or restart
			case 1:
				n = 0 // junk parses as 0
			}
			ns.add(idx, n)
			wantNum = append(wantNum, n)
			n++
			switch rng.IntN(20) {
			case 0: // no copy on the link (partition)
			case 1: // another sender's copy
				seq++
			case 2: // a duplicate, the clone reported first
				ss.set(seq+1, idx)
				ss.set(seq, idx)
				wantIdx[seq], wantIdx[seq+1] = idx, idx
				seq += 2
			case 3: // a duplicate, the original reported first
				ss.set(seq, idx)
				ss.set(seq+1, idx)
				wantIdx[seq], wantIdx[seq+1] = idx, idx
				seq += 2
			default:
				ss.set(seq, idx)
				wantIdx[seq] = idx
				seq++
			}
		}
		require.Less(t, len(ss.runs), 5000/2, "runs, not one entry per copy")
		for _, idx := range rng.Perm(len(wantNum)) {
			require.Equal(t, wantNum[idx], ns.of(int32(idx)), "seed %d: num of %d", seed, idx)
		}
		for i := range wantNum {
			require.Equal(t, wantNum[i], ns.of(int32(i)), "seed %d: num of %d in order", seed, i)
		}
		for q := range seq + 3 {
			// in order and (below) at random, as reordered deliveries look them up
			got, ok := ss.get(q)
			want, wok := wantIdx[q]
			require.Equal(t, wok, ok, "seed %d: seq %d known", seed, q)
			require.Equal(t, want, got, "seed %d: seq %d", seed, q)
		}
		for range 2000 {
			q := rng.Uint64N(seq + 3)
			got, ok := ss.get(q)
			want, wok := wantIdx[q]
			require.Equal(t, wok, ok, "seed %d: seq %d known", seed, q)
			require.Equal(t, want, got, "seed %d: seq %d", seed, q)
		}
	}
}
