package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dist-example/dist-example/realnet/proxy"
)

func TestProxyFlagErrors(t *testing.T) {
	ok := []string{"-listen", "127.0.0.1:0", "-upstream", "127.0.0.1:9"}
	tests := []struct {
		name   string
		args   []string
		errHas string
	}{
		{"no listen", []string{"-upstream", "127.0.0.1:9"}, "-listen is required"},
		{"no upstream", []string{"-listen", "127.0.0.1:0"}, "-upstream is required"},
		{"bad profile names the token", append(ok, "-netem", "delay 10ms lose 5%"), "lose"},
		{"bad reverse profile", append(ok, "-reverse-netem", "loss 101%"), "-reverse-netem"},
		{"bad format", append(ok, "-format", "xml"), "accepted: text, json"},
		{"negative interval", append(ok, "-interval", "-1s"), "-interval"},
		{"zero sessions", append(ok, "-max-sessions", "0"), "-max-sessions"},
		{"zero idle timeout", append(ok, "-idle-timeout", "0s"), "-idle-timeout"},
		{"stray argument", append(ok, "extra"), "unexpected argument"},
		{"unknown flag", append(ok, "-bogus"), "bogus"},
		{"control on every interface", append(ok, "-control", ":0"), "loopback"},
		{"control port out of range", append(ok, "-control", "127.0.0.1:99999"), `-control "127.0.0.1:99999": port "99999" is not a number`},
		{"control port not a port", append(ok, "-control", "127.0.0.1:abc"), `-control "127.0.0.1:abc": port is neither a number`},
		{"control without a port", append(ok, "-control", "localhost"), `-control "localhost": missing port`},
		{"zero queue bytes", append(ok, "-queue-bytes", "0"), "-queue-bytes"},
		{"bad correlation", append(ok, "-correlation", "linux"), `-correlation: correlation "linux": want stated`},
		// Malformed addresses are usage errors naming the flag, the value and the form wanted.
		{"listen without a port", []string{"-listen", "nohost", "-upstream", "127.0.0.1:9"},
			`-listen "nohost": missing port in address; want HOST:PORT, e.g. 127.0.0.1:9001`},
		{"listen port out of range", []string{"-listen", "127.0.0.1:70000", "-upstream", "127.0.0.1:9"},
			`-listen "127.0.0.1:70000": port "70000" is not a number in 0..65535; want HOST:PORT`},
		{"upstream port not a number", []string{"-listen", "127.0.0.1:0", "-upstream", "127.0.0.1:9000%"},
			`-upstream "127.0.0.1:9000%": port "9000%" is not a number in 0..65535`},
		{"upstream port 0", []string{"-listen", "127.0.0.1:0", "-upstream", "127.0.0.1:0"},
			`-upstream "127.0.0.1:0": port 0; want HOST:PORT, e.g. 127.0.0.1:9000, port 1..65535`},
		{"upstream without a port", []string{"-listen", "127.0.0.1:0", "-upstream", "127.0.0.1"},
			`-upstream "127.0.0.1": missing port in address; want HOST:PORT, e.g. 127.0.0.1:9000`},
		{"upstream unparsable", []string{"-listen", "127.0.0.1:0", "-upstream", "[::1:9"},
			`-upstream "[::1:9": missing ']' in address; want HOST:PORT`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stderr bytes.Buffer
			err := runProxy(context.Background(), tc.args, io.Discard, &stderr)
			require.Error(t, err)
			var ue usageError
			require.True(t, errors.As(err, &ue), "want a usage error (exit 2), got %v", err)
			assert.Contains(t, err.Error()+stderr.String(), tc.errHas)
			assert.Equal(t, 2, exitCode(err, io.Discard))
		})
	}
}

func TestProxyHelpShowsExamples(t *testing.T) {
	var stdout bytes.Buffer
	err := runProxy(context.Background(), []string{"-h"}, &stdout, io.Discard)
	require.ErrorIs(t, err, flag.ErrHelp)
	assert.Contains(t, stdout.String(), "Examples:")
	assert.Contains(t, stdout.String(), "-reverse-netem TEXT")
	assert.Equal(t, 0, exitCode(err, io.Discard))
}

func TestProxyRuntimeErrorExitsOne(t *testing.T) {
	busy, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	defer busy.Close()
	err = runProxy(context.Background(), []string{"-listen", busy.LocalAddr().String(), "-upstream", "127.0.0.1:9"}, io.Discard, io.Discard)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "address already in use")
	assert.Equal(t, 1, exitCode(err, io.Discard))

	// A well-formed address whose name does not resolve is a runtime failure too.
	err = runProxy(context.Background(), []string{"-listen", "127.0.0.1:0", "-upstream", "no-such-host.invalid:9"}, io.Discard, io.Discard)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `-upstream "no-such-host.invalid:9"`)
	assert.Equal(t, 1, exitCode(err, io.Discard))
}

// runningProxy starts the subcommand and waits for its start line.
type runningProxy struct {
	stdout, stderr *lockedBuf
	listen         string
	control        string
	cancel         context.CancelFunc
	done           chan error
}

var proxyStartLine = regexp.MustCompile(`listening on (\S+), upstream \S+, seed (\d+), control (\S+)`)

