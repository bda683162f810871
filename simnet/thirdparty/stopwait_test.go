package thirdparty

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"net"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"pgregory.net/rapid"

	"github.com/dist-example/dist-example/simnet"
)

// This file is the model of testing one's own UDP protocol on simnet: a stop-and-wait
// sender and its receiver, written the ordinary way (a reader goroutine, a channel, a
// retransmission timer from package time, deadlines from time.Now), run in synctest mode
// over random netem profiles by a property test. Nothing in the protocol knows simnet:
// it takes a net.Conn and a net.PacketConn.

// A frame is 4 bytes of sequence number, 4 of CRC-32 of the sequence number and the
// payload, then the payload; an ack is a frame with no payload. The CRC catches netem's
// corrupt wherever its bit flip lands: it covers the sequence number too, or a flip there
// would turn a retransmitted empty message into the next one (seed 5670 of the property
// found that when the CRC covered the payload only).
func frame(seq uint32, payload []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, seq)
	b = binary.BigEndian.AppendUint32(b, frameCRC(b[:4], payload))
	return append(b, payload...)
}

func frameCRC(seq, payload []byte) uint32 {
	return crc32.Update(crc32.ChecksumIEEE(seq), crc32.IEEETable, payload)
}

func unframe(b []byte) (seq uint32, payload []byte, ok bool) {
	if len(b) < 8 {
		return 0, nil, false
	}
	payload = b[8:]
	return binary.BigEndian.Uint32(b), payload, frameCRC(b[:4], payload) == binary.BigEndian.Uint32(b[4:])
}

// swSend sends msgs in order over conn, one outstanding at a time, retransmitting after
// rto without an ack; it gives up after maxTries sends of one message.
func swSend(conn net.Conn, msgs [][]byte, rto time.Duration, maxTries int) (sends int, err error) {
	acks := make(chan uint32, 16)
	go func() { // the reader: acks into a channel until the conn is closed
		defer close(acks)
		buf := make([]byte, 64)
		for {
			k, err := conn.Read(buf)
			if err != nil {
				return
			}
			if seq, _, ok := unframe(buf[:k]); ok {
				acks <- seq
			}
		}
	}()
	defer func() {
		_ = conn.Close()
		for range acks { // wait for the reader to end
		}
	}()
	timer := time.NewTimer(rto)
	defer timer.Stop()
	for i, m := range msgs {
		f := frame(uint32(i), m)
		for tries := 0; ; {
			if tries == maxTries {
				return sends, fmt.Errorf("message %d: no ack after %d sends", i, tries)
			}
			if _, err := conn.Write(f); err != nil {
				return sends, err
			}
			sends++
			tries++
			timer.Reset(rto)
		wait:
			for {
				select {
				case seq, ok := <-acks:
					if !ok {
						return sends, errors.New("conn closed")
					}
					if seq == uint32(i) {
						goto next
					}
				case <-timer.C:
					break wait
				}
			}
		}
	next:
	}
	return sends, nil
}

// swReceive delivers each message once, in order, to deliver, acking every good frame,
// until conn is closed.
func swReceive(conn net.PacketConn, deliver func([]byte)) {
	buf := make([]byte, 2048)
	var next uint32
	for {
		k, from, err := conn.ReadFrom(buf)
		if err != nil {
			return
		}
		seq, payload, ok := unframe(buf[:k])
		if !ok {
			continue // corrupted: the sender will retransmit
		}
		if seq == next {
			deliver(slices.Clone(payload))
			next++
		}
		if seq < next {
			_, _ = conn.WriteTo(frame(seq, nil), from)
		}
	}
}

// TestStopAndWaitProperty: over random profiles (delay, jitter, loss, duplication,
// reordering, corruption) and random messages, every message is delivered exactly once
// and in order, and the retransmission count is consistent with the profile.
func TestStopAndWaitProperty(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		delay := rapid.IntRange(1, 50).Draw(rt, "delayMs")
		profile := fmt.Sprintf("delay %dms %dms loss %d%% duplicate %d%% reorder %d%% corrupt %d%%",
			delay, rapid.IntRange(0, delay).Draw(rt, "jitterMs"),
			rapid.IntRange(0, 30).Draw(rt, "loss"), rapid.IntRange(0, 20).Draw(rt, "duplicate"),
			rapid.IntRange(0, 50).Draw(rt, "reorder"), rapid.IntRange(0, 10).Draw(rt, "corrupt"))
		msgs := rapid.SliceOfN(rapid.SliceOfN(rapid.Byte(), 0, 100), 1, 40).Draw(rt, "msgs")
		seed := rapid.Uint64().Draw(rt, "seed")

		var got [][]byte
		var sends int
		var sendErr error
		synctest.Test(t, func(t *testing.T) {
			n := newNet(t, seed, profile, nil, "a", "b")
			rc, err := n.Listen("b:9000")
			if err != nil {
				sendErr = err
				return
			}
			done := make(chan struct{})
			go func() {
				defer close(done)
				swReceive(rc, func(m []byte) { got = append(got, m) })
			}()
			sc, err := n.Host("a").Dial("b:9000")
			if err != nil {
				sendErr = err
				return
			}
			// rto: above the longest round trip (2 * (delay + jitter)).
			sends, sendErr = swSend(sc, msgs, 4*time.Duration(delay)*time.Millisecond+time.Millisecond, 1000)
			_ = rc.Close()
			<-done
		})
		if sendErr != nil {
			rt.Fatalf("profile %q seed %d: %v", profile, seed, sendErr)
		}
		if len(got) != len(msgs) {
			rt.Fatalf("profile %q seed %d: %d messages delivered, want %d", profile, seed, len(got), len(msgs))
		}
		for i := range msgs {
			if !slices.Equal(got[i], msgs[i]) {
				rt.Fatalf("profile %q seed %d: message %d delivered as %x, want %x", profile, seed, i, got[i], msgs[i])
			}
		}
		if sends < len(msgs) {
			rt.Fatalf("%d sends for %d messages", sends, len(msgs))
		}
	})
}

var _ net.Conn = (*simnet.Conn)(nil)
