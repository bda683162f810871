package realnet_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dist-example/dist-example/realnet"
)

// BenchmarkLoopback measures 64-byte datagrams per second over 127.0.0.1 with one
// datagram per syscall. "write" times WriteTo alone (the receiver never reads, so the
// kernel drops the overflow: this is the sender's ceiling); "write-batch" the same with
// BatchConn, 64 datagrams per sendmmsg; "write+read" runs a sender
// and a receiver, the sender holding at most window datagrams in flight so the receive
// buffer never overflows and every datagram is counted.
func BenchmarkLoopback(b *testing.B) {
	const size = 64
	setup := func(b *testing.B) (send func() error, recv func() error) {
		b.Helper()
		rx, err := realnet.Listen("127.0.0.1:0")
		require.NoError(b, err)
		b.Cleanup(func() { _ = rx.Close() })
		_, err = realnet.SetReadBuffer(rx, 4<<20)
		require.NoError(b, err)
		tx, dst, err := realnet.Dial(rx.LocalAddr().String())
		require.NoError(b, err)
		b.Cleanup(func() { _ = tx.Close() })
		out, in := make([]byte, size), make([]byte, 2048)
		send = func() error { _, err := tx.WriteTo(out, dst); return err }
		recv = func() error { _, _, err := rx.ReadFrom(in); return err }
		require.NoError(b, rx.SetReadDeadline(time.Now().Add(time.Minute)))
		return send, recv
	}

	b.Run("write", func(b *testing.B) {
		send, _ := setup(b)
		b.SetBytes(size)
		for b.Loop() {
			if err := send(); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "datagrams/s")
	})

	b.Run("write-batch", func(b *testing.B) {
		rx, err := realnet.Listen("127.0.0.1:0")
		require.NoError(b, err)
		b.Cleanup(func() { _ = rx.Close() })
		tx, dst, err := realnet.Dial(rx.LocalAddr().String())
		require.NoError(b, err)
		bc := realnet.NewBatchConn(tx)
		b.Cleanup(func() { _ = bc.Close() })
		const batch = 64
		ps := make([][]byte, batch)
		for i := range ps {
			ps[i] = make([]byte, size)
		}
		b.SetBytes(size * batch)
		for b.Loop() {
			if _, err := bc.WriteBatchTo(ps, dst); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "datagrams/s")
	})

	b.Run("write+read", func(b *testing.B) {
		const window = 256
		send, recv := setup(b)
		credits := make(chan struct{}, window)
		for range window {
			credits <- struct{}{}
		}
		n := b.N
		done := make(chan error, 1)
		b.SetBytes(size)
		b.ResetTimer()
		go func() {
			for range n {
				if err := recv(); err != nil {
					done <- err
					return
				}
				credits <- struct{}{}
			}
			done <- nil
		}()
		for range n {
			<-credits
			if err := send(); err != nil {
				b.Fatal(err)
			}
		}
		if err := <-done; err != nil {
			b.Fatalf("receiver: %v", err)
		}
		b.StopTimer()
		b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "datagrams/s")
	})
}
