package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lockedBuf is an io.Writer the command's goroutine writes while the test reads.
type lockedBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// runCmd runs one command line in-process and returns its exit code and output.
func runCmd(ctx context.Context, args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = exitCode(run(ctx, args, &out, &errb), &errb)
	return code, out.String(), errb.String()
}

func TestSendRecvFlagErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string // in stderr: names the flag and what is accepted
	}{
		{"send unknown flag", []string{"send", "-no-such-flag"}, "no-such-flag"},
		{"send negative interval", []string{"send", "-interval", "-5s"}, "-interval -5s: want a duration >= 0"},
		{"send bad interval", []string{"send", "-interval", "fast"}, `send: -interval "fast": want a duration with a unit, e.g. 30s`},
		{"send negative count", []string{"send", "-count", "-1"}, "-count -1: want a number >= 0"},
		{"send stray argument", []string{"send", "now"}, `unexpected argument "now"`},
		{"recv zero interval", []string{"recv", "-interval", "0s"}, "-interval 0s: want a duration >= 1ms"},
		{"recv interval below 1ms", []string{"recv", "-interval", "1us"}, "-interval 1µs: want a duration >= 1ms"},
		{"recv bad format", []string{"recv", "-format", "xml"}, `-format "xml": want text or json`},
		{"recv negative rcvbuf", []string{"recv", "-rcvbuf", "-1"}, "-rcvbuf -1: want a number of bytes >= 0"},
		{"recv unknown flag", []string{"recv", "-count", "3"}, "recv: unknown flag -count; the flags are -addr -format -interval -plot -rcvbuf (see dist-example recv -h)"},
		{"recv stray argument", []string{"recv", "json"}, `unexpected argument "json"`},
		{"send bad start", []string{"send", "-start", "2^63"}, `send: -start "2^63": want a whole number N (see dist-example send -h)`},
		{"send addr without port", []string{"send", "-addr", "garbage"}, `-addr "garbage": address garbage: missing port in address; want host:port`},
		{"recv addr without port", []string{"recv", "-addr", "127.0.0.1"}, `-addr "127.0.0.1": address 127.0.0.1: missing port in address; want host:port`},
		{"send port 0", []string{"send", "-addr", "127.0.0.1:0"}, `-addr "127.0.0.1:0": port 0 is not in 1..65535`},
		{"recv port out of range", []string{"recv", "-addr", "127.0.0.1:65536"}, `port 65536 is not in 0..65535`},
		{"send empty port", []string{"send", "-addr", "[::1]:"}, `-addr "[::1]:": the port is empty`},
		{"recv unclosed bracket", []string{"recv", "-addr", "[::1:2345"}, `missing ']' in address`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCmd(context.Background(), tt.args...)
			assert.Equal(t, 2, code)
			assert.Contains(t, stderr, tt.want)
		})
	}
}

func TestSendRecvHelp(t *testing.T) {
	for _, cmd := range []string{"send", "recv"} {
		t.Run(cmd, func(t *testing.T) {
			code, stdout, stderr := runCmd(context.Background(), cmd, "-h")
			assert.Equal(t, 0, code)
			assert.Empty(t, stderr, "-h writes to stdout")
			assert.Contains(t, stdout, "usage: dist-example "+cmd)
			assert.Contains(t, stdout, "Examples:")
			assert.Contains(t, stdout, "-addr HOST:PORT")
			assert.Contains(t, stdout, "-interval DUR")
		})
	}
}

func TestSendRecvRuntimeErrorsExitOne(t *testing.T) {
	busy, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	defer busy.Close()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"recv address in use", []string{"recv", "-addr", busy.LocalAddr().String()}, "address already in use"},
		{"recv unresolvable", []string{"recv", "-addr", "no-such-host.invalid:2345"}, "no-such-host.invalid"},
		{"send unresolvable", []string{"send", "-addr", "no-such-host.invalid:2345", "-count", "1"}, "no-such-host.invalid"},
		{"send unknown service", []string{"send", "-addr", "127.0.0.1:no-such-service", "-count", "1"}, "no-such-service"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCmd(context.Background(), tt.args...)
			assert.Equal(t, 1, code, stderr)
			assert.Contains(t, stderr, tt.want)
		})
	}
}

