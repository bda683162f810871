package netem

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
)

// MaxTableLen is the most entries a table may have (the kernel's NETEM_DIST_MAX; tc's
// MAX_DIST).
const MaxTableLen = 16384

// maxTableFile bounds what ReadTable reads: 16384 entries in tc's format take about
// 120 KB.
const maxTableFile = 1 << 20

// Table is a delay distribution table as tc sends it to the kernel: 1 to MaxTableLen
// int16 values in units of jitter/8192 (NETEM_DIST_SCALE); a delay draw picks one
// uniformly and adds value·jitter/8192 to the delay. The built-in normal, pareto and
// paretonormal tables are Tables, and so is one read from a .dist file by LoadTable
// or ReadTable. A Table is an immutable value: equal tables compare equal with ==, so
// Profiles holding them do too. The zero Table is no table (uniform jitter).
type Table struct {
	name   string
	source string
	vals   string // the values as little-endian int16 pairs
}

// NewTable makes a table named name (what "distribution NAME" says: letters, digits
// and '.', '_', '-', '+', not a built-in name) from values, with source describing where
// they came from (a file's path, for the report).
func NewTable(name, source string, values []int16) (Table, error) {
	if reason := checkTableName(name); reason != "" {
		return Table{}, fmt.Errorf("netem: table name %q: %s", name, reason)
	}
	if isBuiltinDist(name) {
		return Table{}, fmt.Errorf("netem: table name %q: the name of a built-in table", name)
	}
	if len(values) == 0 || len(values) > MaxTableLen {
		return Table{}, fmt.Errorf("netem: table %q has %d entries: want 1 to %d", name, len(values), MaxTableLen)
	}
	return Table{name: name, source: source, vals: packTable(values)}, nil
}

func packTable(values []int16) string {
	b := make([]byte, 2*len(values))
	for i, v := range values {
		b[2*i], b[2*i+1] = byte(uint16(v)), byte(uint16(v)>>8)
	}
	return string(b)
}

func (t Table) at(i int) int16 { return int16(uint16(t.vals[2*i]) | uint16(t.vals[2*i+1])<<8) }

// Name is the table's distribution name.
func (t Table) Name() string { return t.name }

// Source says where the values came from: a file's path, or that the table is built in.
func (t Table) Source() string { return t.source }

// Len is the number of entries.
func (t Table) Len() int { return len(t.vals) / 2 }

// Values returns a copy of the entries.
func (t Table) Values() []int16 {
	out := make([]int16, t.Len())
	for i := range out {
		out[i] = t.at(i)
	}
	return out
}

// String describes the table for a report: "experimental: 4096 entries from PATH".
func (t Table) String() string {
	if t.vals == "" {
		return "no table (uniform)"
	}
	if isBuiltinDist(t.name) {
		return fmt.Sprintf("%s: %d entries, %s", t.name, t.Len(), t.source)
	}
	src := t.source
	if src == "" {
		src = "(source not given)"
	}
	return fmt.Sprintf("%s: %d entries from %s", t.name, t.Len(), src)
}

// checkTableName returns why name cannot name a table file, or "". tc would take any
// name and read LIBDIR/tc/NAME.dist; refusing separators keeps a name (which the proxy's
// control API takes from the network) from reaching outside those directories.
func checkTableName(name string) string {
	if name == "" || len(name) > 64 {
		return "want 1 to 64 characters"
	}
	for i, c := range []byte(name) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_':
		case i > 0 && (c == '.' || c == '-' || c == '+'):
		default:
			return "a distribution name has letters, digits and '_' (and '.', '-', '+' after the first); it names NAME.dist in tc's library directory, it is not a path"
		}
	}
	return ""
}

// ReadTable reads a table in tc's .dist format, as iproute2's maketable writes it and
// tc reads it: whitespace-separated integers from −32768 to 32767, as C's strtol reads
// them (decimal, 0x hex, or octal with a leading 0), at most MaxTableLen; blank lines,
// and everything from a '#' to the end of its line, are ignored. Where tc would
// silently stop at junk in a line, or wrap a value into 16 bits, this is an error that
// names the line. name and source are as for NewTable; source also names the input in
// errors.
func ReadTable(name, source string, r io.Reader) (Table, error) {
	if reason := checkTableName(name); reason != "" {
		return Table{}, fmt.Errorf("netem: table name %q: %s", name, reason)
	}
	where := source
	if where == "" {
		where = name + ".dist"
	}
	var vals []int16
	sc := bufio.NewScanner(io.LimitReader(r, maxTableFile+1))
	sc.Buffer(make([]byte, 0, 4096), maxTableFile+1)
	read := 0
	for line := 1; sc.Scan(); line++ {
		read += len(sc.Bytes()) + 1
		if read > maxTableFile {
			return Table{}, fmt.Errorf("netem: %s: larger than %d bytes (a table has at most %d entries)", where, maxTableFile, MaxTableLen)
		}
		text, _, _ := strings.Cut(sc.Text(), "#")
		for _, tok := range strings.Fields(text) {
			v, ok := parseCInt16(tok)
			if !ok {
				return Table{}, fmt.Errorf("netem: %s:%d: %q: want whole numbers from -32768 to 32767 separated by spaces ('#' starts a comment)", where, line, tok)
			}
			if len(vals) == MaxTableLen {
				return Table{}, fmt.Errorf("netem: %s:%d: more than %d entries (the kernel's limit)", where, line, MaxTableLen)
			}
			vals = append(vals, v)
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return Table{}, fmt.Errorf("netem: %s: larger than %d bytes (a table has at most %d entries)", where, maxTableFile, MaxTableLen)
		}
		return Table{}, fmt.Errorf("netem: reading %s: %w", where, err)
	}
	if len(vals) == 0 {
		return Table{}, fmt.Errorf("netem: %s: no entries (a table has 1 to %d)", where, MaxTableLen)
	}
	return NewTable(name, source, vals)
}

