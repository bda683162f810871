package proxy

import (
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// DirectionStats are one direction's counters: the link's (as simnet reports its links)
// plus what happened at the sockets around it. Conservation, as for netem.Stats:
// Sent + Duplicated = Delivered + Lost + LimitDrops + Flushed + InFlight, and
// Received = Sent + Rejected + ByteLimitDrops.
type DirectionStats struct {
	Received       uint64 `json:"received"`         // datagrams read from the socket
	Rejected       uint64 `json:"rejected"`         // read but not relayed: session table full (forward only)
	ByteLimitDrops uint64 `json:"byte_limit_drops"` // read but not relayed: the queue held Config.QueueBytes already

	Sent       uint64 `json:"sent"`        // given to the link
	Delivered  uint64 `json:"delivered"`   // copies released by the link and written to the socket
	Lost       uint64 `json:"lost"`        // copies removed by the loss model
	Duplicated uint64 `json:"duplicated"`  // clones made by duplicate
	Corrupted  uint64 `json:"corrupted"`   // copies with one bit flipped
	Reordered  uint64 `json:"reordered"`   // copies sent at once by reorder
	LimitDrops uint64 `json:"limit_drops"` // copies tail-dropped at the profile's limit
	Flushed    uint64 `json:"flushed"`     // copies dropped from the queue by ResetProfile (PUT ?flush=1)
	InFlight   uint64 `json:"in_flight"`   // copies in the link or waiting to be written

	QueuedBytes uint64 `json:"queued_bytes"` // buffer bytes the copies in flight hold (at most Config.QueueBytes and one datagram)

	WriteErrors uint64 `json:"write_errors"` // delivered copies the socket refused (counted in Delivered too)
	ReadErrors  uint64 `json:"read_errors"`  // socket read errors (e.g. ICMP unreachable)
	BytesOut    uint64 `json:"bytes_out"`    // payload bytes of the delivered copies

	// How well the host honoured the due times: how long after its due time each
	// delivered copy's write started, in microseconds (timer and scheduling latency).
	// Percentiles come from a histogram with 1/16 resolution and err on the late side.
	LateMeanUS float64 `json:"late_mean_us"`
	LateP50US  float64 `json:"late_p50_us"`
	LateP90US  float64 `json:"late_p90_us"`
	LateP99US  float64 `json:"late_p99_us"`
	LateMaxUS  float64 `json:"late_max_us"`
}

// SessionStats describe the client table. Every snapshot, also the one taken after
// Close, has Opened = Active + Expired: a session is counted opened and active together,
// and leaves Active only by expiring. After Close, Active is the sessions that were open
// when the proxy closed (their sockets are closed with it).
type SessionStats struct {
	Active   int    `json:"active"`   // sessions open now (after Close: open at the close)
	Opened   uint64 `json:"opened"`   // sessions ever opened
	Expired  uint64 `json:"expired"`  // sessions closed for being idle
	Rejected uint64 `json:"rejected"` // datagrams from new clients dropped: table full or no socket
}

// Counters is a snapshot of a proxy's counters.
type Counters struct {
	Elapsed  time.Duration  `json:"-"` // since the proxy started
	Forward  DirectionStats `json:"forward"`
	Reverse  DirectionStats `json:"reverse"`
	Sessions SessionStats   `json:"sessions"`
}

// Direction returns the counters of direction d.
func (c Counters) Direction(d Direction) DirectionStats {
	if d == Reverse {
		return c.Reverse
	}
	return c.Forward
}

// MarshalJSON writes elapsed as seconds beside the counters.
func (c Counters) MarshalJSON() ([]byte, error) {
	type plain Counters // no MarshalJSON: avoids recursion
	return json.Marshal(struct {
		ElapsedSec float64 `json:"elapsed_s"`
		plain
	}{c.Elapsed.Seconds(), plain(c)})
}

// Report formats.
const (
	FormatText = "text"
	FormatJSON = "json"
)

// WriteReport writes c as one report: in text, one line per direction and one for the
// sessions; in JSON, one object on one line. event says what prompted it ("interval",
// "signal", "final"; may be empty).
func WriteReport(w io.Writer, format, event string, c Counters) error {
	switch format {
	case FormatJSON:
		type plain Counters
		b, err := json.Marshal(struct {
			Event      string  `json:"event,omitempty"`
			ElapsedSec float64 `json:"elapsed_s"`
			plain
		}{event, c.Elapsed.Seconds(), plain(c)})
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "%s\n", b)
		return err
	case FormatText:
		prefix := fmt.Sprintf("proxy %8.3fs", c.Elapsed.Seconds())
		if event != "" {
			prefix += " " + event
		}
		for _, d := range Directions {
			s := c.Direction(d)
			if _, err := fmt.Fprintf(w, "%s %-7s received=%d rejected=%d byte_limit_drops=%d sent=%d delivered=%d lost=%d duplicated=%d corrupted=%d reordered=%d limit_drops=%d flushed=%d in_flight=%d queued_bytes=%d write_errors=%d read_errors=%d bytes_out=%d late_mean_us=%.1f late_p50_us=%.1f late_p90_us=%.1f late_p99_us=%.1f late_max_us=%.1f\n",
				prefix, d, s.Received, s.Rejected, s.ByteLimitDrops, s.Sent, s.Delivered, s.Lost, s.Duplicated, s.Corrupted,
				s.Reordered, s.LimitDrops, s.Flushed, s.InFlight, s.QueuedBytes, s.WriteErrors, s.ReadErrors, s.BytesOut,
				s.LateMeanUS, s.LateP50US, s.LateP90US, s.LateP99US, s.LateMaxUS); err != nil {
				return err
			}
		}
		_, err := fmt.Fprintf(w, "%s %-7s active=%d opened=%d expired=%d rejected=%d\n",
			prefix, "session", c.Sessions.Active, c.Sessions.Opened, c.Sessions.Expired, c.Sessions.Rejected)
		return err
	}
	return fmt.Errorf("proxy: report format %q; accepted: %s, %s", format, FormatText, FormatJSON)
}