var listenLine = regexp.MustCompile(`recv: listening on (\S+)`)

// recvCmd is a recv subcommand running in-process until stop.
type recvCmd struct {
	addr   string
	out    *lockedBuf
	errOut *lockedBuf
	cancel context.CancelFunc
	done   chan int
}

func startRecv(t *testing.T, args ...string) *recvCmd {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &recvCmd{out: &lockedBuf{}, errOut: &lockedBuf{}, cancel: cancel, done: make(chan int, 1)}
	go func() {
		r.done <- exitCode(run(ctx, append([]string{"recv", "-addr", "127.0.0.1:0"}, args...), r.out, r.errOut), r.errOut)
	}()
	require.Eventually(t, func() bool { return listenLine.MatchString(r.errOut.String()) }, 10*time.Second, time.Millisecond,
		"recv did not start: %s", r.errOut.String())
	r.addr = listenLine.FindStringSubmatch(r.errOut.String())[1]
	return r
}

// stop does what SIGINT does (main's context is cancelled) and returns the exit code.
func (r *recvCmd) stop() int {
	r.cancel()
	return <-r.done
}

// jsonLines parses every line of out as one JSON object.
func jsonLines(t *testing.T, out string) []map[string]any {
	t.Helper()
	var objs []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(l), &m), "line %q", l)
		objs = append(objs, m)
	}
	return objs
}

// lastTotalsUnique reads the running totals of the latest interval line.
func lastTotalsUnique(out string) float64 {
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var m struct {
		Totals struct {
			Unique float64 `json:"unique"`
		} `json:"totals"`
	}
	if json.Unmarshal([]byte(lines[len(lines)-1]), &m) != nil {
		return -1
	}
	return m.Totals.Unique
}

func TestSendRecvLoopbackJSON(t *testing.T) {
	const count = 10000
	r := startRecv(t, "-interval", "20ms", "-format", "json")
	code, out, stderr := runCmd(context.Background(), "send", "-addr", r.addr, "-interval", "0", "-count", fmt.Sprint(count))
	require.Equal(t, 0, code, stderr)
	assert.Regexp(t, `^sent 10000 datagrams to 127\.0\.0\.1:\d+ in \S+ \(\d+ datagrams/s\)\n$`, out)

	require.Eventually(t, func() bool { return lastTotalsUnique(r.out.String()) >= count }, 20*time.Second, time.Millisecond,
		"receiver output so far: %s", r.out.String())
	require.Equal(t, 0, r.stop(), r.errOut.String())

	objs := jsonLines(t, r.out.String())
	require.GreaterOrEqual(t, len(objs), 2)
	final := objs[len(objs)-1]
	assert.Equal(t, "total", final["type"])
	for _, k := range []string{"received", "expected", "unique", "lost", "duplicates", "reordered", "late", "stale", "malformed", "restarts", "min", "max", "start", "end"} {
		assert.Contains(t, final, k)
	}
	assert.EqualValues(t, count, final["unique"])
	assert.EqualValues(t, 0, final["lost"])
	assert.EqualValues(t, count, final["expected"])
	assert.EqualValues(t, count-1, final["max"])
	for _, o := range objs[:len(objs)-1] {
		assert.Equal(t, "interval", o["type"])
		assert.Contains(t, o, "totals")
		assert.Contains(t, o, "start")
	}
	assert.Contains(t, r.errOut.String(), "receive buffer")
}

// TestSendRecvIPv6: the pair over [::1], text output; every stderr line is a whole line.
func TestSendRecvIPv6(t *testing.T) {
	if c, err := net.ListenUDP("udp6", &net.UDPAddr{IP: net.IPv6loopback}); err != nil {
		t.Skipf("no IPv6 loopback here: %v", err)
	} else {
		_ = c.Close()
	}
	r := startRecv(t, "-addr", "[::1]:0", "-interval", "20ms")
	require.Regexp(t, `^\[::1\]:\d+$`, r.addr)
	code, out, stderr := runCmd(context.Background(), "send", "-addr", r.addr, "-interval", "10us", "-count", "1000", "-start", "-500")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "sent 1000 datagrams to "+r.addr)
	require.Eventually(t, func() bool { return strings.Contains(r.out.String(), "total: received 1000,") }, 20*time.Second, time.Millisecond,
		"receiver output so far: %s", r.out.String())
	require.Equal(t, 0, r.stop(), r.errOut.String())
	assert.Contains(t, r.out.String(), "Total: Received 1000/1000 packets in range [-500-499], unique 1000, lost 0")
	for name, text := range map[string]string{"send": stderr, "recv": r.errOut.String()} {
		assert.True(t, strings.HasSuffix(text, "\n"), "%s's stderr does not end in a newline: %q", name, text)
		if _, err := os.Stat("/proc/net/snmp6"); err == nil {
			assert.Contains(t, text, "kernel UDP counters over the run (whole host, IPv4+IPv6)", name)
		}
	}
}

