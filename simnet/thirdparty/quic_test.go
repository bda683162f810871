package thirdparty

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	mrand "math/rand/v2"
	"testing"
	"testing/cryptotest"
	"testing/synctest"
	"time"

	"github.com/quic-go/quic-go"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/dist-example/dist-example/simnet"
)

const quicProfile = "delay 10ms loss 2%"

// selfSigned returns a server and a client TLS config around a fresh self-signed ECDSA
// certificate for "server", valid around the bubble's time.
func selfSigned(t *testing.T) (srv, cli *tls.Config) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "server"},
		DNSNames:     []string{"server"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	srv = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, NextProtos: []string{"simnet-test"}}
	cli = &tls.Config{RootCAs: pool, ServerName: "server", NextProtos: []string{"simnet-test"}}
	return srv, cli
}

// quicResult is what one run of the quic scenario saw.
type quicResult struct {
	sent, got [32]byte
	n         int64
	elapsed   time.Duration
	events    []simnet.Event
}

// runQUIC sends size bytes over one quic-go stream from host "client" (a conn from
// Host.Dial) to host "server" through profile, inside a synctest bubble, and closes
// both transports.
func runQUIC(t *testing.T, seed uint64, profile string, size int) quicResult {
	var res quicResult
	n := newNet(t, seed, profile, func(e simnet.Event) { res.events = append(res.events, e) }, "server", "client")
	srvConf, cliConf := selfSigned(t)
	qconf := &quic.Config{MaxIdleTimeout: 5 * time.Second}

	spc, err := n.Listen("server:4433")
	require.NoError(t, err)
	str := &quic.Transport{Conn: spc}
	ln, err := str.Listen(srvConf, qconf)
	require.NoError(t, err)
	type got struct {
		sum [32]byte
		n   int64
		err error
	}
	done := make(chan got, 1)
	go func() {
		ctx := context.Background()
		conn, err := ln.Accept(ctx)
		if err != nil {
			done <- got{err: err}
			return
		}
		s, err := conn.AcceptStream(ctx)
		if err != nil {
			done <- got{err: err}
			return
		}
		h := sha256.New()
		k, err := io.Copy(h, s)
		var g got
		g.n, g.err = k, err
		copy(g.sum[:], h.Sum(nil))
		_, _ = s.Write([]byte("ok")) // the client waits for this before closing
		_ = s.Close()
		done <- g
		<-conn.Context().Done()
	}()

	cpc, err := n.Host("client").Dial("server:4433")
	require.NoError(t, err)
	ctr := &quic.Transport{Conn: cpc}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := ctr.Dial(ctx, cpc.RemoteAddr(), cliConf, qconf)
	require.NoError(t, err)
	s, err := conn.OpenStreamSync(ctx)
	require.NoError(t, err)
	data := make([]byte, size)
	r := mrand.New(mrand.NewPCG(seed, 1))
	for i := range data {
		data[i] = byte(r.Uint32())
	}
	res.sent = sha256.Sum256(data)
	_, err = s.Write(data)
	require.NoError(t, err)
	require.NoError(t, s.Close())
	g := <-done
	require.NoError(t, g.err)
	res.got, res.n = g.sum, g.n
	ack, err := io.ReadAll(s)
	require.NoError(t, err)
	require.Equal(t, "ok", string(ack))
	require.NoError(t, conn.CloseWithError(0, "done"))
	require.NoError(t, ln.Close())
	require.NoError(t, ctr.Close())
	require.NoError(t, str.Close())
	res.elapsed = n.Elapsed()
	return res
}

// TestQUIC: unmodified quic-go moves 1 MB over one stream through delay 10ms loss 2%, in
// virtual time, and both transports close cleanly.
func TestQUIC(t *testing.T) {
	defer goleak.VerifyNone(t)
	cryptotest.SetGlobalRandom(t, 1)
	const size = 1 << 20
	wall := time.Now()
	var res quicResult
	synctest.Test(t, func(t *testing.T) { res = runQUIC(t, 1, quicProfile, size) })
	t.Logf("1 MB in %v of virtual time, %v of real time, %d trace events", res.elapsed, time.Since(wall), len(res.events))
	require.Equal(t, int64(size), res.n)
	require.Equal(t, res.sent, res.got, "SHA-256 of what arrived")
}
