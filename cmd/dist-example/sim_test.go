package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"flag"
	"fmt"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dist-example/dist-example/app"
	"github.com/dist-example/dist-example/simnet"
	"github.com/dist-example/dist-example/simnet/netem"
	"github.com/dist-example/dist-example/simnet/scenario"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/ with the current output")

func sim(t *testing.T, args ...string) (stdout, stderr string) {
	t.Helper()
	code, out, errOut := runCmd(context.Background(), append([]string{"sim"}, args...)...)
	require.Equal(t, 0, code, "sim %q failed: %s", args, errOut)
	return out, errOut
}

// Golden runs: seeded scenarios whose whole output is checked in. A change to the
// simulator, the fault model or the app that changes any of them shows up here; if the
// change is meant, rerun with -update and review the diff.
func TestSimGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"default", []string{"-seed", "42"}},
		{"json", []string{"-seed", "7", "-duration", "10s", "-format", "json"}},
		{"perfect", []string{"-seed", "5", "-duration", "3s", "-interval", "1s", "-netem", ""}},
		{"markov-rate-faults", []string{"-seed", "3", "-duration", "20s", "-interval", "2s",
			"-netem", "delay 30ms 30ms loss gemodel 2% 20% 80% 0.5% rate 100kbit limit 50",
			"-faults", "partition@5s, heal@6s, restart@10s down=500ms start=-1000000, jump@15s start=-998000"}},
		{"corrupt-gap", []string{"-seed", "11", "-duration", "5s", "-interval", "1s",
			"-netem", "delay 10ms 5ms distribution normal corrupt 2% duplicate 5% reorder 25% 50% gap 3"}},
		// The original demo: the sender killed and started again from 0, 2000 numbers on.
		{"restart-from-zero", []string{"-seed", "1", "-faults", "restart@20s down=1s start=0"}},
		{"ping", []string{"-app", "ping", "-seed", "1", "-duration", "5s", "-netem", "delay 50ms 10ms loss 2%"}},
		// The kernel's correlated draws: "loss 10% 25%" loses under 2%, not 10%.
		{"kernel-correlation", []string{"-seed", "9", "-duration", "20s", "-interval", "5s",
			"-netem", "delay 40ms 10ms 25% loss 10% 25% duplicate 2% 25%", "-correlation", "kernel"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, _ := sim(t, tc.args...)
			path := filepath.Join("testdata", "sim-"+tc.name+".golden")
			if *update {
				require.NoError(t, os.MkdirAll("testdata", 0o755))
				require.NoError(t, os.WriteFile(path, []byte(out), 0o644))
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err, "no golden file; run go test -run TestSimGolden -update")
			require.Equal(t, string(want), out, "output differs from %s (rerun with -update if the change is meant)", path)
		})
	}
}

func TestSimFlagErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"zero duration", []string{"-duration", "0s"}, "-duration 0s: want a virtual time > 0"},
		{"negative duration", []string{"-duration", "-1s"}, "-duration -1s"},
		{"bad duration", []string{"-duration", "long"}, `sim: -duration "long": want a duration with a unit, e.g. 30s, 10ms, 1h30m or 250us (see dist-example sim -h)`},
		{"zero send interval", []string{"-send-interval", "0s"}, "-send-interval 0s: want a duration > 0"},
		{"zero interval", []string{"-interval", "0s"}, "-interval 0s: want a duration > 0"},
		{"too many datagrams", []string{"-duration", "1000h", "-send-interval", "1us"}, "-duration 1000h / -send-interval 1µs is 3600000000000 datagrams: want at most 10000000"},
		{"duration too long", []string{"-duration", "200000h"}, "-duration 200000h: want at most 100000h ("},
		{"too many summaries", []string{"-interval", "1ns"}, "-duration 30s / -interval 1ns is 30000000000 summaries: want at most 100000"},
		{"reorder without delay", []string{"-netem", "reorder 10%"}, `-netem "reorder 10%": netem: "reorder" (token 1): reorder needs a delay`},
		{"loss above 100", []string{"-netem", "delay 1ms loss 120%"}, `"120%" (token 4)`},
		{"unknown netem keyword", []string{"-netem", "jitter 5ms"}, `"jitter"`},
		{"bad fault", []string{"-faults", "crash@1s"}, `-faults: fault "crash@1s": unknown kind "crash"`},
		{"fault after the end", []string{"-duration", "10s", "-faults", "heal@1m"}, "-faults: fault \"heal@1m0s\": at 1m0s is not inside the run"},
		{"bad format", []string{"-format", "xml"}, `-format "xml": want text or json`},
		{"bad app", []string{"-app", "chat"}, `-app "chat": want stream or ping`},
		{"bad plot name", []string{"-plot", "run.gif"}, "-plot:"},
		{"bad ping size", []string{"-app", "ping", "-size", "3"}, "-size 3: want 24..65507 bytes"},
		{"ping with faults", []string{"-app", "ping", "-faults", "partition@1s"}, "-faults: not supported with -app ping"},
		{"ping with a summary interval", []string{"-app", "ping", "-interval", "1s"}, "-interval: the receiver's summary interval, which -app ping does not have"},
		{"size without ping", []string{"-size", "100"}, "-size: the ping probe size, accepted only with -app ping"},
		{"too many ping probes", []string{"-app", "ping", "-duration", "1000h", "-send-interval", "100us"}, "want at most 10000000"},
		{"stray argument", []string{"now"}, `unexpected argument "now"`},
		{"bad correlation", []string{"-correlation", "linux"}, `-correlation: correlation "linux": want stated`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCmd(context.Background(), append([]string{"sim"}, tc.args...)...)
			assert.Equal(t, 2, code)
			assert.Empty(t, out, "nothing runs on a usage error")
			assert.Contains(t, errOut, tc.want)
		})
	}
}

