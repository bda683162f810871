package netem

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// iproute2File finds NAME.dist where Debian, Arch or Fedora install iproute2's tables;
// without it the test skips (CI installs iproute2, and fails instead).
func iproute2File(t *testing.T, name string) string {
	t.Helper()
	t.Setenv("TC_LIB_DIR", "")
	dirs := TableDirs()
	for _, dir := range dirs {
		path := filepath.Join(dir, name+".dist")
		if _, err := os.Stat(path); err == nil {
			return path
		}
	}
	msg := "iproute2's " + name + ".dist is not installed in any of " + strings.Join(dirs, ", ") +
		" (apt-get install iproute2 to compare the tables with it)"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip("SKIPPED: " + msg)
	return ""
}

func readTableFile(t *testing.T, name, path string) Table {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	tab, err := ReadTable(name, path, f)
	require.NoError(t, err)
	return tab
}

// The built-in tables equal, entry for entry, the .dist files iproute2 installs.
func TestBuiltinTablesBitExactWithIproute2(t *testing.T) {
	for _, d := range []Dist{DistNormal, DistPareto, DistParetoNormal} {
		t.Run(d.String(), func(t *testing.T) {
			path := iproute2File(t, d.String())
			want := readTableFile(t, "iproute2_"+d.String(), path).Values()
			got := tableFor(d, Table{}).Values()
			require.Len(t, got, len(want))
			differ := 0
			for k := range want {
				if got[k] != want[k] {
					if differ < 5 {
						t.Errorf("%s entry %d: built in %d, %s %d", d, k, got[k], path, want[k])
					}
					differ++
				}
			}
			assert.Zero(t, differ, "%s: %d of %d entries differ from %s", d, differ, len(want), path)
		})
	}
}

// A distribution that is not built in is read from tc's library directory as tc reads
// it, and the profile says where it came from.
func TestLoadTableFromTCLibDir(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("TC_LIB_DIR", dir)
	path := filepath.Join(dir, "mine.dist")
	require.NoError(t, os.WriteFile(path, []byte("# made by hand\n-8192 0\n\n 8192 # one sigma\n"), 0o644))

	p, err := Parse("delay 10ms 5ms distribution mine slot distribution mine 1ms 1ms packets 100")
	require.NoError(t, err)
	assert.Equal(t, DistTable, p.Dist)
	assert.Equal(t, []int16{-8192, 0, 8192}, p.Table.Values())
	assert.Equal(t, "mine", p.Table.Name())
	assert.Equal(t, path, p.Table.Source())
	assert.Equal(t, p.Table, p.Slot.Table)
	assert.Equal(t, "delay 10ms 5ms distribution mine slot distribution mine 1ms 1ms packets 100", p.String())
	q, err := Parse(p.String())
	require.NoError(t, err)
	assert.Equal(t, p, q, "tables compare by value")
	require.NoError(t, p.Validate())
	assert.Equal(t, []string{
		"distribution mine: 3 entries from " + path,
		"slot distribution mine: 3 entries from " + path,
	}, p.TableSources())

	// Each delay is one of the table's three quantiles, and each is drawn.
	p, err = Parse("delay 10ms 5ms distribution mine")
	require.NoError(t, err)
	l := NewLink[int](p, 1)
	seen := map[time.Duration]int{}
	for i := range 300 {
		l.Enqueue(0, Packet[int]{Meta: i})
	}
	for l.Len() > 0 {
		pk, ok := l.Dequeue(time.Second)
		require.True(t, ok)
		seen[pk.Due]++
	}
	assert.Len(t, seen, 3)
	for _, d := range []time.Duration{5 * time.Millisecond, 10 * time.Millisecond, 15 * time.Millisecond} {
		assert.Greater(t, seen[d], 50, "delay %v", d)
	}

	// Not found: the error names every path tried and wraps fs.ErrNotExist.
	_, err = Parse("delay 10ms 5ms distribution nosuch")
	var pe *ParseError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "nosuch", pe.Token)
	assert.Contains(t, err.Error(), filepath.Join(dir, "nosuch.dist"))
	assert.Contains(t, err.Error(), "TC_LIB_DIR is set")
	assert.True(t, errors.Is(err, fs.ErrNotExist))

	t.Setenv("TC_LIB_DIR", "")
	_, err = LoadTable("nosuch-table")
	require.Error(t, err)
	for _, d := range TableDirs() {
		assert.Contains(t, err.Error(), filepath.Join(d, "nosuch-table.dist"))
	}
	assert.Contains(t, TableDirs(), "/usr/lib/tc")
	assert.Contains(t, TableDirs(), "/usr/lib64/tc")
}

