package viewer

import (
	"bytes"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestPageInBrowser opens a page from disk in headless Chromium and checks what it draws
// against the run's ground truth: one path per copy, as many of each fate (and colour)
// as the network's counts say, a dot per corrupted copy; then that the mouse wheel
// zooms, that the search box finds a datagram and shows its trace lines as -trace wrote
// them, and that the console stayed clean. It saves a screenshot ($VIEWER_SCREENSHOT, or
// dist-example-viewer-test.png in the temporary directory).
func TestPageInBrowser(t *testing.T) {
	path := findChromium()
	if path == "" {
		t.Skip("skipped: no chromium, chromium-browser or google-chrome on PATH to render the page (Debian: apt-get install chromium; .ci/run installs it)")
	}
	if testing.Short() {
		t.Skip("skipped in -short: starts a browser")
	}
	const seed = 3
	var trace bytes.Buffer
	res, c := everyFateRun(t, seed, 5*time.Millisecond, "42kbit", &trace)
	c.Finish()
	page := filepath.Join(t.TempDir(), "run.html")
	var buf bytes.Buffer
	require.NoError(t, Write(&buf, Meta{Title: "browser test", App: "stream", Seed: seed, Netem: "(see the test)", Limit: 20}, c))
	require.NoError(t, os.WriteFile(page, buf.Bytes(), 0o644))

	tr, st := res.Truth, res.Link
	want := [NumFates]uint64{
		InOrder: tr.Delivered - tr.Reordered, Reordered: tr.Reordered, Duplicate: tr.Extra,
		Lost: st.Lost, Limit: st.LimitDrops, Cut: st.Partitioned + st.LinkDown + st.HostDown,
		Refused: st.NoListener + st.RecvBuffer, InFlight: st.InFlight,
	}
	for _, f := range []Fate{InOrder, Reordered, Duplicate, Lost, Limit, Cut} {
		require.NotZero(t, want[f], "seed %d must show every fate: none %v", seed, f)
	}
	require.NotZero(t, tr.Corrupted, "seed %d must corrupt a copy", seed)

	b := startBrowser(t, path, 1400, 1000)
	b.open("file://" + page)

	// Every copy drawn, by fate and colour, as the ground truth counts them.
	type drawn struct {
		Count   []uint64
		Colours [][]string
		Corrupt uint64
		Mode    string
		Width   float64
	}
	const countJS = `(() => {
		const n = [], cols = [];
		for (let f = 0; f < 8; f++) {
			const ps = document.querySelectorAll('#lanes path.c.f' + f);
			n.push(ps.length);
			cols.push([...new Set([...ps].map(p => getComputedStyle(p).stroke))]);
		}
		return {Count: n, Colours: cols, Corrupt: document.querySelectorAll('#lanes circle.corrupt').length,
			Mode: window.distView.view.mode, Width: window.distView.view.t1 - window.distView.view.t0};
	})()`
	var d0 drawn
	b.eval(countJS, &d0)
	require.Equal(t, "copies", d0.Mode, "the whole run fits under the bound: every copy drawn")

	// The faults' labels (partition@3s and heal@4s are closer than the partition's label
	// is long) are all there and none overlaps another.
	var labels struct {
		Texts    []string
		Overlaps []string
	}
	b.eval(`(() => {
		const r = [...document.querySelectorAll('#lanes text.faultlabel')].map(t => [t.textContent, t.getBoundingClientRect()]);
		const out = [];
		for (let i = 0; i < r.length; i++) for (let j = i + 1; j < r.length; j++) {
			const a = r[i][1], c = r[j][1];
			if (a.left < c.right && c.left < a.right && a.top < c.bottom && c.top < a.bottom) out.push(r[i][0] + ' / ' + r[j][0]);
		}
		return {Texts: r.map(x => x[0]), Overlaps: out};
	})()`, &labels)
	require.Len(t, labels.Texts, 4, "partition, heal, crash, restart: %q", labels.Texts)
	require.Empty(t, labels.Overlaps, "fault labels drawn over each other")
	for f := Fate(0); f < NumFates; f++ {
		require.Equal(t, want[f], d0.Count[f], "drawn copies %v", f)
		if want[f] > 0 {
			require.Equal(t, []string{rgb(Colours[f])}, d0.Colours[f], "colour of %v", f)
		}
	}
	require.Equal(t, tr.Corrupted, d0.Corrupt, "corrupted copies' dots")

	// The page rebuilds every trace line of the link, as -trace wrote it: its encoding
	// of times, sequence numbers, sizes, flags and fates loses nothing.
	var lines []string
	b.eval(`window.distView.traceLines()`, &lines)
	var wantLines []string
	for _, l := range strings.Split(trace.String(), "\n") {
		if strings.Contains(l, " host1->host2 ") {
			wantLines = append(wantLines, l)
		}
	}
	require.Equal(t, sorted(wantLines), sorted(lines), "the trace lines the page holds")
	full := b.screenshot()
	img, err := png.Decode(bytes.NewReader(full))
	require.NoError(t, err)
	for _, f := range []Fate{InOrder, Reordered, Duplicate, Lost, Limit, Cut} {
		require.True(t, hasColour(img, Colours[f]), "no pixel of %v's colour %s in the screenshot", f, Colours[f])
	}

	// The wheel zooms in around the cursor: a narrower view, fewer copies drawn.
	var at []float64
	b.eval(`(() => { const r = document.getElementById('lanes').getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2]; })()`, &at)
	b.wheel(at[0], at[1], -600)
	var d1 drawn
	b.eval(countJS, &d1)
	require.Less(t, d1.Width, d0.Width*0.6, "the wheel zoomed in")
	require.Less(t, sum(d1.Count), sum(d0.Count), "fewer copies in a narrower view")

	// Hovering a copy shows its trace lines; hovering an interval's bar, its counts.
	var pt []float64
	b.eval(`(() => { // the middle of the in-order copy nearest the plot's middle
		const r = document.getElementById('lanes').getBoundingClientRect(), cx = r.left + r.width / 2;
		let best = null;
		for (const p of document.querySelectorAll('#lanes path.c.f0')) {
			const q = p.getPointAtLength(p.getTotalLength() / 2), m = p.getScreenCTM(), x = q.x * m.a + m.e, y = q.y * m.d + m.f;
			if (!best || Math.abs(x - cx) < Math.abs(best[0] - cx)) best = [x, y];
		}
		return best; })()`, &pt)
	b.do("Input.dispatchMouseEvent", map[string]any{"type": "mouseMoved", "x": pt[0], "y": pt[1]}, nil)
	var hovered string
	b.eval(`document.getElementById('detail').textContent`, &hovered)
	require.Contains(t, hovered, " deliver", "hovering a delivered copy shows its trace lines: %q", hovered)
	b.eval(`(() => { const r = document.querySelector('#intervals path.nx').getBoundingClientRect(); return [r.left + 3, r.bottom - 2]; })()`, &pt)
	b.do("Input.dispatchMouseEvent", map[string]any{"type": "mouseMoved", "x": pt[0], "y": pt[1]}, nil)
	b.eval(`document.getElementById('detail').textContent`, &hovered)
	require.Contains(t, hovered, "network (ground truth)", "hovering an interval's bar: %q", hovered)

	// The search box finds a datagram with two copies and shows their trace lines.
	dg, seqs := twoCopies(c.Links[0], 1000)
	b.eval(`document.getElementById('search').focus(), true`, nil)
	b.typeEnter(strconv.Itoa(int(dg)))
	var got struct {
		Lines string
		HL    int
		Mode  string
	}
	b.eval(`({Lines: (document.getElementById('tracelines') || {}).textContent || '', HL: document.querySelectorAll('#lanes path.c.hl').length, Mode: window.distView.view.mode})`, &got)
	require.Equal(t, "copies", got.Mode, "a found datagram is shown one copy at a time")
	require.Equal(t, 2, got.HL, "datagram %d's two copies highlighted", dg)
	require.Equal(t, traceLinesOf(trace.String(), seqs), sorted(strings.Split(got.Lines, "\n")), "datagram %d's trace lines", dg)

	require.Empty(t, b.consoleErrors(), "console errors")
	shot := os.Getenv("VIEWER_SCREENSHOT")
	if shot == "" {
		shot = filepath.Join(os.TempDir(), "dist-example-viewer-test.png")
	}
	require.NoError(t, os.WriteFile(shot, b.screenshot(), 0o644))
	t.Logf("screenshot of the page after the search: %s (the whole run: %d bytes of PNG)", shot, len(full))
}

// twoCopies returns the first datagram from dg on with two copies, and their sequence numbers.
func twoCopies(l *Link, from int32) (int32, []int64) {
	by := map[int32][]int64{}
	for _, cp := range l.Copies {
		if cp.DG >= from && cp.Seq >= 0 {
			by[cp.DG] = append(by[cp.DG], cp.Seq)
		}
	}
	for dg := from; ; dg++ {
		if len(by[dg]) == 2 {
			return dg, by[dg]
		}
	}
}

// traceLinesOf picks the lines of the copies seqs from the text trace, sorted.
func traceLinesOf(trace string, seqs []int64) []string {
	var out []string
	for _, line := range strings.Split(trace, "\n") {
		for _, s := range seqs {
			if strings.Contains(line, " host1->host2 #"+strconv.FormatInt(s, 10)+" ") {
				out = append(out, line)
			}
		}
	}
	return sorted(out)
}

func sorted(s []string) []string { s = slices.Clone(s); slices.Sort(s); return s }

func sum(n []uint64) uint64 {
	var s uint64
	for _, v := range n {
		s += v
	}
	return s
}

// rgb is a #rrggbb colour as getComputedStyle reports it.
func rgb(hex string) string {
	r, g, b := channels(hex)
	return "rgb(" + strconv.Itoa(r) + ", " + strconv.Itoa(g) + ", " + strconv.Itoa(b) + ")"
}

func channels(hex string) (r, g, b int) {
	v, _ := strconv.ParseUint(strings.TrimPrefix(hex, "#"), 16, 32)
	return int(v >> 16 & 255), int(v >> 8 & 255), int(v & 255)
}

// hasColour reports whether img has a pixel within a small distance of colour (lines
// are antialiased, so their edges blend with the background).
func hasColour(img image.Image, colour string) bool {
	r0, g0, b0 := channels(colour)
	bd := img.Bounds()
	for y := bd.Min.Y; y < bd.Max.Y; y++ {
		for x := bd.Min.X; x < bd.Max.X; x++ {
			r, g, b, _ := img.At(x, y).RGBA()
			if abs(int(r>>8)-r0)+abs(int(g>>8)-g0)+abs(int(b>>8)-b0) <= 30 {
				return true
			}
		}
	}
	return false
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
