package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// dirNames lists dir's entries.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	require.NoError(t, err)
	var n []string
	for _, e := range es {
		n = append(n, e.Name())
	}
	return n
}

func TestOutFileAppearsOnlyWhenComplete(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "trace.txt")
	o, err := createOut("-trace", path)
	require.NoError(t, err)
	_, err = o.Write([]byte("line 1\n"))
	require.NoError(t, err)
	assert.NoFileExists(t, path, "nothing under the name until the output is whole")
	require.NoError(t, o.Close())
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "line 1\n", string(b))
	assert.Equal(t, []string{"trace.txt"}, dirNames(t, dir), "no temporary file left")
	require.NoError(t, o.Close(), "a second Close does nothing")
}

func TestOutFileFailureLeavesTheOldFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "run.png")
	require.NoError(t, os.WriteFile(path, []byte("old"), 0o644))
	o, err := createOut("-plot", path)
	require.NoError(t, err)
	_, _ = o.Write([]byte("half a picture"))
	o.Fail(errors.New("encoder broke"))
	_, err = o.Write([]byte("more"))
	require.Error(t, err, "no writes after a failure")
	err = o.Close()
	require.ErrorContains(t, err, "-plot "+path+": encoder broke")
	b, _ := os.ReadFile(path)
	assert.Equal(t, "old", string(b))
	assert.Equal(t, []string{"run.png"}, dirNames(t, dir))

	o, err = createOut("-plot", path)
	require.NoError(t, err)
	o.Discard()
	assert.Equal(t, []string{"run.png"}, dirNames(t, dir), "Discard removes the temporary file")
	require.NoError(t, o.Close(), "Close after Discard does nothing")
}

func TestOutFileRefusesBadPathsAtOnce(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ path, want string }{
		{filepath.Join(dir, "missing", "x.txt"), "no such file or directory"},
		{dir, "is a directory"},
	} {
		_, err := createOut("-trace", tc.path)
		require.ErrorContains(t, err, tc.want)
		assert.True(t, strings.HasPrefix(err.Error(), "-trace"), err.Error())
		assert.NotContains(t, err.Error(), ".tmp", "the error names the user's path")
	}
	var none *outFile
	n, err := none.Write([]byte("x"))
	assert.Equal(t, 1, n)
	require.NoError(t, err)
	require.NoError(t, none.Close())
}

// A device is written in place (renaming over /dev/full would replace it), and its
// write error is reported.
func TestOutFileDevice(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full")
	}
	o, err := createOut("-trace", "/dev/full")
	require.NoError(t, err)
	_, _ = o.Write([]byte("x"))
	require.ErrorContains(t, o.Close(), "no space left on device")
	st, err := os.Stat("/dev/full")
	require.NoError(t, err)
	assert.False(t, st.Mode().IsRegular(), "/dev/full is still a device")
}

// Every output path of sim, recv and ping is checked before any work starts: sim prints
// nothing, recv never listens, ping never probes.
func TestOutputPathsCheckedBeforeTheRun(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "missing", "x")
	for _, args := range [][]string{
		{"sim", "-seed", "1", "-trace", bad + ".txt"},
		{"sim", "-seed", "1", "-pcap", bad + ".pcap"},
		{"sim", "-seed", "1", "-plot", bad + ".png"},
		{"sim", "-seed", "1", "-app", "ping", "-plot", bad + ".svg"},
		{"sim", "-seed", "1", "-check-determinism", "-plot", bad + ".svg"},
		{"recv", "-addr", "127.0.0.1:0", "-plot", bad + ".png"},
		{"ping", "-addr", "127.0.0.1:9", "-count", "1", "-plot", bad + ".png"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel() // recv would run until this ends: it must not get that far
			code, out, errOut := runCmd(ctx, args...)
			assert.Equal(t, 1, code)
			assert.Empty(t, out)
			assert.Contains(t, errOut, "no such file or directory")
			assert.True(t, strings.HasPrefix(errOut, "dist-example: "+args[0]+": -"), "named after its subcommand, as usage errors are: %q", errOut)
			assert.NotContains(t, errOut, "listening")
		})
	}
}

// A write error at the end of a run fails it (exit 1), with or without
// -check-determinism, and a trace and pcap that did get written are left whole.
func TestSimWriteErrors(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full")
	}
	for _, extra := range [][]string{nil, {"-check-determinism"}} {
		args := append([]string{"sim", "-seed", "1", "-duration", "2s", "-trace", "/dev/full"}, extra...)
		code, _, errOut := runCmd(context.Background(), args...)
		assert.Equal(t, 1, code, args)
		assert.Contains(t, errOut, "-trace /dev/full: write /dev/full: no space left on device")
	}
	dir := t.TempDir()
	code, _, errOut := runCmd(context.Background(), "sim", "-seed", "1", "-duration", "2s",
		"-trace", filepath.Join(dir, "t.txt"), "-pcap", "/dev/full")
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "-pcap /dev/full")
	assert.Equal(t, []string{"t.txt"}, dirNames(t, dir), "the trace that could be written is kept")
}

// A temporary file that a killed run left beside an output (its process is gone) is
// removed when the output is next written; one of a live process, and other names, stay.
func TestStaleTempsRemoved(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command("true")
	require.NoError(t, cmd.Run())
	dead := cmd.Process.Pid // exited and reaped: no such process (unless reused at once)
	if processExists(dead) {
		t.Skipf("pid %d was reused already", dead)
	}
	stale := filepath.Join(dir, fmt.Sprintf(".x.txt.tmp%d-0", dead))
	live := filepath.Join(dir, fmt.Sprintf(".x.txt.tmp%d-0", os.Getppid()))
	other := filepath.Join(dir, fmt.Sprintf(".y.txt.tmp%d-0", dead))
	odd := filepath.Join(dir, ".x.txt.tmpabc-0")
	for _, p := range []string{stale, live, other, odd} {
		require.NoError(t, os.WriteFile(p, []byte("partial"), 0o644))
	}
	o, err := createOut("-trace", filepath.Join(dir, "x.txt"))
	require.NoError(t, err)
	_, _ = o.Write([]byte("whole\n"))
	require.NoError(t, o.Close())
	assert.NoFileExists(t, stale, "a dead process's temporary file is removed")
	for _, p := range []string{live, other, odd} {
		assert.FileExists(t, p)
	}
	got, err := os.ReadFile(filepath.Join(dir, "x.txt"))
	require.NoError(t, err)
	assert.Equal(t, "whole\n", string(got))
}
