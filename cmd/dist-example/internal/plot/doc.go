// Package plot draws a run as a picture with gonum.org/v1/plot: a per-interval chart of
// what a receiver saw (received, lost, duplicated, reordered), and a ping chart (RTT over
// time above an RTT histogram).
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
// WriteIntervals and WriteRTT do the same onto an io.Writer, for a Format chosen by the
// caller.
package plot