// Debian's iproute2 installs experimental.dist, which "distribution experimental" reads.
func TestLoadExperimental(t *testing.T) {
	path := iproute2File(t, "experimental")
	p, err := Parse("delay 50ms 10ms distribution experimental")
	require.NoError(t, err)
	assert.Equal(t, path, p.Table.Source())
	assert.Equal(t, readTableFile(t, "experimental", path), p.Table)
	assert.Equal(t, "delay 50ms 10ms distribution experimental", p.String())
}

func TestParseWithLoader(t *testing.T) {
	tab, err := NewTable("flat", "a test", []int16{100})
	require.NoError(t, err)
	var asked []string
	load := func(name string) (Table, error) {
		asked = append(asked, name)
		if name == "flat" {
			return tab, nil
		}
		return Table{}, errors.New("no " + name)
	}
	p, err := ParseWith("delay 1ms 1ms distribution flat", load)
	require.NoError(t, err)
	assert.Equal(t, tab, p.Table)
	_, err = ParseWith("delay 1ms 1ms distribution normal", load)
	require.NoError(t, err)
	assert.Equal(t, []string{"flat"}, asked, "built-in names never reach the loader")
	_, err = ParseWith("delay 1ms 1ms distribution other", load)
	assert.ErrorContains(t, err, "no other")
	_, err = ParseWith("delay 1ms 1ms distribution flat", nil)
	assert.ErrorContains(t, err, "no table for this distribution; accepted: uniform, normal")
	_, err = ParseWith("delay 1ms 1ms distribution other", func(string) (Table, error) { return tab, nil })
	assert.ErrorContains(t, err, `returned table "flat"`)
}

func TestReadTable(t *testing.T) {
	read := func(text string) (Table, error) { return ReadTable("t", "t.dist", strings.NewReader(text)) }
	tab, err := read("1 -2 +3\n0x10 -0x8000 010 0 00\n# comment\n   \n32767 #tail\n")
	require.NoError(t, err)
	assert.Equal(t, []int16{1, -2, 3, 16, -32768, 8, 0, 0, 32767}, tab.Values(), "strtol's bases: 0x hex, leading 0 octal")

	for text, want := range map[string]string{
		"":                                  "t.dist: no entries",
		"# only a comment\n":                "t.dist: no entries",
		"1 2\n3 x4\n":                       `t.dist:2: "x4": want whole numbers`,
		"32768":                             `"32768"`,
		"-32769":                            `"-32769"`,
		"1,2":                               `"1,2"`,
		"09":                                `"09"`,
		"1.5":                               `"1.5"`,
		strings.Repeat("1 ", MaxTableLen+1): "more than 16384 entries",
		strings.Repeat(" ", maxTableFile+1): "larger than",
	} {
		_, err := read(text)
		assert.ErrorContains(t, err, want, "%.40q", text)
	}
	_, err = ReadTable("../x", "", strings.NewReader("1"))
	assert.ErrorContains(t, err, "not a path")
	_, err = NewTable("normal", "", []int16{1})
	assert.ErrorContains(t, err, "built-in")
	_, err = NewTable("big", "", make([]int16, MaxTableLen+1))
	assert.ErrorContains(t, err, "want 1 to 16384")
}

// A table is given exactly with DistTable, and change keeps a loaded table while jitter
// is 0 as it keeps a built-in one.
func TestTableProfileRules(t *testing.T) {
	tab, err := NewTable("flat", "a test", []int16{8192})
	require.NoError(t, err)
	for name, p := range map[string]Profile{
		"DistTable without a table": {Delay: 1, Jitter: 1, Dist: DistTable},
		"a table without DistTable": {Delay: 1, Jitter: 1, Dist: DistNormal, Table: tab},
		"slot table without Dist":   {Slot: Slot{Dist: DistPareto, Jitter: 1, Table: tab}},
		"slot DistTable, no table":  {Slot: Slot{Dist: DistTable, Jitter: 1}},
		"unknown dist":              {Delay: 1, Jitter: 1, Dist: DistTable + 1},
	} {
		assert.ErrorIs(t, p.Validate(), ErrInvalid, name)
	}
	p := Profile{Delay: time.Millisecond, Jitter: time.Millisecond, Dist: DistTable, Table: tab}
	require.NoError(t, p.Validate())
	l := NewLink[int](p, 1)
	l.SetProfile(Profile{Delay: 2 * time.Millisecond})
	assert.Equal(t, Profile{Delay: 2 * time.Millisecond}, l.Profile())
	l.SetProfile(Profile{Delay: 2 * time.Millisecond, Jitter: time.Millisecond})
	assert.Equal(t, Profile{Delay: 2 * time.Millisecond, Jitter: time.Millisecond, Dist: DistTable, Table: tab}, l.Profile())
	l.Enqueue(0, Packet[int]{})
	pk, _ := l.Dequeue(time.Second)
	assert.Equal(t, 3*time.Millisecond, pk.Due, "the one entry is +1 sigma")
}
