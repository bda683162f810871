package scenario

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/dist-example/dist-example/app"
	"github.com/dist-example/dist-example/simnet"
	"github.com/dist-example/dist-example/simnet/netem"
)

// hasBreaks reports whether the sender restarted or jumped: then the receiver counts
// per stream and the network per datagram, and only the oracle can be compared exactly.
func hasBreaks(cfg Config) bool {
	for _, f := range cfg.Faults {
		if f.Kind == Restart || f.Kind == Jump {
			return true
		}
	}
	return false
}

// checkNetwork checks the run itself: the trace, the reads and the link's counters
// agree with one another. It returns the first violation.
func checkNetwork(cfg Config, res *Result) error {
	t, l, ck := res.Truth, res.Link, res.Check
	switch {
	case ck.Unexpected != 0 || ck.Unread != 0:
		return fmt.Errorf("reads and deliveries do not pair up: %+v", ck)
	case ck.Mismatched != 0:
		return fmt.Errorf("%d uncorrupted datagrams reached the receiver with bytes that were never sent: %+v", ck.Mismatched, ck)
	case ck.BadCorrupt != 0:
		return fmt.Errorf("%d corrupted datagrams differ from what was sent in other than one bit: %+v", ck.BadCorrupt, ck)
	case ck.Reads != t.Copies:
		return fmt.Errorf("receiver read %d datagrams, network delivered %d copies", ck.Reads, t.Copies)
	case l.InFlight != 0:
		return fmt.Errorf("link still holds %d copies after the drain", l.InFlight)
	case l.Sent+l.Duplicated != l.Delivered+l.Dropped()+l.InFlight:
		return fmt.Errorf("link conservation broken: %+v", l)
	case t.Sent != l.Sent || int64(t.Sent) != res.Sent:
		return fmt.Errorf("sent: trace %d, link %d, senders %d", t.Sent, l.Sent, res.Sent)
	case t.Copies != l.Delivered:
		return fmt.Errorf("copies delivered: trace %d, link %d", t.Copies, l.Delivered)
	case t.Delivered+t.Undelivered != t.Sent || t.Copies != t.Delivered+t.Extra:
		return fmt.Errorf("truth does not add up: %+v", t)
	case t.Undelivered != t.ByLoss+t.ByLimit+t.ByPartition+t.ByOther:
		return fmt.Errorf("undelivered causes do not add up: %+v", t)
	case t.Corrupted > l.Corrupted || t.Extra > l.Duplicated:
		return fmt.Errorf("truth exceeds the link's counters: %+v vs %+v", t, l)
	}
	return nil
}

// checkReceiver checks a receiver's final counts (got) against the network's ground
// truth. It returns the first violation.
func checkReceiver(cfg Config, res *Result, got app.Counts) error {
	t := res.Truth
	// The accounting invariants of app.Counts.
	switch {
	case got.Received != got.Unique+got.Duplicates+got.Stale+got.Malformed:
		return fmt.Errorf("received != unique+duplicates+stale+malformed: %+v", got)
	case got.Unique+got.Lost != got.Expected:
		return fmt.Errorf("at the end unique+lost != expected: %+v", got)
	case got.Late > got.Reordered || got.Reordered > got.Unique:
		return fmt.Errorf("want late <= reordered <= unique: %+v", got)
	}
	// Nothing reaches the app that was not sent, except corrupted copies.
	switch {
	case got.Received != int64(t.Copies):
		return fmt.Errorf("receiver counted %d datagrams, the network delivered %d copies", got.Received, t.Copies)
	case got.Malformed > int64(t.Corrupted):
		return fmt.Errorf("%d malformed datagrams but only %d corrupted copies delivered", got.Malformed, t.Corrupted)
	}
	// The oracle: app's definitions applied to what was delivered, always exact.
	if res.ExpectValid && got != res.Expect {
		return fmt.Errorf("receiver's counts differ from app's definitions applied to the delivered datagrams:\n got  %+v\n want %+v", got, res.Expect)
	}
	// The ground truth, exact when no copy was corrupted and the sender never broke its
	// sequence. Late has no network counterpart: it depends on when the receiver cut its
	// intervals (the oracle checks it); a late datagram is reordered on the network too.
	if t.Corrupted == 0 && !hasBreaks(cfg) {
		for _, c := range []struct {
			name      string
			recv, net int64
		}{
			{"unique", got.Unique, int64(t.Delivered)},
			{"lost", got.Lost, int64(t.LostInRange())},
			{"duplicates", got.Duplicates, int64(t.Extra)},
			{"reordered", got.Reordered, int64(t.Reordered)},
			{"stale", got.Stale, 0},
			{"restarts", got.Restarts, 0},
			{"malformed", got.Malformed, 0},
		} {
			if c.recv != c.net {
				return fmt.Errorf("%s: receiver %d, network ground truth %d (truth %+v)", c.name, c.recv, c.net, t)
			}
		}
	}
	// A perfect link: nothing lost, duplicated or reordered, everything delivered.
	if (cfg.Profile == netemZero) && len(cfg.Faults) == 0 {
		if got.Lost != 0 || got.Duplicates != 0 || got.Reordered != 0 || got.Late != 0 || got.Stale != 0 || got.Malformed != 0 || got.Unique != int64(t.Sent) {
			return fmt.Errorf("perfect link, yet %+v for %d sent", got, t.Sent)
		}
	}
	return nil
}

