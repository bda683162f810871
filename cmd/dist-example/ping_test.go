package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image/png"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dist-example/dist-example/app"
	"github.com/dist-example/dist-example/cmd/dist-example/internal/plot"
)

// pingLines is an io.Writer that keeps everything written and hands each complete line
// to a channel, so a test can wait for a line instead of polling.
type pingLines struct {
	mu      sync.Mutex
	all     bytes.Buffer
	partial []byte
	lines   chan string
}

func newPingLines() *pingLines { return &pingLines{lines: make(chan string, 1<<16)} }

func (w *pingLines) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.all.Write(p)
	w.partial = append(w.partial, p...)
	for {
		i := bytes.IndexByte(w.partial, '\n')
		if i < 0 {
			return len(p), nil
		}
		select {
		case w.lines <- string(w.partial[:i]):
		default: // a test that stopped listening must not block the command
		}
		w.partial = w.partial[i+1:]
	}
}

func (w *pingLines) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.all.String()
}

// waitLine returns the first line (from now on) matching re, failing after a generous
// timeout that only a hung command reaches.
func (w *pingLines) waitLine(t *testing.T, re *regexp.Regexp) []string {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case l := <-w.lines:
			if m := re.FindStringSubmatch(l); m != nil {
				return m
			}
		case <-timeout:
			t.Fatalf("no line matching %q in:\n%s", re, w.String())
			return nil
		}
	}
}

// echoServer runs the echo subcommand on a free loopback port.
type echoServer struct {
	addr   string
	stdout *pingLines
	cancel context.CancelFunc
	done   chan error
}

var echoListening = regexp.MustCompile(`^echo: listening on (\S+)$`)

func startEcho(t *testing.T) *echoServer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	e := &echoServer{stdout: newPingLines(), cancel: cancel, done: make(chan error, 1)}
	stderr := newPingLines()
	go func() { e.done <- run(ctx, []string{"echo", "-addr", "127.0.0.1:0"}, e.stdout, stderr) }()
	e.addr = stderr.waitLine(t, echoListening)[1]
	t.Cleanup(cancel)
	return e
}

// stop interrupts the server as SIGINT does and returns its final line.
func (e *echoServer) stop(t *testing.T) string {
	t.Helper()
	e.cancel()
	require.NoError(t, <-e.done)
	return strings.TrimSpace(e.stdout.String())
}

func TestPingFlagErrors(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		errHas string
	}{
		{"size below header", []string{"-size", "23"}, "-size 23: want 24..65507 bytes"},
		{"size above UDP", []string{"-size", "65508"}, "-size 65508: want 24..65507 bytes"},
		{"size not a number", []string{"-size", "big"}, "-size"},
		{"zero interval", []string{"-interval", "0"}, "-interval 0s: want a duration >= 100µs"},
		{"tiny interval", []string{"-interval", "50us"}, "-interval 50µs"},
		{"negative interval", []string{"-interval", "-1s"}, "-interval -1s"},
		{"interval not a duration", []string{"-interval", "5"}, "-interval"},
		{"negative count", []string{"-count", "-1"}, "-count -1: want a number >= 0"},
		{"zero timeout", []string{"-timeout", "0s"}, "-timeout 0s: want a duration > 0"},
		{"bad format", []string{"-format", "xml"}, `-format "xml": want text or json`},
		{"bad plot extension", []string{"-plot", "rtt.jpg"}, `-plot "rtt.jpg": want a file name ending in .png or .svg`},
		{"stray argument", []string{"extra"}, "unexpected argument"},
		{"unknown flag", []string{"-bogus"}, "bogus"},
		{"address without a port", []string{"-addr", "nonsense"}, `-addr "nonsense": address nonsense: missing port in address; want host:port`},
		{"port zero", []string{"-addr", "127.0.0.1:0"}, "port 0 is not in 1..65535"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			err := run(context.Background(), append([]string{"ping"}, tt.args...), io.Discard, &stderr)
			require.Error(t, err)
			assert.Contains(t, err.Error()+stderr.String(), tt.errHas)
			assert.Equal(t, 2, exitCode(err, io.Discard))
		})
	}
}

