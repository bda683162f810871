package transporttest

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testConcurrentWrites: 8 functions each send 50 distinct datagrams through the same
// conn at once; the reader gets every one exactly once, whole, from the writer's address.
// After the last expected datagram a short read must time out, which catches duplicates.
func testConcurrentWrites(t *testing.T, h Harness) {
	const (
		writers   = 8
		perWriter = 50
		total     = writers * perWriter
		quiet     = 50 * time.Millisecond
	)
	a, b := h.Pair(t)
	bAddr := b.LocalAddr().String()

	var mu sync.Mutex
	var writeErrs []error // requires mu
	for w := range writers {
		h.Go(func() {
			for i := range perWriter {
				if _, err := b.WriteTo(fmt.Appendf(nil, "w%d-%d", w, i), a.LocalAddr()); err != nil {
					mu.Lock()
					writeErrs = append(writeErrs, fmt.Errorf("writer %d datagram %d: %w", w, i, err))
					mu.Unlock()
					return
				}
			}
		})
	}

	seen := make(map[string]int, total)
	var wrongFrom []string
	var readErr, extraErr error
	var extra string
	h.Go(func() {
		for len(seen) < total {
			r := readOne(h, a, bufSize)
			if r.err != nil {
				readErr = r.err
				return
			}
			seen[string(r.data)]++
			if r.from != bAddr && len(wrongFrom) < 5 {
				wrongFrom = append(wrongFrom, r.from)
			}
		}
		if extraErr = a.SetReadDeadline(h.Clock().Now().Add(quiet)); extraErr != nil {
			return
		}
		buf := make([]byte, bufSize)
		var n int
		n, _, extraErr = a.ReadFrom(buf)
		extra = string(buf[:n])
	})
	h.Wait(t)

	mu.Lock()
	require.Empty(t, writeErrs, "concurrent WriteTo")
	mu.Unlock()
	var missing, dup []string
	for w := range writers {
		for i := range perWriter {
			key := fmt.Sprintf("w%d-%d", w, i)
			switch seen[key] {
			case 0:
				missing = append(missing, key)
			case 1:
			default:
				dup = append(dup, key)
			}
			delete(seen, key)
		}
	}
	require.NoError(t, readErr, "ReadFrom after %d of %d datagrams; missing %v", total-len(missing), total, head(missing))
	assert.Empty(t, missing, "datagrams never read")
	assert.Empty(t, dup, "datagrams read more than once")
	assert.Empty(t, seen, "datagrams read that no writer sent")
	assert.Empty(t, wrongFrom, "sources other than the writer's %s", bAddr)
	if !errors.Is(extraErr, os.ErrDeadlineExceeded) {
		assert.Failf(t, "a datagram arrived after all were read", "extra read: %q, err %v", extra, extraErr)
	}
}

func head(s []string) []string {
	if len(s) > 10 {
		return s[:10]
	}
	return s
}