// parseCInt16 reads one whole token as strtol(tok, &end, 0) does, within int16.
func parseCInt16(tok string) (int16, bool) {
	s := tok
	neg := false
	if s != "" && (s[0] == '-' || s[0] == '+') {
		neg, s = s[0] == '-', s[1:]
	}
	base := 10
	switch {
	case len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'):
		base, s = 16, s[2:]
	case len(s) > 1 && s[0] == '0':
		base, s = 8, s[1:]
	}
	if s == "" || strings.ContainsAny(s, "+-_") {
		return 0, false
	}
	u, err := strconv.ParseUint(s, base, 16)
	if err != nil {
		return 0, false
	}
	v := int64(u)
	if neg {
		v = -v
	}
	if v < -1<<15 || v >= 1<<15 {
		return 0, false
	}
	return int16(v), true
}

// TableDirs lists where LoadTable looks for NAME.dist, in order: $TC_LIB_DIR alone when
// it is set (as tc does), otherwise the tc directories distributions install iproute2's
// tables in: /usr/lib/<multiarch triplet>/tc (Debian, Ubuntu), /usr/lib/tc (Arch,
// Alpine), /usr/lib64/tc (Fedora, RHEL, SUSE).
func TableDirs() []string {
	if dir := os.Getenv("TC_LIB_DIR"); dir != "" {
		return []string{dir}
	}
	var dirs []string
	if t := multiarch[runtime.GOARCH]; t != "" {
		dirs = append(dirs, "/usr/lib/"+t+"/tc")
	}
	return append(dirs, "/usr/lib/tc", "/usr/lib64/tc")
}

// multiarch is Debian's multiarch triplet for each GOARCH it builds iproute2 for.
var multiarch = map[string]string{
	"amd64": "x86_64-linux-gnu", "arm64": "aarch64-linux-gnu", "386": "i386-linux-gnu",
	"arm": "arm-linux-gnueabihf", "ppc64le": "powerpc64le-linux-gnu", "s390x": "s390x-linux-gnu",
	"riscv64": "riscv64-linux-gnu", "mips64le": "mips64el-linux-gnuabi64", "loong64": "loongarch64-linux-gnu",
}

// LoadTable reads the table for a distribution that is not built in the way tc does:
// NAME.dist from the first of TableDirs that has it (for instance "experimental", which
// Debian's iproute2 installs, or a table made from measured delays with iproute2's
// maketable). The table's Source is the file's path. When no directory has the file,
// the error names every path tried and wraps fs.ErrNotExist. Built-in names are never
// looked up: normal, pareto and paretonormal are always the built-in tables (which are
// equal to iproute2's files).
func LoadTable(name string) (Table, error) {
	if reason := checkTableName(name); reason != "" {
		return Table{}, fmt.Errorf("netem: distribution %q: %s", name, reason)
	}
	if isBuiltinDist(name) {
		return Table{}, fmt.Errorf("netem: distribution %q is built in; LoadTable reads only others", name)
	}
	var tried []string
	for _, dir := range TableDirs() {
		path := filepath.Join(dir, name+".dist")
		f, err := os.Open(path)
		if errors.Is(err, fs.ErrNotExist) {
			tried = append(tried, path)
			continue
		}
		if err != nil {
			return Table{}, fmt.Errorf("netem: distribution %q: %w", name, err)
		}
		t, err := ReadTable(name, path, f)
		f.Close()
		return t, err
	}
	hint := "put " + name + ".dist (tc's format, as iproute2's maketable writes it) there, or set TC_LIB_DIR to its directory"
	if os.Getenv("TC_LIB_DIR") != "" {
		hint = "TC_LIB_DIR is set, so it is the only directory searched, as in tc"
	}
	return Table{}, fmt.Errorf("netem: no table for distribution %q: tried %s (%s; built in: %s): %w",
		name, strings.Join(tried, ", "), hint, distList, fs.ErrNotExist)
}

// A Loader returns the table for a distribution name that is not built in (ParseWith
// calls it for "distribution NAME" and "slot distribution NAME"). LoadTable is the one
// Parse uses.
type Loader func(name string) (Table, error)
