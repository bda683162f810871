// Package thirdparty holds tests only: Go code nobody here wrote (miekg/dns, quic-go) and
// a small protocol written the ordinary way (goroutines, channels, timers) run unmodified
// on simnet in synctest mode, in virtual time, from a seed. See the package's tests for
// the model of how to test one's own UDP code on simnet.
package thirdparty
