package netem

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

func requireConserved(t tb, l *Link[int]) {
	t.Helper()
	s := l.Stats()
	require.Equal(t, s.Sent+s.Duplicated, s.Delivered+s.Lost+s.LimitDrops+s.InFlight, "%+v", s)
	require.Equal(t, uint64(l.Len()), s.InFlight)
}

// Conservation holds after every call, for any valid profile, any arrival schedule and
// profile changes mid-run.
func TestConservation(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		l := NewLink[int](genProfile(rt, true), rapid.Uint64().Draw(rt, "linkSeed"))
		now := time.Duration(0)
		steps := rapid.IntRange(1, 200).Draw(rt, "steps")
		for i := range steps {
			switch rapid.IntRange(0, 9).Draw(rt, "op") {
			case 0:
				l.SetProfile(genProfile(rt, true))
			case 1, 2:
				if next, ok := l.NextDue(); ok && next > now {
					now = next
				}
				l.Dequeue(now)
			default:
				now += time.Duration(rapid.Int64Range(0, int64(5*time.Millisecond)).Draw(rt, "gap"))
				size := rapid.IntRange(0, 1500).Draw(rt, "size")
				l.Enqueue(now, Packet[int]{Data: make([]byte, size), Meta: i, ECT: rapid.Bool().Draw(rt, "ect")})
				l.Dequeue(now)
			}
			requireConserved(rt, l)
		}
		for guard := 0; l.Len() > 0; guard++ {
			require.Less(rt, guard, 1_000_000)
			next, ok := l.NextDue()
			require.True(rt, ok)
			now = max(now, next)
			l.Dequeue(now)
			requireConserved(rt, l)
		}
	})
}

// minDelay is the least delay p can draw.
func minDelay(p Profile) time.Duration {
	sigma := capJitter(int64(p.Jitter))
	if sigma == 0 {
		return p.Delay
	}
	t := tableFor(p.Dist, p.Table)
	if t.Len() == 0 {
		return p.Delay - time.Duration(sigma)
	}
	least := int64(math.MaxInt64)
	for k := range t.Len() {
		least = min(least, tabledist(int64(p.Delay), sigma, uint32(k), t))
	}
	return time.Duration(least)
}

// Nothing leaves before Sent + the minimum delay unless reorder sent it at once, and
// nothing leaves before its Due.
func TestNothingLeavesEarly(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		p := genProfile(rt, true)
		l := NewLink[int](p, rapid.Uint64().Draw(rt, "linkSeed"))
		n := rapid.IntRange(1, 100).Draw(rt, "packets")
		arrivals := make([]time.Duration, n)
		var at time.Duration
		for i := range arrivals {
			at += time.Duration(rapid.Int64Range(0, int64(3*time.Millisecond)).Draw(rt, "gap"))
			arrivals[i] = at
		}
		least := max(0, minDelay(p))
		for _, d := range drive(rt, l, arrivals, fixedSize(100)) {
			require.GreaterOrEqual(rt, d.at, d.pkt.Due, "left before Due")
			require.GreaterOrEqual(rt, d.pkt.Due, d.pkt.Sent)
			if !d.pkt.Reordered {
				require.GreaterOrEqual(rt, d.at, d.pkt.Sent+least, "profile %q", p)
			}
		}
	})
}

type event struct {
	now  time.Duration
	kind EventKind
	pkt  Packet[int]
	data string
}

func trace(p Profile, seed uint64) []event {
	l := NewLink[int](p, seed)
	var log []event
	l.Observe = func(now time.Duration, kind EventKind, pk *Packet[int]) {
		e := event{now: now, kind: kind, pkt: *pk, data: string(pk.Data)}
		e.pkt.Data = nil
		log = append(log, e)
	}
	for i := range 2000 {
		now := time.Duration(i) * 100 * time.Microsecond
		l.Enqueue(now, Packet[int]{Data: []byte(fmt.Sprint("packet ", i)), Meta: i})
		for {
			if _, ok := l.Dequeue(now); !ok {
				break
			}
		}
	}
	for l.Len() > 0 {
		next, _ := l.NextDue()
		l.Dequeue(next)
	}
	return log
}

