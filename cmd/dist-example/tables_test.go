package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tcLibDir makes a tc library directory holding mine.dist (three quantiles) and points
// TC_LIB_DIR at it; it returns the table's path.
func tcLibDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("TC_LIB_DIR", dir)
	path := filepath.Join(dir, "mine.dist")
	require.NoError(t, os.WriteFile(path, []byte("# as maketable writes it\n-8192 0 8192\n"), 0o644))
	return path
}

// A distribution that is not built in is read from TC_LIB_DIR as tc reads it, and the
// report says where it came from; a missing one is a usage error naming the path tried.
func TestSimLoadsTableAndNamesItsSource(t *testing.T) {
	path := tcLibDir(t)
	out, _ := sim(t, "-seed", "1", "-duration", "1s", "-netem", "delay 10ms 5ms distribution mine")
	assert.Contains(t, out, "\nsim: distribution mine: 3 entries from "+path+"\n")
	out, _ = sim(t, "-seed", "1", "-duration", "1s", "-format", "json", "-netem", "delay 10ms 5ms distribution mine")
	assert.Contains(t, out, `"tables":["distribution mine: 3 entries from `+path+`"]`)
	out, _ = sim(t, "-seed", "1", "-duration", "1s", "-netem", "delay 10ms 5ms distribution pareto")
	assert.Contains(t, out, "\nsim: distribution pareto: 4096 entries, built in (generated as iproute2's netem/pareto.c does")

	code, _, errOut := runCmd(context.Background(), "sim", "-netem", "delay 10ms 5ms distribution nosuch")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, filepath.Join(filepath.Dir(path), "nosuch.dist"))
	code, _, errOut = runCmd(context.Background(), "proxy", "-listen", "127.0.0.1:0", "-upstream", "127.0.0.1:9",
		"-netem", "delay 10ms 5ms distribution nosuch")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, filepath.Join(filepath.Dir(path), "nosuch.dist"))
}

func TestProxyLoadsTableAndNamesItsSource(t *testing.T) {
	path := tcLibDir(t)
	r := startProxyCmd(t, "-listen", "127.0.0.1:0", "-upstream", "127.0.0.1:9",
		"-reverse-netem", "delay 10ms 5ms distribution mine")
	require.NoError(t, r.stop(t)) // the table lines follow the start line before the relay runs
	assert.Contains(t, r.stderr.String(), "\nproxy: reverse distribution mine: 3 entries from "+path+"\n")
}

// The start lines give each direction's profile, quoted, or say it has none.
func TestProxyStartLinesNameEachDirection(t *testing.T) {
	r := startProxyCmd(t, "-listen", "127.0.0.1:0", "-upstream", "127.0.0.1:9", "-netem", "loss 5% delay 10ms")
	require.NoError(t, r.stop(t))
	assert.Contains(t, r.stderr.String(), "\nproxy: forward \"delay 10ms loss 5%\"\nproxy: reverse unimpaired (no netem profile)\n")
}
