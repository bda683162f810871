//go:build !linux

package proxy

const gsoAvailable = false

var gsoCmsgLen = 0

func putGSO(b []byte, size int) {}

func gsoRefused(err error) bool { return false }
