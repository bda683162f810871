package app

import (
	"encoding/json"
	"strconv"
	"time"
)

// Summary is what a Receiver reports at the end of each interval and once at the end of
// the run (Final).
type Summary struct {
	Start, End time.Time // the interval [Start, End); for Final, the whole run
	Counts     Counts    // this interval's counts; for Final, the run's totals
	Totals     Counts    // running totals at End (Lost: declared by then, less what came late)
	Final      bool
	// StreamCount is how many sources (streams) the receiver has heard so far; the
	// summary's counts cover them all. Streams, on the Final summary when there was more
	// than one, is each one's share of the totals (see Accounting.BySource).
	StreamCount int
	Streams     []SourceCounts
}

// String renders the summary as one line beginning with the original's
// "Received R/E packets in range [min-max]", then the counters (stale and evicted only
// when not zero) and, for an interval, the running totals.
func (s Summary) String() string {
	b := make([]byte, 0, 256)
	if s.Final {
		b = append(b, "Total: "...)
	} else {
		b = s.Start.AppendFormat(b, "15:04:05.000 ")
	}
	b = appendCounts(b, s.Counts)
	if s.StreamCount > 1 {
		b = append(b, ", from "...)
		b = strconv.AppendInt(b, int64(s.StreamCount), 10)
		b = append(b, " streams"...)
	}
	if s.Final {
		b = append(b, " in "...)
		b = append(b, s.End.Sub(s.Start).Round(time.Millisecond).String()...)
		for _, st := range s.Streams {
			b = append(b, "\n  stream "...)
			b = append(b, st.Source.String()...)
			b = append(b, ": "...)
			b = appendCounts(b, st.Counts)
		}
	} else {
		b = append(b, " | total: received "...)
		b = strconv.AppendInt(b, s.Totals.Received, 10)
		b = append(b, ", unique "...)
		b = strconv.AppendInt(b, s.Totals.Unique, 10)
		b = append(b, ", lost "...)
		b = strconv.AppendInt(b, s.Totals.Lost, 10)
	}
	return string(b)
}

func appendCounts(b []byte, c Counts) []byte {
	b = append(b, "Received "...)
	b = strconv.AppendInt(b, c.Received, 10)
	b = append(b, '/')
	b = strconv.AppendInt(b, c.Expected, 10)
	b = append(b, " packets in range ["...)
	if c.Unique > 0 {
		b = strconv.AppendInt(b, c.Min, 10)
		b = append(b, '-')
		b = strconv.AppendInt(b, c.Max, 10)
	} else {
		b = append(b, '-')
	}
	b = append(b, ']')
	for _, f := range [...]struct {
		name string
		v    int64
	}{
		{"unique", c.Unique}, {"lost", c.Lost}, {"duplicates", c.Duplicates},
		{"reordered", c.Reordered}, {"late", c.Late}, {"stale", c.Stale}, {"malformed", c.Malformed},
		{"restarts", c.Restarts}, {"evicted", c.Evicted},
	} {
		if (f.name == "stale" || f.name == "evicted") && f.v == 0 {
			continue // rare; shown only when it happened
		}
		b = append(b, ", "...)
		b = append(b, f.name...)
		b = append(b, ' ')
		b = strconv.AppendInt(b, f.v, 10)
	}
	return b
}

// summaryJSON is the JSON shape: the counts at the top level, so that a reader of the
// last line (the final totals) finds received, unique, lost... directly.
type summaryJSON struct {
	Type  string    `json:"type"` // "interval" or "total"
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	Counts
	Totals *Counts `json:"totals,omitempty"` // running totals, on interval lines
	// With more than one stream: how many, and on the total line each one's share.
	StreamCount int            `json:"stream_count,omitempty"`
	Streams     []SourceCounts `json:"streams,omitempty"`
}

// MarshalJSON renders one object: type ("interval" or "total"), start, end, the keys of
// Counts (received, expected, unique, lost, duplicates, reordered, late, stale,
// malformed, restarts, evicted, min, max) and, for intervals, the running totals under "totals".
func (s Summary) MarshalJSON() ([]byte, error) {
	j := summaryJSON{Type: "interval", Start: s.Start, End: s.End, Counts: s.Counts, Streams: s.Streams}
	if s.StreamCount > 1 {
		j.StreamCount = s.StreamCount
	}
	if s.Final {
		j.Type = "total"
	} else {
		t := s.Totals
		j.Totals = &t
	}
	return json.Marshal(j)
}