func TestSimHelp(t *testing.T) {
	code, out, errOut := runCmd(context.Background(), "sim", "-h")
	assert.Equal(t, 0, code)
	assert.Empty(t, errOut, "-h writes to stdout, so sim -h | less works")
	assert.Contains(t, out, "Examples:")
	assert.Contains(t, out, "-check-determinism")
	for _, p := range []string{"-seed N", "-plot FILE", "-trace FILE", "-format text|json", "-correlation stated|kernel", "-duration DUR"} {
		assert.Contains(t, out, "\n  "+p+"\n", "placeholders are the same in every subcommand")
	}
}

var replayLine = regexp.MustCompile(`^seed (\d+) \(replay: dist-example (sim .*)\)$`)

// A run without -seed picks one, prints it first with the command that replays the
// run, and that command gives the same output.
func TestSimReplayLineReproducesTheRun(t *testing.T) {
	for _, extra := range [][]string{nil, {"-netem", "delay 5ms 1ms 50% loss 20% 50%", "-correlation", "kernel"}} {
		out, _ := sim(t, append([]string{"-duration", "3s", "-interval", "1s"}, extra...)...)
		first := strings.SplitN(out, "\n", 2)[0]
		m := replayLine.FindStringSubmatch(first)
		require.NotNil(t, m, "first line %q", first)
		args := splitShell(t, m[2])
		require.Contains(t, args, m[1])
		if extra != nil {
			require.Contains(t, args, "kernel")
		}
		code, again, errOut := runCmd(context.Background(), args...)
		require.Equal(t, 0, code, errOut)
		require.Equal(t, out, again)
	}
}

// splitShell splits the replay line: words, and single-quoted strings.
func splitShell(t *testing.T, s string) []string {
	t.Helper()
	var out []string
	for s = strings.TrimSpace(s); s != ""; s = strings.TrimSpace(s) {
		if s[0] == '\'' {
			end := strings.IndexByte(s[1:], '\'')
			require.GreaterOrEqual(t, end, 0, "unbalanced quote in %q", s)
			out, s = append(out, s[1:end+1]), s[end+2:]
			continue
		}
		word, rest, _ := strings.Cut(s, " ")
		out, s = append(out, word), rest
	}
	return out
}

// jsonLines decodes every line of out.
func simJSONLines(t *testing.T, out string) []map[string]any {
	t.Helper()
	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(l), &m), "line %q", l)
		lines = append(lines, m)
	}
	return lines
}

// -format json prints the receiver's summaries exactly as recv does: the same
// marshalling of the same app.Summary values.
func TestSimJSONSummariesAreRecvs(t *testing.T) {
	out, _ := sim(t, "-seed", "9", "-duration", "12s", "-format", "json")
	prof, err := netem.Parse(defaultNetem)
	require.NoError(t, err)
	res, err := scenario.Run(scenario.Config{Seed: 9, Profile: prof, Duration: 12 * time.Second,
		SendInterval: 10 * time.Millisecond, Interval: 5 * time.Second})
	require.NoError(t, err)
	var want bytes.Buffer
	p := summaryPrinter(&want, "json")
	for _, s := range res.Summaries {
		p(s)
	}
	lines := strings.Split(out, "\n")
	got := strings.Join(lines[1:1+len(res.Summaries)], "\n") + "\n"
	require.Equal(t, want.String(), got)
	types := []string{}
	for _, m := range simJSONLines(t, out) {
		types = append(types, m["type"].(string))
	}
	require.Equal(t, []string{"sim", "interval", "interval", "interval", "total", "link", "truth", "fingerprint"}, types)
	truth := simJSONLines(t, out)[6]
	assert.Equal(t, true, truth["agree"])
}