// The same seed gives the same sequence of events; another seed a different one.
func TestDeterminism(t *testing.T) {
	for _, text := range []string{
		"delay 10ms 5ms 20% loss 10% 30% duplicate 5% 10% corrupt 5% reorder 10% 20%",
		"delay 20ms 10ms distribution pareto loss gemodel 2% 20% 50% 1% rate 10mbit",
		"delay 5ms reorder 50% gap 3 slot 1ms 3ms packets 4 loss state 2% 30%",
		"delay 5ms 1ms slot distribution normal 2ms 1ms bytes 3k corrupt 50%",
	} {
		t.Run(text, func(t *testing.T) {
			p := mustParse(t, text)
			a, b, c := trace(p, 1), trace(p, 1), trace(p, 2)
			require.Equal(t, a, b)
			require.NotEqual(t, a, c)
		})
	}
}

// A profile's seed fixes netem's own draws whatever the link seed, as tc's seed does.
func TestProfileSeed(t *testing.T) {
	p := mustParse(t, "delay 10ms 5ms loss 10% seed 42")
	require.Equal(t, trace(p, 1), trace(p, 2))
}

// The correlated draw gives the stated rate and the stated lag-1 correlation.
func TestCorrelation(t *testing.T) {
	const n = 200_000
	for _, c := range []struct{ rate, rho float64 }{{0.10, 0.25}, {0.01, 0.25}, {0.30, 0.75}, {0.5, 0}} {
		t.Run(fmt.Sprintf("loss %g%% %g%%", c.rate*100, c.rho*100), func(t *testing.T) {
			p := Profile{Loss: Loss{Model: LossRandom, P: Percent(c.rate * 100), Corr: Percent(c.rho * 100)}}
			xs := lossSeries(t, p, 3, n)
			inflation := (1 + c.rho) / (1 - c.rho)
			assert.InDelta(t, c.rate, mean(xs), binomialBound(c.rate, n, inflation))
			assert.InDelta(t, c.rho, lag1(xs), 6*math.Sqrt(inflation/n))
		})
	}
	t.Run("delay", func(t *testing.T) {
		l := NewLink[int](mustParse(t, "limit 200000 delay 100ms 10ms 50%"), 4)
		xs := make([]float64, 0, n)
		for i := range n {
			l.Enqueue(time.Duration(i), Packet[int]{})
		}
		l.Observe = nil
		for l.Len() > 0 {
			p, _ := l.Dequeue(time.Hour)
			xs = append(xs, float64(p.Due-p.Sent))
		}
		// Dequeue order is by Due, so recover arrival order from Seq.
		ordered := make([]float64, n)
		l2 := NewLink[int](mustParse(t, "limit 200000 delay 100ms 10ms 50%"), 4)
		for i := range n {
			l2.Enqueue(time.Duration(i), Packet[int]{})
		}
		for l2.Len() > 0 {
			p, _ := l2.Dequeue(time.Hour)
			ordered[p.Seq] = float64(p.Due - p.Sent)
		}
		assert.InDelta(t, 0.5, lag1(ordered), 6*math.Sqrt(3.0/n))
		assert.InDelta(t, float64(100*time.Millisecond), mean(xs), 5*float64(10*time.Millisecond)*math.Sqrt(3.0/3/n)+1)
	})
}

