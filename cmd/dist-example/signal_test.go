//go:build unix

package main

import (
	"bufio"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dist-example/dist-example/app"
)

// builtBinary builds this command once per test binary run.
func builtBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: no build of the binary")
	}
	path := filepath.Join(t.TempDir(), "dist-example")
	out, err := exec.Command("go", "build", "-o", path, ".").CombinedOutput()
	require.NoError(t, err, "go build: %s", out)
	return path
}

// The real binary, stopped by a real SIGINT or SIGTERM, prints the final totals last,
// with everything it had counted, and exits 0 (main's signal handling, not a cancelled
// context as in the other tests).
func TestRecvStopsCleanlyOnSignal(t *testing.T) {
	bin := builtBinary(t)
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			const count = 200
			cmd := exec.Command(bin, "recv", "-addr", "127.0.0.1:0", "-interval", "20ms", "-format", "json")
			stdout, err := cmd.StdoutPipe()
			require.NoError(t, err)
			stderr, err := cmd.StderrPipe()
			require.NoError(t, err)
			require.NoError(t, cmd.Start())
			t.Cleanup(func() { _ = cmd.Process.Kill() })

			// The first stderr line names the address.
			errLines := bufio.NewScanner(stderr)
			require.True(t, errLines.Scan(), "no start line from recv")
			addr, ok := strings.CutPrefix(errLines.Text(), "recv: listening on ")
			require.True(t, ok, "start line %q", errLines.Text())
			go func() {
				for errLines.Scan() { // keep draining so recv never blocks on stderr
				}
			}()

			c, err := net.Dial("udp", addr)
			require.NoError(t, err)
			defer c.Close()
			for i := range count {
				_, err := c.Write(app.AppendNumber(nil, int64(i)))
				require.NoError(t, err)
			}

			// Wait until a summary shows every datagram counted, then signal. A watchdog
			// kills recv if that never happens (a lost datagram), so the test fails
			// instead of reading summaries until go test's timeout.
			watchdog := time.AfterFunc(60*time.Second, func() { _ = cmd.Process.Kill() })
			defer watchdog.Stop()
			lines := bufio.NewScanner(stdout)
			var last map[string]any
			counted := func(m map[string]any) bool {
				tot, _ := m["totals"].(map[string]any)
				return tot != nil && tot["received"] == float64(count)
			}
			for lines.Scan() {
				require.NoError(t, json.Unmarshal(lines.Bytes(), &last), "line %q", lines.Text())
				if counted(last) {
					break
				}
			}
			require.True(t, counted(last), "recv never reported %d received", count)
			require.True(t, watchdog.Stop(), "the watchdog killed recv")
			require.NoError(t, cmd.Process.Signal(sig))
			for lines.Scan() {
				last = nil
				require.NoError(t, json.Unmarshal(lines.Bytes(), &last), "line %q", lines.Text())
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case err := <-done:
				require.NoError(t, err, "recv must exit 0 on %v", sig)
			case <-time.After(30 * time.Second):
				t.Fatalf("recv did not exit within 30s of %v", sig)
			}
			assert.Equal(t, "total", last["type"], "the final totals are the last line")
			assert.Equal(t, float64(count), last["unique"])
			assert.Equal(t, float64(0), last["lost"])
			assert.Equal(t, 0, cmd.ProcessState.ExitCode())
		})
	}
}

// The built binary, running a long simulation, stops on SIGINT or SIGTERM at the current
// virtual time: it prints the receiver's totals, the link's counters and a line naming
// the signal and the virtual time, keeps its trace (what happened until then), and exits
// 130 or 143 as shells report a process a signal ended. Without the signal it would run
// for minutes.
func TestSimStopsOnSignal(t *testing.T) {
	bin := builtBinary(t)
	for _, tc := range []struct {
		sig  syscall.Signal
		name string
		code int
	}{{syscall.SIGINT, "SIGINT", 130}, {syscall.SIGTERM, "SIGTERM", 143}} {
		t.Run(tc.name, func(t *testing.T) {
			trace := filepath.Join(t.TempDir(), "trace.txt")
			cmd := exec.Command(bin, "sim", "-seed", "1", "-duration", "27h", "-interval", "1h", "-trace", trace)
			stdout, err := cmd.StdoutPipe()
			require.NoError(t, err)
			var stderr strings.Builder
			cmd.Stderr = &stderr
			require.NoError(t, cmd.Start())
			t.Cleanup(func() { _ = cmd.Process.Kill() })
			lines := bufio.NewScanner(stdout)
			// The first summary (after an hour of virtual time) shows the run is going.
			for lines.Scan() && !strings.Contains(lines.Text(), "Received") {
			}
			require.NoError(t, cmd.Process.Signal(tc.sig))
			var out []string
			for lines.Scan() {
				out = append(out, lines.Text())
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case <-done:
			case <-time.After(60 * time.Second):
				t.Fatalf("sim did not exit within 60s of %v", tc.sig)
			}
			assert.Equal(t, tc.code, cmd.ProcessState.ExitCode(), stderr.String())
			require.GreaterOrEqual(t, len(out), 3, "output after the signal: %q", out)
			last := out[len(out)-1]
			assert.Regexp(t, `^interrupted by `+tc.name+` at virtual time \d\d+:\d\d:\d\d\.\d\d\d$`, last)
			assert.True(t, strings.HasPrefix(out[len(out)-3], "Total: Received "), "the receiver's totals: %q", out)
			assert.True(t, strings.HasPrefix(out[len(out)-2], "link host1->host2: sent "), "the link's counters: %q", out)
			assert.Contains(t, stderr.String(), "interrupted by "+tc.name)
			st, err := os.Stat(trace)
			require.NoError(t, err, "the trace of what ran is kept")
			assert.NotZero(t, st.Size())
		})
	}
}

// On a full disk (here a file size limit) sim fails with exit 1 and leaves no trace
// file that looks complete but is not.
func TestSimFullDiskLeavesNoPartialFile(t *testing.T) {
	bin := builtBinary(t)
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh for ulimit")
	}
	dir := t.TempDir()
	trace := filepath.Join(dir, "trace.txt")
	// ulimit -f counts 512-byte blocks in sh: 128 is 64 KiB, a tenth of this trace.
	cmd := exec.Command("sh", "-c", `ulimit -f 128 && exec "$0" sim -seed 1 -duration 60s -trace "$1"`, bin, trace)
	out, err := cmd.CombinedOutput()
	require.Error(t, err)
	assert.Equal(t, 1, cmd.ProcessState.ExitCode(), "%s", out)
	assert.Contains(t, string(out), "-trace "+trace)
	es, rerr := os.ReadDir(dir)
	require.NoError(t, rerr)
	assert.Empty(t, es, "nothing left behind")
}
