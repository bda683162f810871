// Package plot draws a run as a picture: a per-interval chart of what a receiver saw
// (received, lost, duplicated, reordered), a ping chart (RTT over time above an RTT
// histogram), and a sweep's summaries against the swept parameter.
//
// The image format follows the file name: ".png" (800x600 pixels) or ".svg" (600x450
// points, the same picture at 96 dpi). Output is a pure function of the input: the same
// points give byte-identical files, so runs replayed from a seed give the same picture.
//
// Usage:
//
//	pts := []plot.IntervalPoint{{At: time.Second, Received: 98, Lost: 2}, ...}
//	err := plot.Intervals("run.png", "sim seed 1: delay 50ms 10ms, loss 2%", pts)
//
//	rtts := []plot.RTTPoint{{At: 0, RTT: 101 * time.Millisecond}, {At: time.Second, Lost: true}, ...}
//	err = plot.RTT("ping.svg", "ping 127.0.0.1:2346", rtts)
//
// WriteIntervals, WriteRTT and WriteSweep do the same onto an io.Writer, for a Format
// chosen by the caller.
//
// The drawing is the package's own, small on purpose: it is linked into every
// dist-example process, and a plotting library's package initialisation (fonts parsed,
// encoders registered) would be paid at every start, drawing or not. A chart (chart.go)
// is laid out in points on a 600x450 pt canvas, with round-numbered ticks (niceTicks) and
// a legend in the top right corner that moves left off any marker under it; a canvas
// interface (canvas.go) has two backends: PNG, rasterised antialiased with
// golang.org/x/image/vector (png.go), and SVG, written by hand (svg.go). Text is set in
// the Go Regular font (golang.org/x/image/font/gofont), parsed on the first chart drawn
// (font.go).
package plot