// tc change semantics: some settings reset, others are kept; queue and counters stay.
func TestSetProfile(t *testing.T) {
	l := NewLink[int](mustParse(t, "limit 50 delay 10ms 2ms 10% distribution normal loss 1% corrupt 5% rate 1mbit ecn slot 1ms seed 9"), 1)
	l.Enqueue(0, Packet[int]{Data: []byte("x")})
	l.Enqueue(0, Packet[int]{Data: []byte("y")})
	before := l.Stats()
	l.SetProfile(mustParse(t, "delay 20ms 3ms duplicate 1%"))
	want := mustParse(t, "delay 20ms 3ms 10% distribution normal duplicate 1% corrupt 5% rate 1mbit slot 1ms seed 9")
	assert.Equal(t, want, l.Profile(), "got %q", l.Profile())
	assert.Equal(t, before, l.Stats())
	assert.Equal(t, 2, l.Len())

	// A correlation given replaces all of delay, loss and duplicate correlation.
	l.SetProfile(mustParse(t, "delay 1ms 1ms 5% corrupt 1% rate 2mbit"))
	assert.Equal(t, mustParse(t, "delay 1ms 1ms 5% distribution normal corrupt 1% rate 2mbit slot 1ms seed 9"), l.Profile())

	l.Replace(Profile{})
	assert.Equal(t, Profile{}, l.Profile())
	assert.Equal(t, 2, l.Len())
}

// tc change keeps the delay table while jitter is 0 (the kernel holds it, tc text cannot
// show it), and a later change with jitter but no distribution uses it again.
func TestSetProfileKeepsHiddenTable(t *testing.T) {
	l := NewLink[int](mustParse(t, "delay 10ms 2ms distribution pareto"), 1)
	l.SetProfile(mustParse(t, "delay 20ms"))
	assert.Equal(t, mustParse(t, "delay 20ms"), l.Profile(), "no jitter: no distribution shown")
	l.SetProfile(mustParse(t, "delay 20ms 4ms"))
	assert.Equal(t, mustParse(t, "delay 20ms 4ms distribution pareto"), l.Profile())
	assert.Equal(t, tableFor(DistPareto, Table{}), l.table)

	// Jitter around a delay of 0 (tc refuses to name a distribution there, but a change
	// reaches it) is drawn from the held table too.
	l.SetProfile(mustParse(t, "delay 0ms 4ms"))
	assert.Equal(t, mustParse(t, "delay 0ms 4ms"), l.Profile())
	assert.Equal(t, tableFor(DistPareto, Table{}), l.table)

	// Naming a distribution replaces it; Replace is a fresh qdisc and holds none.
	l.SetProfile(mustParse(t, "delay 5ms 1ms distribution normal"))
	l.SetProfile(mustParse(t, "delay 5ms"))
	l.SetProfile(mustParse(t, "delay 5ms 1ms"))
	assert.Equal(t, mustParse(t, "delay 5ms 1ms distribution normal"), l.Profile())
	l.Replace(mustParse(t, "delay 5ms"))
	l.SetProfile(mustParse(t, "delay 5ms 1ms"))
	assert.Equal(t, mustParse(t, "delay 5ms 1ms"), l.Profile())
	assert.Zero(t, l.table)

	// What Profile shows always prints as text that parses back to it.
	back, err := Parse(l.Profile().String())
	require.NoError(t, err)
	assert.Equal(t, l.Profile(), back)
}

func TestECN(t *testing.T) {
	l := NewLink[int](mustParse(t, "loss 100% ecn"), 1)
	v, _, _ := l.Enqueue(0, Packet[int]{ECT: true})
	assert.Equal(t, Queued, v)
	v, _, _ = l.Enqueue(0, Packet[int]{})
	assert.Equal(t, Lost, v)
	p, ok := l.Dequeue(0)
	require.True(t, ok)
	assert.True(t, p.CE)
	assert.Equal(t, uint64(1), l.Stats().ECNMarked)
	assert.Equal(t, uint64(1), l.Stats().Lost)
}