func TestEchoFlagErrors(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		errHas string
		code   int
	}{
		{"stray argument", []string{"extra"}, "unexpected argument", 2},
		{"unknown flag", []string{"-bogus"}, "bogus", 2},
		{"address without a port", []string{"-addr", "no-port"}, `-addr "no-port": address no-port: missing port in address; want host:port`, 2},
		{"port out of range", []string{"-addr", "127.0.0.1:70000"}, "port 70000 is not in 0..65535", 2},
		{"host that does not resolve", []string{"-addr", "no-such-host.invalid:2346"}, "no-such-host.invalid", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			err := run(context.Background(), append([]string{"echo"}, tt.args...), io.Discard, &stderr)
			require.Error(t, err)
			assert.Contains(t, err.Error()+stderr.String(), tt.errHas)
			assert.Equal(t, tt.code, exitCode(err, io.Discard))
		})
	}
}

func TestPingEchoHelp(t *testing.T) {
	for _, cmd := range []string{"ping", "echo"} {
		t.Run(cmd, func(t *testing.T) {
			var stdout bytes.Buffer
			err := run(context.Background(), []string{cmd, "-h"}, &stdout, io.Discard)
			require.ErrorIs(t, err, flag.ErrHelp)
			assert.Equal(t, 0, exitCode(err, io.Discard))
			assert.Contains(t, stdout.String(), "Examples:")
			assert.Contains(t, stdout.String(), "-addr HOST:PORT")
		})
	}
}

func TestPingJSONOverLoopback(t *testing.T) {
	e := startEcho(t)
	plotPath := filepath.Join(t.TempDir(), "rtt.png")
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"ping", "-addr", e.addr, "-count", "50", "-interval", "1ms",
		"-size", "100", "-format", "json", "-plot", plotPath}, &stdout, &stderr)
	require.NoError(t, err, "stderr: %s", stderr.String())

	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	var summary map[string]any
	require.NoError(t, json.Unmarshal([]byte(lines[len(lines)-1]), &summary))
	assert.Equal(t, "summary", summary["type"])
	for _, k := range []string{"transmitted", "received", "loss", "duplicates", "reordered",
		"min", "avg", "max", "mdev", "p50", "p90", "p99"} {
		require.Contains(t, summary, k)
		assert.IsType(t, float64(0), summary[k], "%s is a number", k)
	}
	assert.Equal(t, 50.0, summary["transmitted"])
	received := summary["received"].(float64)
	assert.Positive(t, received)
	assert.Equal(t, 100*(50-received)/50, summary["loss"])
	assert.LessOrEqual(t, summary["min"], summary["p50"])
	assert.LessOrEqual(t, summary["p50"], summary["p90"])
	assert.LessOrEqual(t, summary["p90"], summary["p99"])
	assert.LessOrEqual(t, summary["p99"], summary["max"])

	replies := lines[:len(lines)-1]
	assert.Len(t, replies, int(received), "one line per reply (loopback makes no duplicates)")
	for _, l := range replies {
		var r struct {
			Type  string  `json:"type"`
			Seq   uint64  `json:"seq"`
			Bytes int     `json:"bytes"`
			From  string  `json:"from"`
			Time  float64 `json:"time"`
		}
		require.NoError(t, json.Unmarshal([]byte(l), &r), l)
		assert.Equal(t, "reply", r.Type)
		assert.Equal(t, 100, r.Bytes)
		assert.Equal(t, e.addr, r.From)
		assert.Less(t, r.Seq, uint64(50))
		assert.Positive(t, r.Time)
	}

	f, err := os.Open(plotPath)
	require.NoError(t, err)
	defer f.Close()
	img, err := png.Decode(f)
	require.NoError(t, err)
	assert.Equal(t, 800, img.Bounds().Dx())
	assert.Equal(t, 600, img.Bounds().Dy())

	assert.Equal(t, "echo: 50 datagrams (5000 bytes) received, 50 reflected, 0 write errors", e.stop(t))
}

var (
	pingReplyLine = regexp.MustCompile(`^100 bytes from (\S+): seq=(\d+) time=(\d+\.\d{3}) ms$`)
	pingTextTail  = regexp.MustCompile(`(?m)^--- (\S+) ping statistics ---\n` +
		`(\d+) packets transmitted, (\d+) received, ([\d.]+)% packet loss, 0 duplicates, 0 reordered\n` +
		`rtt min/avg/max/mdev = [\d.]+/[\d.]+/[\d.]+/[\d.]+ ms\n` +
		`rtt p50/p90/p99 = [\d.]+/[\d.]+/[\d.]+ ms\n\z`)
)

