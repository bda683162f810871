package viewer

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
)

//go:embed page.html
var pageHTML string

//go:embed page.js
var pageJS string

//go:embed page.css
var pageCSS string

// Colours of the fates on the page, in Fate order (the browser test checks them).
var Colours = [NumFates]string{"#4c78a8", "#f58518", "#9467bd", "#d62728", "#8c564b", "#111111", "#17becf", "#aaaaaa"}

// CorruptColour marks a copy delivered with a bit flipped.
const CorruptColour = "#e377c2"

// Meta is what the page says about the run besides its packets.
type Meta struct {
	Title  string // e.g. "sim seed 5"
	App    string // stream or ping
	Seed   uint64
	Netem  string // the profile, as tc text
	Faults string // the fault schedule, as -faults takes it
	Replay string // the command that repeats the run
	Report string // the run's text report
	Limit  int    // netem's queue limit
	// Receiver: the receiver's summaries, one per interval (stream only).
	Receiver []ReceiverInterval
}

// ReceiverInterval is one receiver summary's counts.
type ReceiverInterval struct {
	Start, End                        time.Duration
	Unique, Lost, Duplicates, Reorder int64
}

type pageData struct {
	Meta     Meta       `json:"meta"`
	Fates    []string   `json:"fates"`
	Colours  []string   `json:"colours"`
	Corrupt  string     `json:"corrupt"`
	Hosts    []string   `json:"hosts"`
	End      int64      `json:"end"`
	Width    int64      `json:"width"`
	Every    int64      `json:"every"`
	MaxCopy  int        `json:"max_copies"`
	Links    []linkData `json:"links"`
	Faults   [][2]any   `json:"faults"`
	Receiver [][6]int64 `json:"receiver"`
}

type linkData struct {
	Src      string      `json:"src"`
	Dst      string      `json:"dst"`
	Port     int         `json:"port"`
	Step     int64       `json:"step"`
	Kept     int         `json:"kept"`
	Dropped  int         `json:"dropped"`
	Copies   string      `json:"copies"`
	Counts   [][]uint32  `json:"counts"`
	QueueMax []uint32    `json:"qmax"`
	Totals   []uint64    `json:"totals"`
	Corrupt  int         `json:"corrupt"`
	Net      [][5]uint64 `json:"net"` // per interval: index, delivered, undelivered, extra, reordered
	DGs      int         `json:"datagrams"`
}

// Write writes the page: one HTML file with its data, script and style inline. The same
// collector and meta give the same bytes.
func Write(w io.Writer, m Meta, c *Collector) error {
	d := pageData{Meta: m, Corrupt: CorruptColour, Hosts: c.Hosts, End: int64(c.End), Width: int64(c.Width),
		Every: int64(c.Every), MaxCopy: maxCopies, Faults: [][2]any{}, Receiver: [][6]int64{}}
	for f := Fate(0); f < NumFates; f++ {
		d.Fates = append(d.Fates, f.String())
		d.Colours = append(d.Colours, Colours[f])
	}
	if d.Hosts == nil {
		d.Hosts = []string{}
	}
	for _, f := range c.Faults {
		d.Faults = append(d.Faults, [2]any{int64(f.At), f.Detail})
	}
	for _, r := range m.Receiver {
		d.Receiver = append(d.Receiver, [6]int64{int64(r.Start), int64(r.End), r.Unique, r.Lost, r.Duplicates, r.Reorder})
	}
	d.Meta.Receiver = nil
	d.Links = []linkData{}
	for _, l := range c.Links {
		d.Links = append(d.Links, encodeLink(l))
	}
	var js bytes.Buffer
	enc := json.NewEncoder(&js) // escapes <, > and &: safe inside <script>
	if err := enc.Encode(d); err != nil {
		return fmt.Errorf("viewer: %w", err)
	}
	page := strings.NewReplacer("{{TITLE}}", htmlEscape(m.Title), "{{CSS}}", pageCSS, "{{JS}}", pageJS,
		"{{DATA}}", strings.TrimSpace(js.String())).Replace(pageHTML)
	_, err := io.WriteString(w, page)
	return err
}

