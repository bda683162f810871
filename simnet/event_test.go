package simnet_test

import (
	"bytes"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dist-example/dist-example/simnet"
)

// everyVerdict runs three hosts through every kind of event: netem's queue, loss, limit,
// duplicate, corrupt and reorder, deliveries, a port nobody listens on, an address no
// host has, a full receive buffer, a partition, a downed link, a crash and profile
// changes. It returns what Config.Trace and Config.Observe got, whichever are asked for.
func everyVerdict(t *testing.T, withTrace, withObserve bool) (string, []simnet.Event) {
	t.Helper()
	var buf bytes.Buffer
	var evs []simnet.Event
	cfg := simnet.Config{Seed: 3, RecvBuffer: 200,
		Default: mustParse(t, "delay 20ms 15ms loss 10% duplicate 20% corrupt 10% reorder 10% limit 5")}
	if withTrace {
		cfg.Trace = &buf
	}
	if withObserve {
		cfg.Observe = func(ev simnet.Event) {
			evs = append(evs, ev)
			ev.Seq, ev.Len = 999, 999 // a copy: changing it changes nothing
		}
	}
	n := newNet(t, cfg, "a", "b", "c")
	ca, cb := listen(t, n, "a:1"), listen(t, n, "b:1")
	listen(t, n, "c:1") // never read: its buffer fills
	clk := n.Clock()
	n.Go("sender", func() {
		for k := range 300 {
			_, _ = ca.WriteTo(fmt.Appendf(nil, "x%d", k), cb.LocalAddr())
			_, _ = ca.WriteTo([]byte("np"), &net.UDPAddr{IP: net.IPv4(10, 0, 0, 3), Port: 9})
			_, _ = ca.WriteTo([]byte("nr"), &net.UDPAddr{IP: net.IPv4(10, 9, 8, 7), Port: 9})
			_, _ = ca.WriteTo([]byte("c"), &net.UDPAddr{IP: net.IPv4(10, 0, 0, 3), Port: 1})
			clk.Sleep(time.Millisecond)
		}
	})
	n.At(50*time.Millisecond, func() { _ = n.Partition([]string{"a"}, []string{"b"}) })
	n.At(80*time.Millisecond, n.Heal)
	n.At(90*time.Millisecond, func() { _ = n.LinkDown("a", "b") })
	n.At(100*time.Millisecond, func() { _ = n.LinkUp("a", "b") })
	n.At(120*time.Millisecond, func() { _ = n.Crash("c") })
	n.At(150*time.Millisecond, func() { _ = n.Restart("c") })
	n.At(200*time.Millisecond, func() { _ = n.SetLink("a", "b", mustParse(t, "delay 1ms rate 1mbit")) })
	require.NoError(t, n.Run())
	return buf.String(), evs
}

// The observer gets exactly the trace's events, structured: each line of the text trace
// is Event.AppendText of the event at its place, and observing changes nothing.
func TestObserveIsTheTrace(t *testing.T) {
	trace, evs := everyVerdict(t, true, true)
	lines := strings.Split(strings.TrimSuffix(trace, "\n"), "\n")
	require.Len(t, evs, len(lines))
	kinds := map[simnet.EventKind]int{}
	for i, ev := range evs {
		require.Equal(t, lines[i], ev.String(), "event %d", i)
		kinds[ev.Kind]++
	}
	for k := simnet.EvQueued; k <= simnet.EvFault; k++ {
		assert.Positive(t, kinds[k], "no %v event: the scenario should reach every kind", k)
	}

	traceOnly, _ := everyVerdict(t, true, false)
	assert.Equal(t, trace, traceOnly, "an observer must not change the run")
	_, observeOnly := everyVerdict(t, false, true)
	assert.Equal(t, evs, observeOnly, "the events must not depend on the text trace")
}

func TestEventFields(t *testing.T) {
	_, evs := everyVerdict(t, false, true)
	a, b := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2")
	var last time.Duration
	for _, ev := range evs {
		require.GreaterOrEqual(t, ev.At, last, "events come in time order")
		last = ev.At
		switch ev.Kind {
		case simnet.EvFault:
			assert.NotEmpty(t, ev.Detail)
			assert.False(t, ev.Src.IsValid() || ev.HasSeq())
		case simnet.EvNoRoute:
			assert.Equal(t, netip.MustParseAddr("10.9.8.7"), ev.Dst)
			assert.Empty(t, ev.DstHost)
			assert.False(t, ev.HasSeq())
		case simnet.EvQueued:
			assert.GreaterOrEqual(t, ev.Due, ev.At)
			assert.True(t, ev.HasSeq())
		case simnet.EvPartition, simnet.EvDown:
			assert.Equal(t, []netip.Addr{a, b}, []netip.Addr{ev.Src, ev.Dst})
			assert.Equal(t, uint16(1), ev.Port)
			assert.False(t, ev.HasSeq())
		case simnet.EvNoPort:
			assert.Contains(t, []uint16{9, 1}, ev.Port, "port 9 is never bound; c's port 1 is gone after its restart")
			assert.Equal(t, "c", ev.DstHost)
		}
	}
	assert.Equal(t, "queued", simnet.EvQueued.String())
	assert.Equal(t, "EventKind(99)", simnet.EventKind(99).String())
}