func TestSimPcap(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.pcap")
	out, _ := sim(t, "-seed", "7", "-duration", "10s", "-format", "json", "-pcap", path)
	var received float64
	for _, m := range simJSONLines(t, out) {
		if m["type"] == "truth" {
			received = m["copies"].(float64)
		}
	}
	require.Positive(t, received)

	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	magic := make([]byte, 4)
	_, err = io.ReadFull(f, magic)
	require.NoError(t, err)
	require.Equal(t, []byte{0xd4, 0xc3, 0xb2, 0xa1}, magic, "classic little-endian pcap magic")
	_, err = f.Seek(0, io.SeekStart)
	require.NoError(t, err)
	r, err := pcapgo.NewReader(f)
	require.NoError(t, err)
	require.Equal(t, layers.LinkTypeEthernet, r.LinkType())
	var n int
	var last time.Time
	for {
		data, ci, err := r.ReadPacketData()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		n++
		require.False(t, ci.Timestamp.Before(last), "timestamps go forward")
		require.False(t, ci.Timestamp.Before(simnet.Epoch))
		last = ci.Timestamp
		pkt := gopacket.NewPacket(data, layers.LayerTypeEthernet, gopacket.Default)
		require.Nil(t, pkt.ErrorLayer(), "packet %d does not decode", n)
		ip := pkt.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
		udp := pkt.Layer(layers.LayerTypeUDP).(*layers.UDP)
		require.Equal(t, "10.0.0.1", ip.SrcIP.String())
		require.Equal(t, "10.0.0.2", ip.DstIP.String())
		require.Equal(t, layers.UDPPort(scenario.SenderPort), udp.SrcPort)
		require.Equal(t, layers.UDPPort(scenario.ReceiverPort), udp.DstPort)
		_, err = app.ParseNumber(udp.Payload)
		require.NoError(t, err, "the default profile does not corrupt")
	}
	require.Equal(t, int(received), n, "the capture at host2 holds every copy delivered")
	require.False(t, last.After(simnet.Epoch.Add(10*time.Second+200*time.Millisecond)))

	t.Run("tcpdump", func(t *testing.T) {
		tcpdump, err := exec.LookPath("tcpdump")
		if err != nil {
			t.Skip("tcpdump not installed: the capture was read back with pcapgo only")
		}
		dump, err := exec.Command(tcpdump, "-nn", "-q", "-r", path).Output()
		require.NoError(t, err)
		dl := strings.Split(strings.TrimSpace(string(dump)), "\n")
		require.Len(t, dl, n)
		require.Contains(t, dl[0], "10.0.0.1.49152 > 10.0.0.2.2345: UDP, length 2")
		verbose, err := exec.Command(tcpdump, "-nn", "-vv", "-r", path).Output()
		require.NoError(t, err)
		require.Equal(t, n, strings.Count(string(verbose), "[udp sum ok]"), "tcpdump checks every UDP checksum")
	})
	t.Run("tshark", func(t *testing.T) {
		tshark, err := exec.LookPath("tshark")
		if err != nil {
			t.Skip("tshark not installed: the capture was read back with pcapgo only")
		}
		fields, err := exec.Command(tshark, "-r", path, "-T", "fields", "-e", "ip.src", "-e", "ip.dst",
			"-e", "udp.srcport", "-e", "udp.dstport", "-e", "udp.length").Output()
		require.NoError(t, err)
		fl := strings.Split(strings.TrimSpace(string(fields)), "\n")
		require.Len(t, fl, n)
		require.Equal(t, "10.0.0.1\t10.0.0.2\t49152\t2345\t10", fl[0], "UDP length: 8 header bytes and the 2-byte payload")

		// Port 2345 is KNET's in tshark's table: read as KNET every frame is malformed.
		// With -d udp.port==2345,data, as sim -h and the README say, none is, and each
		// payload is the number the sender sent.
		summary, err := exec.Command(tshark, "-r", path, "-d", "udp.port==2345,data").Output()
		require.NoError(t, err)
		sl := strings.Split(strings.TrimSpace(string(summary)), "\n")
		require.Len(t, sl, n)
		assert.NotContains(t, string(summary), "Malformed")
		assert.NotContains(t, string(summary), "KNET")
		data, err := exec.Command(tshark, "-r", path, "-d", "udp.port==2345,data", "-T", "fields", "-e", "data.data").Output()
		require.NoError(t, err)
		dl := strings.Split(strings.TrimSpace(string(data)), "\n")
		require.Len(t, dl, n)
		for i, h := range dl {
			b, err := hex.DecodeString(h)
			require.NoError(t, err, "frame %d", i+1)
			_, err = app.ParseNumber(b)
			require.NoError(t, err, "frame %d: payload %q is a number", i+1, b)
		}
	})
}

