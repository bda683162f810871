//go:build race

package app

// pingRaceEnabled: the race detector changes escape analysis, so allocation counts are
// only checked without it.
const pingRaceEnabled = true
