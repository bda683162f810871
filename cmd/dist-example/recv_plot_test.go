package main

import (
	"context"
	"image/png"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dist-example/dist-example/app"
	"github.com/dist-example/dist-example/cmd/dist-example/internal/plot"
)

// recv -plot draws the run's intervals when the receiver exits.
func TestRecvPlotWrittenOnExit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "run.png")
	r := startRecv(t, "-interval", "20ms", "-format", "json", "-plot", path)
	code, _, stderr := runCmd(context.Background(), "send", "-addr", r.addr, "-interval", "0", "-count", "1000")
	require.Equal(t, 0, code, stderr)
	require.Eventually(t, func() bool { return lastTotalsUnique(r.out.String()) >= 1000 }, 20*time.Second, time.Millisecond,
		"receiver output so far: %s", r.out.String())
	require.Equal(t, 0, r.stop(), r.errOut.String())

	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	img, err := png.Decode(f)
	require.NoError(t, err)
	assert.Equal(t, plot.WidthPx, img.Bounds().Dx())
	assert.Equal(t, plot.HeightPx, img.Bounds().Dy())
}

func TestRecvPlotBadExtensionIsUsageError(t *testing.T) {
	code, _, stderr := runCmd(context.Background(), "recv", "-addr", "127.0.0.1:0", "-plot", "run.gif")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, `-plot "run.gif": want a file name ending in .png or .svg`)
}

func TestRecvRecorderPoints(t *testing.T) {
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	r := recvRecorder{interval: time.Second}
	r.add(app.Summary{Start: t0, End: t0.Add(time.Second), Counts: app.Counts{Unique: 98, Lost: 2, Duplicates: 1, Reordered: 3}})
	r.add(app.Summary{Start: t0.Add(time.Second), End: t0.Add(2 * time.Second), Counts: app.Counts{Unique: 100, Lost: -1}})
	r.add(app.Summary{Start: t0.Add(2 * time.Second), End: t0.Add(2100 * time.Millisecond), Counts: app.Counts{Unique: 9}})
	r.add(app.Summary{Start: t0, End: t0.Add(2 * time.Second), Final: true, Counts: app.Counts{Unique: 198}})
	assert.Equal(t, []plot.IntervalPoint{
		{At: time.Second, Span: time.Second, Received: 98, Lost: 2, Duplicated: 1, Reordered: 3},
		{At: 2 * time.Second, Span: time.Second, Received: 100},
		{At: 2100 * time.Millisecond, Span: 100 * time.Millisecond, Partial: true, Received: 9},
	}, r.points, "the final summary is not an interval; counts below zero are drawn as zero; the last, short one is partial")
	assert.False(t, r.truncated)
}
