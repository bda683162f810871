//go:build !race

package app

const pingRaceEnabled = false