// checkSummaries checks the receiver's summaries against its totals: intervals tile the
// run and add up to the final counts, the final Lost being the intervals' declared
// losses less their late arrivals; and, with the oracle, each interval's counters are
// app's definitions applied to what arrived in it.
func checkSummaries(cfg Config, res *Result) error {
	ss := res.Summaries
	if len(ss) == 0 || !ss[len(ss)-1].Final {
		return fmt.Errorf("no final summary among %d", len(ss))
	}
	final := ss[len(ss)-1]
	var sum app.Counts
	at := simnet.Epoch
	for i, s := range ss[:len(ss)-1] {
		if !s.Start.Equal(at) || s.End.Before(s.Start) {
			return fmt.Errorf("summary %d covers [%v, %v), want it to start at %v", i, s.Start, s.End, at)
		}
		at = s.End
		c := s.Counts
		if c.Lost < 0 || c.Late > c.Reordered {
			return fmt.Errorf("summary %d: lost %d, late %d, reordered %d: want lost >= 0, late <= reordered", i, c.Lost, c.Late, c.Reordered)
		}
		sum.Received += c.Received
		sum.Unique += c.Unique
		sum.Lost += c.Lost
		sum.Duplicates += c.Duplicates
		sum.Reordered += c.Reordered
		sum.Late += c.Late
		sum.Stale += c.Stale
		sum.Malformed += c.Malformed
		sum.Restarts += c.Restarts
	}
	f := final.Counts
	if !at.Equal(simnet.Epoch.Add(res.End)) || !final.End.Equal(at) {
		return fmt.Errorf("the intervals end at %v, the run at %v", at, simnet.Epoch.Add(res.End))
	}
	if sum.Received != f.Received || sum.Unique != f.Unique || sum.Lost-sum.Late != f.Lost || sum.Duplicates != f.Duplicates ||
		sum.Reordered != f.Reordered || sum.Late != f.Late || sum.Stale != f.Stale || sum.Malformed != f.Malformed || sum.Restarts != f.Restarts {
		return fmt.Errorf("intervals add up to %+v (lost - late = %d), the totals are %+v", sum, sum.Lost-sum.Late, f)
	}
	if !res.ExpectValid {
		return nil
	}
	if len(res.ExpectIntervals) != len(ss)-1 {
		return fmt.Errorf("%d intervals, the oracle cut %d", len(ss)-1, len(res.ExpectIntervals))
	}
	for i, s := range ss[:len(ss)-1] {
		got := s.Counts
		got.Expected, got.Min, got.Max, got.Evicted = 0, 0, 0, 0
		if got != res.ExpectIntervals[i] {
			return fmt.Errorf("interval %d [%v, %v) differs from app's definitions:\n got  %+v\n want %+v",
				i+1, s.Start.Sub(simnet.Epoch), s.End.Sub(simnet.Epoch), got, res.ExpectIntervals[i])
		}
	}
	return nil
}

