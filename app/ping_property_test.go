package app

import (
	"context"
	"net"
	"sort"
	"testing"
	"time"

	"pgregory.net/rapid"
)

// TestPingMatchesModel pings over a fake network that loses, duplicates, delays and so
// reorders each probe as rapid draws, and checks the pinger's counts and every RTT
// against a direct model of the same deliveries.
func TestPingMatchesModel(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		count := rapid.IntRange(1, 120).Draw(t, "count")
		interval := time.Duration(rapid.IntRange(1, 100).Draw(t, "interval_ms")) * time.Millisecond
		const timeout = time.Second
		// delays[i] lists the delays of probe i's copies: none means lost.
		delays := make([][]time.Duration, count)
		for i := range delays {
			n := rapid.IntRange(0, 3).Draw(t, "copies")
			for range n {
				delays[i] = append(delays[i], time.Duration(rapid.IntRange(0, 500).Draw(t, "delay_ms"))*time.Millisecond)
			}
		}

		// The model: deliveries in (arrival, creation) order, as the fake network makes them.
		type delivery struct {
			at    time.Duration
			order int
			seq   int
			delay time.Duration
		}
		var ds []delivery
		allAnswered := true
		for i, dl := range delays {
			allAnswered = allAnswered && len(dl) > 0
			for _, d := range dl {
				ds = append(ds, delivery{time.Duration(i)*interval + d, len(ds), i, d})
			}
		}
		sort.SliceStable(ds, func(a, b int) bool { return ds[a].at < ds[b].at })
		var wantReceived, wantDup, wantReordered int
		seen := map[int]bool{}
		highest := -1
		wantRTT := map[int]time.Duration{}
		for _, d := range ds {
			if allAnswered && wantReceived == count {
				break // the pinger stops at the last first reply
			}
			if seen[d.seq] {
				wantDup++
				continue
			}
			seen[d.seq] = true
			wantRTT[d.seq] = d.delay
			if wantReceived > 0 && d.seq < highest {
				wantReordered++
			}
			highest = max(highest, d.seq)
			wantReceived++
		}

		conn := newPingFakeConn(func(p []byte, _ net.Addr) []pingFakeReply {
			var rs []pingFakeReply
			for _, d := range delays[pingTestSeq(p)] {
				rs = append(rs, pingFakeReply{delay: d})
			}
			return rs
		})
		start := conn.clock.Now()
		var gotProbes []time.Duration
		stats, err := Ping(context.Background(), PingConfig{
			Conn: conn, Clock: conn.clock, Dest: pingTestDest,
			Interval: interval, Count: uint64(count), Size: PingHeaderLen, Timeout: timeout,
			OnProbe: func(_ uint64, sent time.Duration, _ error) { gotProbes = append(gotProbes, sent) },
			OnReply: func(r PingReply) {
				if !r.Duplicate && r.RTT != wantRTT[int(r.Seq)] {
					t.Fatalf("seq %d: RTT %v, want %v", r.Seq, r.RTT, wantRTT[int(r.Seq)])
				}
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		for i, sent := range gotProbes {
			if sent != time.Duration(i)*interval {
				t.Fatalf("probe %d sent at %v, want %v", i, sent, time.Duration(i)*interval)
			}
		}
		s := stats.Summary()
		if s.Transmitted != uint64(count) || s.Received != uint64(wantReceived) ||
			s.Duplicates != uint64(wantDup) || s.Reordered != uint64(wantReordered) {
			t.Fatalf("got tx %d rx %d dup %d reord %d; model tx %d rx %d dup %d reord %d",
				s.Transmitted, s.Received, s.Duplicates, s.Reordered, count, wantReceived, wantDup, wantReordered)
		}
		if s.Received+s.Lost != s.Transmitted || s.Malformed+s.Foreign+s.Unknown != 0 {
			t.Fatalf("accounting: %+v", s)
		}
		end := conn.clock.Now().Sub(start)
		if lastSent := time.Duration(count-1) * interval; !allAnswered && end != lastSent+timeout {
			t.Fatalf("ended at %v, want last probe + timeout = %v", end, lastSent+timeout)
		}
	})
}

// BenchmarkPingFake measures the pinger's own cost per probe (send, read, account) over
// the allocation-light fake network.
func BenchmarkPingFake(b *testing.B) {
	conn := newPingFakeConn(echoAfter(time.Millisecond))
	b.ReportAllocs()
	b.ResetTimer()
	_, err := Ping(context.Background(), PingConfig{
		Conn: conn, Clock: conn.clock, Dest: pingTestDest,
		Interval: 10 * time.Millisecond, Count: uint64(b.N), Size: 64, Timeout: time.Second,
	})
	if err != nil {
		b.Fatal(err)
	}
}
