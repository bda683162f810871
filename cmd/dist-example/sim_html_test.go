package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestSimHTML: -html writes a page, for the stream and for ping, that is the same bytes
// for the same flags, loads nothing from the network, and carries the run's data.
func TestSimHTML(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name  string
		args  []string
		links int
	}{
		{"stream", []string{"-faults", "partition@5s, heal@6s"}, 1},
		{"ping", []string{"-app", "ping", "-send-interval", "100ms"}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var pages [2][]byte
			for i := range pages {
				path := filepath.Join(dir, tc.name+string(rune('a'+i))+".html")
				sim(t, append([]string{"-seed", "4", "-duration", "10s", "-html", path}, tc.args...)...)
				b, err := os.ReadFile(path)
				require.NoError(t, err)
				pages[i] = b
			}
			require.Equal(t, pages[0], pages[1], "same flags and seed, same page")
			require.NotRegexp(t, regexp.MustCompile(`(?i)(src|href)=["']?(https?:)?//`), string(pages[0]), "nothing from the network")
			m := regexp.MustCompile(`(?s)<script id="data" type="application/json">(.*?)</script>`).FindSubmatch(pages[0])
			require.NotNil(t, m, "the data block")
			var data struct {
				Meta struct {
					Seed   uint64
					Replay string
					Report string
				} `json:"meta"`
				Links []struct {
					Datagrams int `json:"datagrams"`
				} `json:"links"`
			}
			require.NoError(t, json.Unmarshal(m[1], &data))
			require.Equal(t, uint64(4), data.Meta.Seed)
			require.Contains(t, data.Meta.Replay, "-seed 4")
			require.Contains(t, data.Meta.Report, "fingerprint ", "the text report is on the page")
			require.Len(t, data.Links, tc.links)
			require.Positive(t, data.Links[0].Datagrams)
			require.True(t, bytes.Contains(pages[0], []byte("<svg")), "drawn as SVG")
		})
	}
}