func TestRecvTextOutput(t *testing.T) {
	r := startRecv(t, "-interval", "10ms")
	c, err := net.Dial("udp4", r.addr)
	require.NoError(t, err)
	defer c.Close()
	for _, p := range []string{"1\n", "2\r\n", "2\n", "hello"} {
		_, err := io.WriteString(c, p)
		require.NoError(t, err)
	}
	require.Eventually(t, func() bool { return strings.Contains(r.out.String(), "total: received 4,") }, 10*time.Second, time.Millisecond)
	require.Equal(t, 0, r.stop())
	lines := strings.Split(strings.TrimSpace(r.out.String()), "\n")
	assert.Equal(t, "Total: Received 4/2 packets in range [1-2], unique 2, lost 0, duplicates 1, reordered 0, late 0, malformed 1, restarts 0",
		regexp.MustCompile(` in \S+$`).ReplaceAllString(lines[len(lines)-1], ""))
	assert.Contains(t, r.errOut.String(), `malformed datagram from`)
}

func atoi(s string) int {
	var n int
	fmt.Sscan(s, &n)
	return n
}

// TestNetcatInterop: nc feeds the receiver typed numbers, and shows the sender's stream.
func TestNetcatInterop(t *testing.T) {
	nc, err := exec.LookPath("nc")
	if err != nil {
		t.Skip("nc is not installed (apt-get install netcat-openbsd); skipping the interop check")
	}
	t.Run("nc feeds recv", func(t *testing.T) {
		r := startRecv(t, "-interval", "10ms")
		host, port, err := net.SplitHostPort(r.addr)
		require.NoError(t, err)
		for _, n := range []string{"7", "8", "9"} { // one nc per line: one datagram each
			cmd := exec.Command(nc, "-u", "-w1", "-q0", host, port)
			cmd.Stdin = strings.NewReader(n + "\n")
			out, err := cmd.CombinedOutput()
			require.NoError(t, err, string(out))
		}
		require.Eventually(t, func() bool { return strings.Contains(r.out.String(), "total: received 3,") }, 10*time.Second, time.Millisecond)
		require.Equal(t, 0, r.stop())
		assert.Contains(t, r.out.String(), "Total: Received 3/3 packets in range [7-9], unique 3, lost 0")
	})
	t.Run("nc -lu shows the sender's stream", func(t *testing.T) {
		l, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		require.NoError(t, err)
		port := fmt.Sprint(l.LocalAddr().(*net.UDPAddr).Port)
		require.NoError(t, l.Close()) // free the port for nc; a race with other tests is unlikely
		var out lockedBuf
		cmd := exec.Command(nc, "-lu", "127.0.0.1", port)
		cmd.Stdout = &out
		require.NoError(t, cmd.Start())
		defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
		// nc may not be listening yet, and it answers only the first source it hears, so one
		// sender runs until nc has shown three consecutive numbers.
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan int, 1)
		go func() {
			code, _, _ := runCmd(ctx, "send", "-addr", "127.0.0.1:"+port, "-interval", "2ms")
			done <- code
		}()
		consecutive := regexp.MustCompile(`(?m)^(\d+)\n(\d+)\n(\d+)\n`)
		assert.Eventually(t, func() bool {
			m := consecutive.FindStringSubmatch(out.String())
			return m != nil && fmt.Sprint(atoi(m[1])+1) == m[2] && fmt.Sprint(atoi(m[1])+2) == m[3]
		}, 10*time.Second, time.Millisecond, "nc printed %q", out.String())
		cancel()
		assert.Equal(t, 0, <-done)
	})
}
