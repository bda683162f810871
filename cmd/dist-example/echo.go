package main

import (
	"context"
	"fmt"
	"io"
	"net"

	"github.com/dist-example/dist-example/app"
	"github.com/dist-example/dist-example/realnet"
)

// defaultEchoAddr is where echo listens and ping sends: next to send/recv's 2345.
const defaultEchoAddr = "127.0.0.1:2346"

const echoUsage = `
usage: dist-example echo [flags]

Reflects every UDP datagram back to its sender, unchanged, for dist-example ping (or any
UDP client) to measure round-trip times. On SIGINT or SIGTERM it prints how many
datagrams it reflected and exits 0.

Examples:
  dist-example echo
  dist-example echo -addr :2346 -v            # every address, a line per datagram
  dist-example ping -addr 127.0.0.1:2346 -count 10
  echo hello | nc -u -w1 127.0.0.1 2346        # prints hello back
`

func init() {
	register(command{name: "echo", summary: "reflect UDP datagrams to their sender (the other end of ping)", run: runEcho})
}

func runEcho(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("echo", echoUsage, stdout)
	addr := fs.String("addr", defaultEchoAddr, "UDP `HOST:PORT` to listen on (IPv4 or IPv6; port 0 picks one)")
	verbose := fs.Bool("v", false, "print a line per datagram to stderr")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := checkAddr(*addr, true); err != nil {
		return err
	}
	conn, err := realnet.Listen(*addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	fmt.Fprintf(stderr, "echo: listening on %s\n", conn.LocalAddr())

	// Echo blocks only in ReadFrom: closing the conn is what ends it.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	var onDatagram func(int, net.Addr, app.EchoStats)
	if *verbose {
		onDatagram = func(n int, from net.Addr, s app.EchoStats) {
			fmt.Fprintf(stderr, "echo: %d bytes from %s (datagram %d)\n", n, from, s.Datagrams)
		}
	}
	s, err := app.Echo(conn, onDatagram)
	fmt.Fprintf(stdout, "echo: %d datagrams (%d bytes) received, %d reflected, %d write errors\n",
		s.Datagrams, s.Bytes, s.Datagrams-s.WriteErrors, s.WriteErrors)
	return err
}