func TestSimPlot(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		file  string
		args  []string
		magic []byte
	}{
		{"run.png", nil, []byte("\x89PNG\r\n\x1a\n")},
		{"run.svg", nil, []byte("<?xml")},
		{"ping.png", []string{"-app", "ping"}, []byte("\x89PNG\r\n\x1a\n")},
	} {
		t.Run(tc.file, func(t *testing.T) {
			path := filepath.Join(dir, tc.file)
			sim(t, append([]string{"-seed", "1", "-duration", "20s", "-plot", path}, tc.args...)...)
			b, err := os.ReadFile(path)
			require.NoError(t, err)
			require.True(t, bytes.HasPrefix(b, tc.magic), "%s starts with %q", tc.file, b[:min(len(b), 8)])
			// It decodes as an image of the size the plot package draws.
			if strings.HasSuffix(tc.file, ".png") {
				img, err := png.Decode(bytes.NewReader(b))
				require.NoError(t, err)
				assert.Equal(t, 800, img.Bounds().Dx())
				assert.Equal(t, 600, img.Bounds().Dy())
				return
			}
			var root struct {
				XMLName xml.Name
				Width   string `xml:"width,attr"`
			}
			require.NoError(t, xml.Unmarshal(b, &root))
			assert.Equal(t, "svg", root.XMLName.Local)
			assert.Equal(t, "600pt", root.Width)
		})
	}
}

func TestSimTraceFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "trace.txt")
	out, _ := sim(t, "-seed", "2", "-duration", "2s", "-trace", path)
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	lines := strings.Count(string(b), "\n")
	require.Contains(t, out, " (sha256 of "+strconv.Itoa(lines)+" trace events)")
	without, _ := sim(t, "-seed", "2", "-duration", "2s")
	require.Equal(t, out, without, "the fingerprint does not depend on -trace")
	require.Contains(t, string(b), "host1->host2 #0 len=2 queued due=00:00:00.0")
}

// A text summary is stamped with the virtual time since the start, whose hours go on
// past 24 instead of starting over as a time of day would.
func TestSimSummaryStampsPast24h(t *testing.T) {
	out, _ := sim(t, "-seed", "1", "-duration", "26h", "-send-interval", "1h", "-interval", "1h", "-netem", "delay 1ms")
	stamps := regexp.MustCompile(`(?m)^(\d+:\d\d:\d\d\.\d{3}) Received`).FindAllStringSubmatch(out, -1)
	require.Len(t, stamps, 27, "one summary per hour, 0h to 26h:\n%s", out)
	for i, m := range stamps {
		assert.Equal(t, fmt.Sprintf("%02d:00:00.000", i), m[1])
	}
}

// The replay command writes durations as a user types them: 1h, not 1h0m0s.
func TestReplayDurationsShort(t *testing.T) {
	for d, want := range map[time.Duration]string{
		time.Hour: "1h", 90 * time.Minute: "1h30m", 2 * time.Minute: "2m", 90 * time.Second: "1m30s",
		10 * time.Millisecond: "10ms", 100000 * time.Hour: "100000h", time.Hour + time.Second: "1h0m1s", 0: "0s",
	} {
		assert.Equal(t, want, shortDuration(d), "%v", d)
		got, err := time.ParseDuration(want)
		require.NoError(t, err)
		assert.Equal(t, d, got, "%s parses back", want)
	}
	out, _ := sim(t, "-seed", "1", "-duration", "2h", "-send-interval", "1h", "-interval", "30m", "-netem", "delay 1ms")
	assert.Contains(t, out, "replay: dist-example sim -seed 1 -duration 2h -send-interval 1h -interval 30m ")
}

// help NAME is NAME -h.
func TestHelpName(t *testing.T) {
	code, out, _ := runCmd(context.Background(), "help", "sim")
	assert.Equal(t, 0, code)
	assert.True(t, strings.HasPrefix(out, "usage: dist-example sim "), "%.60q", out)

	// An unknown NAME is a usage error, as an unknown subcommand is, not the general help.
	code, out, errOut := runCmd(context.Background(), "help", "nosuch")
	assert.Equal(t, 2, code)
	assert.Empty(t, out)
	assert.Contains(t, errOut, `help: unknown subcommand "nosuch" (accepted: echo, `)
}