// Reordered packets go to the head of the kernel's immediate queue: newest first.
func TestImmediateQueueIsLIFO(t *testing.T) {
	l := NewLink[int](mustParse(t, "delay 10ms reorder 100%"), 1)
	for i := range 3 {
		l.Enqueue(0, Packet[int]{Meta: i})
	}
	for _, want := range []int{2, 1, 0} {
		p, ok := l.Dequeue(0)
		require.True(t, ok)
		assert.Equal(t, want, p.Meta)
		assert.True(t, p.Reordered)
	}
}

// Slots: packets leave only when a slot has opened, at most the budget per slot.
func TestSlot(t *testing.T) {
	l := NewLink[int](mustParse(t, "slot 10ms packets 2"), 1)
	out := drive(t, l, every(40, time.Millisecond), fixedSize(10))
	require.Len(t, out, 40)
	perInstant := map[time.Duration]int{}
	for _, d := range out {
		perInstant[d.at]++
	}
	for at, n := range perInstant {
		assert.LessOrEqual(t, n, 2, "at %v", at)
	}
	// Packets queue up behind the slots: most leave after their Due.
	late := 0
	for _, d := range out {
		if d.at > d.pkt.Due {
			late++
		}
	}
	assert.Greater(t, late, 30)
}

// The generated tables have iproute2's shape.
func TestTables(t *testing.T) {
	normal, pareto := tableFor(DistNormal, Table{}).Values(), tableFor(DistPareto, Table{}).Values()
	for _, d := range []Dist{DistNormal, DistPareto, DistParetoNormal} {
		tab := tableFor(d, Table{}).Values()
		require.Len(t, tab, distSize)
		for k := 1; k < distSize; k++ {
			require.LessOrEqual(t, tab[k-1], tab[k], "%s not ascending at %d", d, k)
		}
	}
	assert.Equal(t, int16(math.MinInt16), normal[0], "normal's low tail clamps at −4σ")
	assert.InDelta(t, 0, normal[distSize/2], 5)
	assert.Equal(t, int16(-5461), pareto[0], "pareto starts at −2/3σ")
	assert.Equal(t, int16(math.MaxInt16), pareto[distSize-1])
	var sum float64
	for _, v := range normal {
		sum += float64(v) * float64(v)
	}
	assert.InDelta(t, 1, math.Sqrt(sum/distSize)/distScale, 0.02, "normal table has unit spread")
	assert.Zero(t, tableFor(DistUniform, Table{}).Len())
}

// Every slot opens with its full budget, the first one included (the kernel's get_slot
// sets it on configuration, get_slot_next on every later slot), and so does the slot a
// change adds: ten packets enqueued at once leave in groups of the budget.
func TestSlotBudgetFromTheFirstSlot(t *testing.T) {
	groups := func(l *Link[int]) []int {
		var out []int
		last := time.Duration(-1)
		for _, d := range drive(t, l, make([]time.Duration, 10), fixedSize(100)) {
			if d.at != last {
				out = append(out, 0)
				last = d.at
			}
			out[len(out)-1]++
		}
		return out
	}
	for text, want := range map[string][]int{
		"slot 10ms 20ms packets 5":                    {5, 5},
		"slot 10ms 20ms":                              {10},
		"slot 10ms 20ms bytes 300":                    {3, 3, 3, 1},
		"slot 10ms packets 3 bytes 250":               {3, 3, 3, 1}, // the packet that overdraws the bytes still leaves
		"slot 10ms packets 2 bytes 250":               {2, 2, 2, 2, 2},
		"slot distribution normal 10ms 2ms packets 4": {4, 4, 2},
	} {
		assert.Equal(t, want, groups(NewLink[int](mustParse(t, text), 1)), text)
	}
	// A change that adds a slot opens it now with its budget too.
	l := NewLink[int](mustParse(t, "delay 1ms"), 1)
	l.SetProfile(mustParse(t, "delay 1ms slot 10ms 20ms packets 5"))
	assert.Equal(t, []int{5, 5}, groups(l))
}
