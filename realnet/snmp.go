package realnet

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// snmpPath and snmp6Path are Linux's system-wide protocol counter files, IPv4 and IPv6.
const (
	snmpPath  = "/proc/net/snmp"
	snmp6Path = "/proc/net/snmp6"
)

// UDPCounters are the kernel's system-wide UDP counters (the "Udp:" lines of
// /proc/net/snmp). They count every UDP socket on the host, not one conn, so compare
// differences taken around a run on an otherwise quiet host.
type UDPCounters struct {
	InDatagrams  uint64 // datagrams delivered to sockets
	NoPorts      uint64 // datagrams to a port nobody listened on
	InErrors     uint64 // datagrams that could not be delivered (includes RcvbufErrors)
	OutDatagrams uint64 // datagrams sent
	RcvbufErrors uint64 // dropped because a socket's receive buffer was full
	SndbufErrors uint64 // dropped because a send buffer was full
}

// ReadUDPCounters reads the UDP counters from /proc/net/snmp. It fails on systems without
// that file (anything but Linux) and when the file's Udp lines are not as expected.
func ReadUDPCounters() (UDPCounters, error) {
	f, err := os.Open(snmpPath)
	if err != nil {
		return UDPCounters{}, fmt.Errorf("realnet: UDP counters: %w", err)
	}
	defer f.Close()
	c, err := parseUDPCounters(f)
	if err != nil {
		return UDPCounters{}, fmt.Errorf("realnet: UDP counters from %s: %w", snmpPath, err)
	}
	return c, nil
}

// ReadUDP6Counters reads the IPv6 UDP counters (the Udp6 lines of /proc/net/snmp6).
// Linux counts datagrams on IPv6 sockets there, except IPv4 datagrams delivered to a
// dual-stack socket, which are counted by ReadUDPCounters. It fails where that file
// does not exist (other systems, or IPv6 disabled).
func ReadUDP6Counters() (UDPCounters, error) {
	f, err := os.Open(snmp6Path)
	if err != nil {
		return UDPCounters{}, fmt.Errorf("realnet: UDP6 counters: %w", err)
	}
	defer f.Close()
	c, err := parseUDP6Counters(f)
	if err != nil {
		return UDPCounters{}, fmt.Errorf("realnet: UDP6 counters from %s: %w", snmp6Path, err)
	}
	return c, nil
}

// Add returns the sum of c and o, e.g. the IPv4 and IPv6 counters of a host.
func (c UDPCounters) Add(o UDPCounters) UDPCounters {
	return UDPCounters{
		InDatagrams:  c.InDatagrams + o.InDatagrams,
		NoPorts:      c.NoPorts + o.NoPorts,
		InErrors:     c.InErrors + o.InErrors,
		OutDatagrams: c.OutDatagrams + o.OutDatagrams,
		RcvbufErrors: c.RcvbufErrors + o.RcvbufErrors,
		SndbufErrors: c.SndbufErrors + o.SndbufErrors,
	}
}

// Sub returns c - o, counter by counter: the change between two readings o and c.
func (c UDPCounters) Sub(o UDPCounters) UDPCounters {
	return UDPCounters{
		InDatagrams:  c.InDatagrams - o.InDatagrams,
		NoPorts:      c.NoPorts - o.NoPorts,
		InErrors:     c.InErrors - o.InErrors,
		OutDatagrams: c.OutDatagrams - o.OutDatagrams,
		RcvbufErrors: c.RcvbufErrors - o.RcvbufErrors,
		SndbufErrors: c.SndbufErrors - o.SndbufErrors,
	}
}

// maxSNMPLine bounds a line so a malformed file cannot make the parser buffer without
// limit; real lines are a few hundred bytes.
const maxSNMPLine = 64 << 10

// parseUDPCounters reads the format "Udp: Name1 Name2 ..." followed by "Udp: v1 v2 ...".
// Fields are found by name, not position, because kernels have appended columns over the
// years (InCsumErrors, IgnoredMulti, MemErrors).
func parseUDPCounters(r io.Reader) (UDPCounters, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxSNMPLine)
	var header []string
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 || fields[0] != "Udp:" {
			continue
		}
		if header == nil {
			header = fields[1:]
			continue
		}
		return udpCountersFrom(header, fields[1:])
	}
	if err := sc.Err(); err != nil {
		return UDPCounters{}, err
	}
	if header == nil {
		return UDPCounters{}, errors.New(`no "Udp:" lines`)
	}
	return UDPCounters{}, errors.New(`"Udp:" header line has no value line after it`)
}

// parseUDP6Counters reads the snmp6 format, one "Udp6Name value" pair per line.
func parseUDP6Counters(r io.Reader) (UDPCounters, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxSNMPLine)
	var names, values []string
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) != 2 || !strings.HasPrefix(fields[0], "Udp6") {
			continue
		}
		names = append(names, strings.TrimPrefix(fields[0], "Udp6"))
		values = append(values, fields[1])
	}
	if err := sc.Err(); err != nil {
		return UDPCounters{}, err
	}
	if names == nil {
		return UDPCounters{}, errors.New(`no "Udp6" lines`)
	}
	return udpCountersFrom(names, values)
}

func udpCountersFrom(names, values []string) (UDPCounters, error) {
	if len(names) != len(values) {
		return UDPCounters{}, fmt.Errorf(`"Udp:" lines have %d names but %d values`, len(names), len(values))
	}
	var c UDPCounters
	want := map[string]*uint64{
		"InDatagrams":  &c.InDatagrams,
		"NoPorts":      &c.NoPorts,
		"InErrors":     &c.InErrors,
		"OutDatagrams": &c.OutDatagrams,
		"RcvbufErrors": &c.RcvbufErrors,
		"SndbufErrors": &c.SndbufErrors,
	}
	found := 0
	for i, name := range names {
		dst, ok := want[name]
		if !ok {
			continue
		}
		v, err := strconv.ParseUint(values[i], 10, 64)
		if err != nil {
			return UDPCounters{}, fmt.Errorf(`"Udp:" counter %s: value %q is not an unsigned integer`, name, values[i])
		}
		*dst = v
		found++
		delete(want, name)
	}
	if len(want) > 0 {
		missing := make([]string, 0, len(want))
		for _, name := range []string{"InDatagrams", "NoPorts", "InErrors", "OutDatagrams", "RcvbufErrors", "SndbufErrors"} {
			if _, ok := want[name]; ok {
				missing = append(missing, name)
			}
		}
		return UDPCounters{}, fmt.Errorf(`"Udp:" header lacks %s`, strings.Join(missing, ", "))
	}
	return c, nil
}
