package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
)

// sweepRow is one run of a sweep. The app tag says which apps' rows have the field (CSV
// columns and JSON keys, in this order); the json tag names it.
type sweepRow struct {
	Type    string `json:"type"`
	Run     int    `json:"run" app:"stream,ping"`
	Profile int    `json:"profile" app:"stream,ping"`
	Netem   string `json:"netem" app:"stream,ping"`
	Seed    uint64 `json:"seed" app:"stream,ping"`

	// The receiver's totals (stream), or the pinger's: sent probes, replies read, unique
	// replies, probes without a reply...
	Sent       int64 `json:"sent" app:"stream,ping"`
	Received   int64 `json:"received" app:"stream,ping"`
	Unique     int64 `json:"unique" app:"stream,ping"`
	Lost       int64 `json:"lost" app:"stream,ping"`
	Duplicates int64 `json:"duplicates" app:"stream,ping"`
	Reordered  int64 `json:"reordered" app:"stream,ping"`
	Late       int64 `json:"late" app:"stream"`
	Stale      int64 `json:"stale" app:"stream"`
	Malformed  int64 `json:"malformed" app:"stream,ping"`
	Restarts   int64 `json:"restarts" app:"stream"`

	// The network's ground truth (scenario.Truth); with ping, the replies the back link
	// delivered and what both links lost.
	NetCopies      uint64 `json:"net_copies" app:"stream,ping"`
	NetDelivered   uint64 `json:"net_delivered" app:"stream"`
	NetLost        uint64 `json:"net_lost" app:"stream,ping"`
	NetLostInRange uint64 `json:"net_lost_in_range" app:"stream"`
	NetExtra       uint64 `json:"net_extra" app:"stream"`
	NetReordered   uint64 `json:"net_reordered" app:"stream"`
	NetCorrupted   uint64 `json:"net_corrupted" app:"stream"`

	RTTMin  float64 `json:"rtt_min_ms" app:"ping"`
	RTTAvg  float64 `json:"rtt_avg_ms" app:"ping"`
	RTTMax  float64 `json:"rtt_max_ms" app:"ping"`
	RTTMdev float64 `json:"rtt_mdev_ms" app:"ping"`
	RTTP50  float64 `json:"rtt_p50_ms" app:"ping"`
	RTTP90  float64 `json:"rtt_p90_ms" app:"ping"`
	RTTP99  float64 `json:"rtt_p99_ms" app:"ping"`

	Agree       bool   `json:"agree" app:"stream,ping"`
	Why         string `json:"why" app:"stream,ping"`
	Fingerprint string `json:"fingerprint" app:"stream,ping"`
	Events      int    `json:"events" app:"stream,ping"`
	Error       string `json:"error" app:"stream,ping"`
	Replay      string `json:"replay" app:"stream,ping"`
}

// rowColumn is one field of sweepRow that an app's rows carry.
type rowColumn struct {
	name  string
	index int // in sweepRow
}

// rowColumns lists app's columns, in sweepRow's order.
func rowColumns(app string) []rowColumn {
	t := reflect.TypeFor[sweepRow]()
	var cols []rowColumn
	for i := range t.NumField() {
		f := t.Field(i)
		apps := f.Tag.Get("app")
		if apps == "" || !strings.Contains(","+apps+",", ","+app+",") {
			continue
		}
		cols = append(cols, rowColumn{name: f.Tag.Get("json"), index: i})
	}
	return cols
}

// fails reports whether the row is listed: it failed or its receiver disagrees.
func (r *sweepRow) fails() bool { return r.Error != "" || !r.Agree }

// appendJSON appends the row as a JSON line with app's columns.
func (r *sweepRow) appendJSON(b []byte, cols []rowColumn) []byte {
	v := reflect.ValueOf(r).Elem()
	b = append(b, `{"type":"run"`...)
	for _, c := range cols {
		b = append(b, ',', '"')
		b = append(b, c.name...)
		b = append(b, '"', ':')
		f := v.Field(c.index)
		if f.Kind() == reflect.String {
			b = appendJSONString(b, f.String())
		} else {
			b = append(b, formatField(f)...)
		}
	}
	return append(b, '}', '\n')
}

// appendCSV appends the row as a CSV line with app's columns.
func (r *sweepRow) appendCSV(b []byte, cols []rowColumn) []byte {
	v := reflect.ValueOf(r).Elem()
	for i, c := range cols {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendCSVField(b, formatField(v.Field(c.index)))
	}
	return append(b, '\n')
}

// formatField formats a row field; floats in the shortest form that reads back exactly.
func formatField(f reflect.Value) string {
	switch f.Kind() {
	case reflect.String:
		return f.String()
	case reflect.Int, reflect.Int64:
		return strconv.FormatInt(f.Int(), 10)
	case reflect.Uint64:
		return strconv.FormatUint(f.Uint(), 10)
	case reflect.Float64:
		return strconv.FormatFloat(f.Float(), 'g', -1, 64)
	case reflect.Bool:
		return strconv.FormatBool(f.Bool())
	}
	panic("sweepRow: field of kind " + f.Kind().String())
}

// setField parses s into a row field (the inverse of formatField).
func setField(f reflect.Value, s string) error {
	switch f.Kind() {
	case reflect.String:
		f.SetString(s)
	case reflect.Int, reflect.Int64:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return err
		}
		f.SetInt(n)
	case reflect.Uint64:
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return err
		}
		f.SetUint(n)
	case reflect.Float64:
		x, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return fmt.Errorf("%q is not a finite number", s)
		}
		f.SetFloat(x)
	case reflect.Bool:
		x, err := strconv.ParseBool(s)
		if err != nil {
			return err
		}
		f.SetBool(x)
	}
	return nil
}

// parseCSVRow reads a row from its CSV fields, named by cols.
func parseCSVRow(fields []string, cols []rowColumn) (sweepRow, error) {
	r := sweepRow{Type: "run"}
	if len(fields) != len(cols) {
		return r, fmt.Errorf("%d fields, want %d", len(fields), len(cols))
	}
	v := reflect.ValueOf(&r).Elem()
	for i, c := range cols {
		if err := setField(v.Field(c.index), fields[i]); err != nil {
			return r, fmt.Errorf("column %s: %v", c.name, err)
		}
	}
	return r, nil
}

// appendCSVField quotes s if CSV needs it (RFC 4180).
func appendCSVField(b []byte, s string) []byte {
	if !strings.ContainsAny(s, ",\"\r\n") && !strings.HasPrefix(s, " ") && !strings.HasPrefix(s, "#") {
		return append(b, s...)
	}
	b = append(b, '"')
	b = append(b, strings.ReplaceAll(s, `"`, `""`)...)
	return append(b, '"')
}

// appendJSONString appends s as a JSON string, leaving <, > and & readable.
func appendJSONString(b []byte, s string) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return append(b, bytes.TrimRight(buf.Bytes(), "\n")...)
}