// runProp runs one generated scenario and applies every property, with got choosing
// which receiver's counts are judged (the app's, or a faulty one's in the mutant tests).
func runProp(t *rapid.T, got func(cfg Config, res *Result, reads []recorded) app.Counts) {
	cfg := scenarioGen().Draw(t, "scenario")
	var reads []recorded
	cfg.OnRead = func(r Read) { reads = append(reads, recorded{from: r.From, payload: string(r.Payload)}) }
	cfg.OnSummary = func(s app.Summary) {
		if !s.Final {
			reads = append(reads, recorded{cut: true})
		}
	}
	res, err := Run(cfg)
	if err != nil {
		t.Fatalf("run failed: %v\nreplay: %s", err, replay(cfg))
	}
	for _, check := range []func() error{
		func() error { return checkNetwork(cfg, res) },
		func() error { return checkSummaries(cfg, res) },
		func() error { return checkReceiver(cfg, res, got(cfg, res, reads)) },
	} {
		if err := check(); err != nil {
			t.Fatalf("%v\nreplay: %s", err, replay(cfg))
		}
	}
}

func appReceiver(_ Config, res *Result, _ []recorded) app.Counts { return res.Final }

// TestPropReceiverMatchesNetwork throws generated profiles, faults and timings at the
// app's sender and receiver and checks the receiver against the network's ground truth.
// A failure shrinks to a small scenario and prints the dist-example sim command that
// replays it (and rapid prints the -rapid.seed that regenerates it).
func TestPropReceiverMatchesNetwork(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) { runProp(t, appReceiver) })
}

// TestPropPerfectLinkGivesAllZeros: over a perfect link, whatever the seed and the
// timing, every datagram arrives once and in order, and every summary says so.
func TestPropPerfectLinkGivesAllZeros(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		iv := msGen(1, 50).Draw(t, "send interval")
		n := rapid.IntRange(1, maxDatagrams).Draw(t, "datagrams")
		cfg := Config{Seed: rapid.Uint64().Draw(t, "seed"), Duration: iv * time.Duration(n), SendInterval: iv,
			Interval: msGen(10, 5000).Draw(t, "interval"), Oracle: true}
		res, err := Run(cfg)
		if err != nil {
			t.Fatalf("run failed: %v\nreplay: %s", err, replay(cfg))
		}
		for _, check := range []func() error{
			func() error { return checkNetwork(cfg, res) },
			func() error { return checkSummaries(cfg, res) },
			func() error { return checkReceiver(cfg, res, res.Final) },
		} {
			if err := check(); err != nil {
				t.Fatalf("%v\nreplay: %s", err, replay(cfg))
			}
		}
		tr := res.Truth
		if tr.Sent != uint64(n) || tr.Copies != uint64(n) || tr.Undelivered+tr.Extra+tr.Reordered+tr.Corrupted != 0 {
			t.Fatalf("perfect link, yet the network did %+v to %d datagrams\nreplay: %s", tr, n, replay(cfg))
		}
		for _, s := range res.Summaries {
			c := s.Counts
			if c.Lost+c.Duplicates+c.Reordered+c.Late+c.Stale+c.Malformed+c.Restarts != 0 {
				t.Fatalf("perfect link, yet a summary counts %+v\nreplay: %s", c, replay(cfg))
			}
		}
	})
}

// TestPropReplayLineIsFaithful: the replay line a failure prints runs exactly the
// failing scenario: each flag's text reads back, as dist-example sim reads it, to the
// value the generator drew.
func TestPropReplayLineIsFaithful(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		cfg := scenarioGen().Draw(t, "scenario")
		line := replay(cfg)
		p, err := netem.Parse(cfg.Profile.String())
		if err != nil || !reflect.DeepEqual(p, cfg.Profile) {
			t.Fatalf("-netem %q reads back as %+v (%v), want %+v", cfg.Profile.String(), p, err, cfg.Profile)
		}
		fs, err := ParseFaults(FormatFaults(cfg.Faults))
		if err != nil || !reflect.DeepEqual(fs, cfg.Faults) {
			t.Fatalf("-faults %q reads back as %v (%v), want %v", FormatFaults(cfg.Faults), fs, err, cfg.Faults)
		}
		for _, d := range []time.Duration{cfg.Duration, cfg.SendInterval, cfg.Interval} {
			if back, err := time.ParseDuration(d.String()); err != nil || back != d {
				t.Fatalf("duration %v reads back as %v (%v)", d, back, err)
			}
			if !strings.Contains(line, " "+d.String()) {
				t.Fatalf("%v missing from %q", d, line)
			}
		}
		if strings.Count(line, "'") != 2*(1+min(len(cfg.Faults), 1)) {
			t.Fatalf("quoting: %q", line)
		}
	})
}