func startProxyCmd(t *testing.T, args ...string) *runningProxy {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &runningProxy{stdout: &lockedBuf{}, stderr: &lockedBuf{}, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- runProxy(ctx, args, r.stdout, r.stderr) }()
	deadline := time.Now().Add(5 * time.Second)
	for {
		if m := proxyStartLine.FindStringSubmatch(r.stderr.String()); m != nil {
			r.listen, r.control = m[1], m[3]
			break
		}
		select {
		case err := <-r.done:
			t.Fatalf("proxy exited at start: %v\n%s", err, r.stderr)
		default:
		}
		require.True(t, time.Now().Before(deadline), "no start line: %q", r.stderr)
		time.Sleep(time.Millisecond)
	}
	t.Cleanup(func() { cancel() })
	return r
}

// proxyTail keeps failure messages short: the last few hundred bytes of an output.
func proxyTail(s string) string {
	if len(s) > 600 {
		return "..." + s[len(s)-600:]
	}
	return s
}

// stop cancels the proxy (as SIGINT does) and returns its error.
func (r *runningProxy) stop(t *testing.T) error {
	t.Helper()
	r.cancel()
	select {
	case err := <-r.done:
		return err
	case <-time.After(5 * time.Second):
		t.Fatal("proxy did not stop")
		return nil
	}
}

// proxyUDPSink counts datagrams arriving on a loopback socket.
func proxyUDPSink(t *testing.T) (*net.UDPConn, func() int) {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	var mu sync.Mutex
	n := 0
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 2048)
		for {
			if _, _, err := c.ReadFrom(buf); err != nil {
				return
			}
			mu.Lock()
			n++
			mu.Unlock()
		}
	}()
	t.Cleanup(func() { c.Close(); <-done })
	return c, func() int { mu.Lock(); defer mu.Unlock(); return n }
}

func TestProxyRelaysAndReportsFinalCountersAsJSON(t *testing.T) {
	up, count := proxyUDPSink(t)
	r := startProxyCmd(t, "-listen", "127.0.0.1:0", "-upstream", up.LocalAddr().String(),
		"-netem", "loss 100%", "-seed", "42", "-format", "json", "-interval", "20ms")
	assert.Contains(t, r.stderr.String(), "seed 42")

	c, err := net.Dial("udp", r.listen)
	require.NoError(t, err)
	defer c.Close()
	for range 10 {
		_, err := c.Write([]byte("hello"))
		require.NoError(t, err)
	}
	// Periodic reports come as JSON lines; wait for one showing all ten lost.
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(r.stdout.String(), `"lost":10`) {
		require.True(t, time.Now().Before(deadline), "no report shows the loss: %s", proxyTail(r.stdout.String()))
		time.Sleep(time.Millisecond)
	}
	require.NoError(t, r.stop(t))
	assert.Zero(t, count())

	lines := strings.Split(strings.TrimSpace(r.stdout.String()), "\n")
	var final struct {
		Event   string `json:"event"`
		Forward struct {
			Sent, Lost, Delivered uint64
		} `json:"forward"`
		Sessions proxy.SessionStats `json:"sessions"`
	}
	require.NoError(t, json.Unmarshal([]byte(lines[len(lines)-1]), &final))
	assert.Equal(t, "final", final.Event)
	assert.Equal(t, uint64(10), final.Forward.Sent)
	assert.Equal(t, uint64(10), final.Forward.Lost)
	// The one client's session was open at exit: the final report says so, and adds up.
	assert.Equal(t, proxy.SessionStats{Active: 1, Opened: 1}, final.Sessions, "final sessions: opened = active + expired")
	for _, l := range lines[:len(lines)-1] {
		assert.Contains(t, l, `"event":"interval"`)
	}
}

func TestProxyControlAPIFromTheCommandLine(t *testing.T) {
	up, count := proxyUDPSink(t)
	r := startProxyCmd(t, "-listen", "127.0.0.1:0", "-upstream", up.LocalAddr().String(),
		"-netem", "loss 100%", "-control", "127.0.0.1:0")
	require.True(t, strings.HasPrefix(r.control, "http://127.0.0.1:"), r.control)

	req, err := http.NewRequest(http.MethodPut, r.control+"/profile/forward", strings.NewReader(`{"netem": ""}`))
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)

	c, err := net.Dial("udp", r.listen)
	require.NoError(t, err)
	defer c.Close()
	_, err = c.Write([]byte("through"))
	require.NoError(t, err)
	deadline := time.Now().Add(5 * time.Second)
	for count() == 0 {
		require.True(t, time.Now().Before(deadline), "the swapped profile did not let the datagram through")
		time.Sleep(time.Millisecond)
	}

	resp, err = http.Get(r.control + "/counters")
	require.NoError(t, err)
	var v struct{ Forward map[string]any }
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&v))
	resp.Body.Close()
	assert.Equal(t, 1.0, v.Forward["delivered"])

	require.NoError(t, r.stop(t))
	_, err = http.Get(r.control + "/counters")
	require.Error(t, err, "the control API outlived the proxy")
	assert.Contains(t, r.stdout.String(), "final forward")
}