func TestPingTextUntilInterrupted(t *testing.T) {
	e := startEcho(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stdout := newPingLines()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"ping", "-addr", e.addr, "-interval", "1ms", "-size", "100"}, stdout, io.Discard)
	}()
	for i := 0; i < 3; i++ {
		m := stdout.waitLine(t, pingReplyLine)
		assert.Equal(t, e.addr, m[1])
	}
	cancel() // SIGINT
	require.NoError(t, <-done)

	out := stdout.String()
	assert.True(t, strings.HasPrefix(out, fmt.Sprintf("PING %s: 100 bytes per probe, every 1ms\n", e.addr)), out)
	m := pingTextTail.FindStringSubmatch(out)
	require.NotNil(t, m, "summary in:\n%s", out)
	assert.Equal(t, e.addr, m[1])
	var tx, rx int
	fmt.Sscan(m[2], &tx)
	fmt.Sscan(m[3], &rx)
	assert.GreaterOrEqual(t, rx, 3)
	assert.GreaterOrEqual(t, tx, rx)
	replies := 0
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		if pingReplyLine.MatchString(sc.Text()) {
			replies++
		}
	}
	assert.Equal(t, rx, replies)
	e.stop(t)
}

func TestPingNoReplyExitsOne(t *testing.T) {
	// A bound socket that never answers: probes vanish without even an ICMP error.
	silent, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	defer silent.Close()
	var stdout bytes.Buffer
	err = run(context.Background(), []string{"ping", "-addr", silent.LocalAddr().String(),
		"-count", "3", "-interval", "1ms", "-timeout", "20ms"}, &stdout, io.Discard)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no reply from "+silent.LocalAddr().String())
	assert.Equal(t, 1, exitCode(err, io.Discard))
	assert.Contains(t, stdout.String(), "3 packets transmitted, 0 received, 100% packet loss, 0 duplicates, 0 reordered\n")
	assert.NotContains(t, stdout.String(), "rtt min", "no RTT lines without replies")
}

func TestPingJSONNoReplyHasNullRTT(t *testing.T) {
	silent, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	defer silent.Close()
	var stdout bytes.Buffer
	err = run(context.Background(), []string{"ping", "-addr", silent.LocalAddr().String(),
		"-count", "1", "-timeout", "10ms", "-format", "json"}, &stdout, io.Discard)
	require.Error(t, err)
	var summary map[string]any
	require.NoError(t, json.Unmarshal(stdout.Bytes(), &summary))
	assert.Equal(t, 100.0, summary["loss"])
	assert.Contains(t, summary, "p99")
	assert.Nil(t, summary["p99"])
}

func TestPingPlotSVGOnFailure(t *testing.T) {
	// The picture is drawn even when nothing came back: it shows the loss.
	silent, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	defer silent.Close()
	path := filepath.Join(t.TempDir(), "lost.svg")
	err = run(context.Background(), []string{"ping", "-addr", silent.LocalAddr().String(),
		"-count", "2", "-interval", "1ms", "-timeout", "10ms", "-plot", path}, io.Discard, io.Discard)
	require.Error(t, err)
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Contains(t, string(b), "<svg")
	assert.Contains(t, string(b), "2 probes, 0 replies, 2 lost")
}

// A well-formed address whose host does not resolve is a runtime failure (exit 1), not a
// usage error; a malformed one is refused as usage (TestPingFlagErrors).
func TestPingUnresolvableHostExitsOne(t *testing.T) {
	err := run(context.Background(), []string{"ping", "-addr", "no-such-host.invalid:2346", "-count", "1"}, io.Discard, io.Discard)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no-such-host.invalid")
	assert.Equal(t, 1, exitCode(err, io.Discard))
	var ue usageError
	assert.False(t, errors.As(err, &ue))
}

func TestPingRecorder(t *testing.T) {
	var none *pingRecorder
	none.probe(0, 0) // a nil recorder records nothing and does not panic
	none.reply(app.PingReply{})
	assert.False(t, none.truncated())

	r := &pingRecorder{}
	for seq := uint64(0); seq < 4; seq++ {
		r.probe(seq, time.Duration(seq)*time.Second)
	}
	r.reply(app.PingReply{Seq: 2, Sent: 2 * time.Second, RTT: 5 * time.Millisecond})
	r.reply(app.PingReply{Seq: 0, Sent: 0, RTT: 7 * time.Millisecond})
	r.reply(app.PingReply{Seq: 0, Sent: 0, RTT: 9 * time.Millisecond, Duplicate: true})
	r.reply(app.PingReply{Seq: 99, RTT: time.Millisecond}) // unknown: ignored
	assert.Equal(t, []plot.RTTPoint{
		{At: 0, RTT: 7 * time.Millisecond},
		{At: time.Second, Lost: true},
		{At: 2 * time.Second, RTT: 5 * time.Millisecond},
		{At: 3 * time.Second, Lost: true},
	}, r.points)
}
