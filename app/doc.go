// Package app is the application that runs on both networks: a sender of numbered
// datagrams, a receiver that accounts for what arrived, and (in ping*.go, echo*.go) an
// RTT prober. It sees the network only through transport.PacketConn and time only through
// transport.Clock, so the same code runs over real UDP (package realnet) and inside the
// deterministic simulator (package simnet).
//
// Wire format, as in the original talk: each datagram is one number in ASCII decimal
// followed by a newline ("123\n"), so `nc -u HOST PORT` can feed a receiver and
// `nc -lu PORT` can show a sender's stream.
//
// The accounting (Accounting, Counts) is a plain value with no I/O and no clock; Sender
// and Receiver are thin loops around it that only move bytes and wait on the clock.
//
// Losses show in the interval they happen, not at the end of the run: a missing number
// is declared lost at the first interval cut at which a higher number has been known
// for a whole interval (at cut k: every gap up to the stream's highest at cut k-1), so
// reordering shorter than an interval never counts as loss. A declared number that
// still arrives is counted Late (it filled an earlier gap) and the running total Lost
// goes down by one; an interval's Lost never does. A number too far below the window
// to tell a duplicate from a gap is Stale. A sender that starts again from an earlier
// number (restarted, as in the talk's demo, usually from 0 on the same port) starts a new
// stream: it is told apart from network duplicates by going far back (more than
// RestartDistance, or more than RewindDistance into numbers already seen) and counting
// up from there. Counts documents every counter.
//
// Usage:
//
//	s := &app.Sender{Conn: conn, Clock: clk, Dst: dst, Interval: 100 * time.Millisecond, Count: 1000}
//	sent, err := s.Run(ctx)
//
//	r := &app.Receiver{Conn: conn, Clock: clk, Interval: time.Second,
//		OnSummary: func(s app.Summary) { fmt.Println(s) }}
//	err := r.Run(ctx) // returns after conn.Close (or ctx is done), having reported the final totals
package app