func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(s)
}

func encodeLink(l *Link) linkData {
	cps := slices.Clone(l.Copies)
	slices.SortStableFunc(cps, func(a, b Copy) int {
		if a.DG != b.DG {
			return int(a.DG - b.DG)
		}
		return int(a.Seq - b.Seq)
	})
	ld := linkData{Src: l.Src, Dst: l.Dst, Kept: len(cps), Dropped: l.Dropped, QueueMax: l.QueueMax,
		Corrupt: l.Corrupted(), DGs: l.Datagrams()}
	if ld.QueueMax == nil {
		ld.QueueMax = []uint32{}
	}
	ld.Port = int(l.port)
	ld.Step = step(cps)
	ld.Copies = encodeCopies(cps, ld.Step)
	for _, b := range l.Counts {
		ld.Counts = append(ld.Counts, b[:])
	}
	if ld.Counts == nil {
		ld.Counts = [][]uint32{}
	}
	t := l.Totals()
	ld.Totals = t[:]
	ld.Net = [][5]uint64{}
	for i, iv := range l.Intervals {
		ld.Net = append(ld.Net, [5]uint64{uint64(i), iv.Delivered, iv.Undelivered, iv.Extra, iv.Reordered})
	}
	return ld
}

// step is the commonest gap between datagrams, which the encoding leaves out.
func step(cps []Copy) int64 {
	count := map[int64]int{}
	best, bestN := int64(0), 0
	for i := 1; i < len(cps) && i < 10000; i++ {
		d := int64(cps[i].Sent - cps[i-1].Sent)
		if d <= 0 {
			continue
		}
		count[d]++
		if n := count[d]; n > bestN || (n == bestN && d < best) {
			best, bestN = d, n
		}
	}
	return best
}

// encodeCopies writes the copies as records separated by ';', each
// "gap,code,due,late,len" in base 36 with trailing empty fields left out: gap is the
// send time after the previous copy's (empty: the link's step), code the fate digit,
// the send letter, the flags digit (1 dup, 2 corrupt, 4 reorder; left out if 0) and
// the arrival letter (left out if none), due the time from send to due, late from due
// to arrival, len the payload's size (empty: the previous copy's).
func encodeCopies(cps []Copy, step int64) string {
	var b []byte
	var prevSent int64
	prevLen := -1
	for i := range cps {
		cp := &cps[i]
		if i > 0 {
			b = append(b, ';')
		}
		fields := make([][]byte, 5)
		if gap := int64(cp.Sent) - prevSent; gap != step || i == 0 {
			fields[0] = strconv.AppendInt(nil, gap, 36)
		}
		code := []byte{byte('0' + cp.Fate), cp.Send}
		if fl := flags(cp); fl != 0 {
			code = append(code, byte('0'+fl))
		}
		if cp.Arrive != arrNone {
			code = append(code, cp.Arrive)
		}
		fields[1] = code
		if cp.Send == sendQueued {
			if d := int64(cp.Due - cp.Sent); d != 0 {
				fields[2] = strconv.AppendInt(nil, d, 36)
			}
			if cp.Arrive != arrNone {
				if d := int64(cp.Arrived - cp.Due); d != 0 {
					fields[3] = strconv.AppendInt(nil, d, 36)
				}
			}
		}
		if cp.Len != prevLen {
			fields[4] = strconv.AppendInt(nil, int64(cp.Len), 36)
		}
		n := len(fields)
		for n > 0 && len(fields[n-1]) == 0 {
			n--
		}
		for j := 0; j < n; j++ {
			if j > 0 {
				b = append(b, ',')
			}
			b = append(b, fields[j]...)
		}
		prevSent, prevLen = int64(cp.Sent), cp.Len
	}
	return string(b)
}

func flags(cp *Copy) int {
	f := 0
	if cp.Dup {
		f |= 1
	}
	if cp.Corrupt {
		f |= 2
	}
	if cp.Reorder {
		f |= 4
	}
	return f
}
