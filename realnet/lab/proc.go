package lab

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dist-example/dist-example/app"
)

// sendTimeout bounds one sender run; the callers' runs take a few seconds.
const sendTimeout = 2 * time.Minute

// Receiver is a `dist-example recv` running in a lab host.
type Receiver struct {
	d *daemon
}

// StartRecv starts `dist-example recv` on the host's address and port with JSON output,
// and returns once its socket is bound. It is killed in t.Cleanup if still running.
func (h *Host) StartRecv(t testing.TB, bin string, port int) *Receiver {
	t.Helper()
	addr := netip.AddrPortFrom(h.Addr, uint16(port)).String()
	// An hour's interval: only the final totals are wanted.
	cmd := h.DistExample(context.Background(), bin, "recv", "-addr", addr, "-interval", "1h", "-format", "json")
	return &Receiver{d: h.startDaemon(t, "the receiver", cmd, addr, port)}
}

// Stop ends the receiver with SIGTERM and returns the totals it printed last.
func (r *Receiver) Stop(t testing.TB) app.Counts {
	t.Helper()
	c, err := parseTotals(r.d.stop(t))
	if err != nil {
		t.Fatalf("lab: %v", err)
	}
	return c
}

// daemon is a dist-example subcommand that runs in a lab host until stopped, its output
// read while it runs: the receiver and the proxy.
type daemon struct {
	what   string // "the receiver": names it in failures
	cmd    *exec.Cmd
	stdout syncBuffer
	stderr syncBuffer
	exited chan struct{} // closed once Wait has returned
	err    error         // Wait's result; read only after exited is closed
}

// startDaemon starts cmd in h and returns once it has bound port (addr names it in
// failures). It kills the daemon in t.Cleanup if it is still running.
func (h *Host) startDaemon(t testing.TB, what string, cmd *exec.Cmd, addr string, port int) *daemon {
	t.Helper()
	d := &daemon{what: what, cmd: cmd, exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = &d.stdout, &d.stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("lab: starting %s in %s: %v", what, h.NS, err)
	}
	go func() { d.err = cmd.Wait(); close(d.exited) }()
	t.Cleanup(func() {
		select {
		case <-d.exited:
		default:
			_ = cmd.Process.Kill()
			<-d.exited
		}
	})
	WaitFor(t, 10*time.Second, what+" binding "+addr, func() bool {
		select {
		case <-d.exited:
			t.Fatalf("lab: %s exited before binding %s: %v: %s", what, addr, d.err, d.stderr.String())
		default:
		}
		return h.UDPBound(t, port)
	})
	return d
}

// stop ends the daemon with SIGTERM, fails t unless it exits cleanly within 10s, and
// returns everything it wrote to stdout.
func (d *daemon) stop(t testing.TB) string {
	t.Helper()
	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("lab: signalling %s: %v", d.what, err)
	}
	select {
	case <-d.exited:
		if d.err != nil {
			t.Fatalf("lab: %s exited with %v: %s", d.what, d.err, d.stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("lab: %s did not exit within 10s of SIGTERM", d.what)
	}
	return d.stdout.String()
}

// syncBuffer is written by exec's copier while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// lastLine returns the last line of out, ignoring trailing blank space.
func lastLine(out string) string {
	out = strings.TrimSpace(out)
	return out[strings.LastIndexByte(out, '\n')+1:]
}

// parseTotals decodes the receiver's last JSON line, which must be its final totals.
func parseTotals(out string) (app.Counts, error) {
	last := lastLine(out)
	var v struct {
		Type string `json:"type"`
		app.Counts
	}
	if err := json.Unmarshal([]byte(last), &v); err != nil {
		return app.Counts{}, fmt.Errorf("the receiver's last line is not JSON totals: %q: %w", last, err)
	}
	if v.Type != "total" {
		return app.Counts{}, fmt.Errorf("the receiver's last line has type %q, want \"total\": %q", v.Type, last)
	}
	return v.Counts, nil
}

// Send runs `dist-example send` in the host to dst, count datagrams one every interval,
// and returns when it has sent them all; a failure fails t.
func (h *Host) Send(t testing.TB, bin string, dst netip.AddrPort, interval time.Duration, count int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), sendTimeout)
	defer cancel()
	cmd := h.DistExample(ctx, bin, "send", "-addr", dst.String(), "-interval", interval.String(),
		"-count", fmt.Sprint(count))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("lab: the sender in %s: %v: %s", h.NS, err, out)
	}
}

// Binary returns the dist-example binary the lab runs: $DIST_EXAMPLE_BIN when set, else
// one built with go build into t.TempDir(). It skips t when neither is possible.
func Binary(t testing.TB) string {
	t.Helper()
	if bin := os.Getenv("DIST_EXAMPLE_BIN"); bin != "" {
		if _, err := os.Stat(bin); err != nil {
			t.Skipf("lab: DIST_EXAMPLE_BIN: %v", err)
		}
		return bin
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("lab: no dist-example binary: set DIST_EXAMPLE_BIN, or install go to build one")
	}
	bin := t.TempDir() + "/dist-example"
	ctx, cancel := context.WithTimeout(context.Background(), sendTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, gobin, "build", "-o", bin, "github.com/dist-example/dist-example/cmd/dist-example")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("lab: go build ./cmd/dist-example: %v: %s", err, out)
	}
	return bin
}
