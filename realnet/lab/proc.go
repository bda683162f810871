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
	"syscall"
	"testing"
	"time"

	"github.com/dist-example/dist-example/app"
)

// sendTimeout bounds one sender run; the callers' runs take a few seconds.
const sendTimeout = 2 * time.Minute

// Receiver is a `dist-example recv` running in a lab host.
type Receiver struct {
	cmd    *exec.Cmd
	stdout bytes.Buffer  // written by exec's copier until Wait returns
	stderr bytes.Buffer  // likewise
	exited chan struct{} // closed once Wait has returned
	err    error         // Wait's result; read only after exited is closed
}

// StartRecv starts `dist-example recv` on the host's address and port with JSON output,
// and returns once its socket is bound. It is killed in t.Cleanup if still running.
func (h *Host) StartRecv(t testing.TB, bin string, port int) *Receiver {
	t.Helper()
	addr := netip.AddrPortFrom(h.Addr, uint16(port)).String()
	r := &Receiver{exited: make(chan struct{})}
	// An hour's interval: only the final totals are wanted.
	r.cmd = h.DistExample(context.Background(), bin, "recv", "-addr", addr, "-interval", "1h", "-format", "json")
	r.cmd.Stdout, r.cmd.Stderr = &r.stdout, &r.stderr
	if err := r.cmd.Start(); err != nil {
		t.Fatalf("lab: starting the receiver in %s: %v", h.NS, err)
	}
	go func() { r.err = r.cmd.Wait(); close(r.exited) }()
	t.Cleanup(func() {
		select {
		case <-r.exited:
		default:
			_ = r.cmd.Process.Kill()
			<-r.exited
		}
	})
	WaitFor(t, 10*time.Second, "the receiver binding "+addr, func() bool {
		select {
		case <-r.exited:
			t.Fatalf("lab: the receiver exited before binding %s: %v: %s", addr, r.err, r.stderr.String())
		default:
		}
		return h.UDPBound(t, port)
	})
	return r
}

// Stop ends the receiver with SIGTERM and returns the totals it printed last.
func (r *Receiver) Stop(t testing.TB) app.Counts {
	t.Helper()
	if err := r.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("lab: signalling the receiver: %v", err)
	}
	select {
	case <-r.exited:
		if r.err != nil {
			t.Fatalf("lab: the receiver exited with %v: %s", r.err, r.stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("lab: the receiver did not exit within 10s of SIGTERM")
	}
	c, err := parseTotals(r.stdout.String())
	if err != nil {
		t.Fatalf("lab: %v", err)
	}
	return c
}

// parseTotals decodes the receiver's last JSON line, which must be its final totals.
func parseTotals(out string) (app.Counts, error) {
	lines := strings.Split(strings.TrimSpace(out), "\n")
	last := lines[len(lines)-1]
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
