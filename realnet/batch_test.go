package realnet_test

import (
	"fmt"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dist-example/dist-example/realnet"
	"github.com/dist-example/dist-example/transport"
	"github.com/dist-example/dist-example/transport/transporttest"
)

// TestBatchConnWriteBatchTo: batches (larger than one system call takes) arrive whole,
// in order, one datagram each, over IPv4 and IPv6; after Close the error is net.ErrClosed.
func TestBatchConnWriteBatchTo(t *testing.T) {
	for _, host := range []string{"127.0.0.1", "::1"} {
		t.Run(host, func(t *testing.T) {
			requireLoopback(t, host)
			rx, err := realnet.Listen(net.JoinHostPort(host, "0"))
			require.NoError(t, err)
			defer rx.Close()
			_, err = realnet.SetReadBuffer(rx, 1<<20)
			require.NoError(t, err)
			c, dst, err := realnet.Dial(rx.LocalAddr().String())
			require.NoError(t, err)
			bc := realnet.NewBatchConn(c)
			defer bc.Close()

			const count = 150 // more than one sendmmsg batch
			ps := make([][]byte, count)
			for i := range ps {
				ps[i] = []byte(strconv.Itoa(i) + "\n")
			}
			ps[7] = nil // a zero-length datagram in the middle
			n, err := bc.WriteBatchTo(ps, dst)
			require.NoError(t, err)
			require.Equal(t, count, n)

			buf := make([]byte, 64)
			for i := range count {
				require.NoError(t, rx.SetReadDeadline(time.Now().Add(5*time.Second)))
				m, from, err := rx.ReadFrom(buf)
				require.NoError(t, err, "datagram %d", i)
				assert.Equal(t, string(ps[i]), string(buf[:m]), "datagram %d", i)
				assert.Equal(t, bc.LocalAddr().(*net.UDPAddr).Port, from.(*net.UDPAddr).Port)
			}

			require.NoError(t, bc.Close())
			n, err = bc.WriteBatchTo(ps[:3], dst)
			assert.ErrorIs(t, err, net.ErrClosed)
			assert.Zero(t, n)
		})
	}
}

func TestBatchConnRejectsOtherAddrs(t *testing.T) {
	c, _, err := realnet.Dial("127.0.0.1:9")
	require.NoError(t, err)
	bc := realnet.NewBatchConn(c)
	defer bc.Close()
	_, err = bc.WriteBatchTo([][]byte{[]byte("1\n")}, &net.IPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "want a *net.UDPAddr")
}

// batchLoopback runs the conformance suite on BatchConns: the wrapper must not change
// what the conn it wraps does.
type batchLoopback struct{ loopback }

func (l *batchLoopback) Pair(t *testing.T) (a, b transport.PacketConn) {
	t.Helper()
	return realnet.NewBatchConn(l.listen(t)), realnet.NewBatchConn(l.listen(t))
}

func TestBatchConnConformance(t *testing.T) {
	for _, host := range []string{"127.0.0.1", "::1"} {
		t.Run(fmt.Sprint(host), func(t *testing.T) {
			requireLoopback(t, host)
			transporttest.Run(t, func(*testing.T) transporttest.Harness {
				return &batchLoopback{loopback{host: host}}
			})
		})
	}
}
