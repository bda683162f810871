package proxy

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func call(t *testing.T, srv *httptest.Server, method, path, contentType, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	require.NoError(t, err)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.Equal(t, "application/json", resp.Header.Get("Content-Type"), "%s %s: %s", method, path, raw)
	var v map[string]any
	require.NoError(t, json.Unmarshal(raw, &v), "%s %s answered %q", method, path, raw)
	return resp.StatusCode, v
}

// canon is the canonical tc text of a profile, as the API answers with it.
func canon(t *testing.T, text string) string {
	t.Helper()
	return mustParse(t, text).String()
}

func TestControlAPI(t *testing.T) {
	s := newSink(t, "udp4", "127.0.0.1:0")
	p := startProxy(t, s.addr(), "delay 10ms", "loss 1%", 1)
	srv := httptest.NewServer(p.Handler())
	t.Cleanup(srv.Close)

	tests := []struct {
		name, method, path, ctype, body string
		status                          int
		want                            map[string]any // fields that must match
		errHas                          string         // for errors: the message contains this
	}{
		{name: "read both profiles", method: "GET", path: "/profile", status: 200,
			want: map[string]any{"forward": canon(t, "delay 10ms"), "reverse": canon(t, "loss 1%")}},
		{name: "read one", method: "GET", path: "/profile/reverse", status: 200,
			want: map[string]any{"netem": canon(t, "loss 1%")}},
		{name: "replace with JSON", method: "PUT", path: "/profile/forward", ctype: "application/json",
			body: `{"netem": "delay 5ms loss 2%"}`, status: 200, want: map[string]any{"netem": canon(t, "delay 5ms loss 2%")}},
		{name: "replace with tc text", method: "PUT", path: "/profile/reverse", ctype: "text/plain",
			body: "duplicate 3%", status: 200, want: map[string]any{"netem": canon(t, "duplicate 3%")}},
		{name: "curl -d without a type", method: "PUT", path: "/profile/reverse",
			ctype: "application/x-www-form-urlencoded", body: `{"netem":"corrupt 1%"}`, status: 200,
			want: map[string]any{"netem": canon(t, "corrupt 1%")}},
		{name: "change keeps what tc change keeps", method: "PATCH", path: "/profile/reverse", ctype: "text/plain",
			body: "delay 2ms", status: 200, want: map[string]any{"netem": canon(t, "delay 2ms corrupt 1%")}},
		{name: "replace both", method: "PUT", path: "/profile", body: `{"forward":"","reverse":"delay 1ms"}`,
			status: 200, want: map[string]any{"forward": canon(t, ""), "reverse": canon(t, "delay 1ms")}},
		{name: "bad tc text names the token", method: "PUT", path: "/profile/forward", ctype: "text/plain",
			body: "delay 10ms bogus 3", status: 400, errHas: "bogus"},
		{name: "bad JSON", method: "PUT", path: "/profile/forward", ctype: "application/json",
			body: `{"netme": "loss 1%"}`, status: 400, errHas: "netme"},
		{name: "bad reverse leaves forward alone", method: "PUT", path: "/profile",
			body: `{"forward":"loss 50%","reverse":"loss 200%"}`, status: 400, errHas: "reverse"},
		{name: "no direction", method: "PUT", path: "/profile", body: `{}`, status: 400, errHas: "no direction"},
		{name: "unknown direction", method: "GET", path: "/profile/sideways", status: 404, errHas: "sideways"},
		{name: "unknown path", method: "GET", path: "/toxics", status: 404, errHas: "GET /toxics"},
		{name: "body too large", method: "PUT", path: "/profile/forward", ctype: "text/plain",
			body: strings.Repeat("x", maxControlBody+1), status: 413, errHas: "larger"},
		{name: "profiles after the failed PUTs", method: "GET", path: "/profile", status: 200,
			want: map[string]any{"forward": canon(t, ""), "reverse": canon(t, "delay 1ms")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, v := call(t, srv, tc.method, tc.path, tc.ctype, tc.body)
			require.Equal(t, tc.status, status, "answer %v", v)
			for k, want := range tc.want {
				assert.Equal(t, want, v[k], "field %q", k)
			}
			if tc.errHas != "" {
				assert.Contains(t, v["error"], tc.errHas)
			}
		})
	}

	t.Run("counters", func(t *testing.T) {
		c := dialer(t, p)
		sendWindowed(t, p, c, 0, 10, 32, 10, 0)
		settle(t, p, s, 5*time.Second)
		status, v := call(t, srv, "GET", "/counters", "", "")
		require.Equal(t, 200, status)
		fwd := v["forward"].(map[string]any)
		assert.Equal(t, 10.0, fwd["received"])
		assert.Equal(t, 10.0, fwd["delivered"])
		assert.Contains(t, v, "reverse")
		assert.Equal(t, 1.0, v["sessions"].(map[string]any)["active"])
		assert.Contains(t, v, "elapsed_s")
	})
}

func TestListenControlRefusesNonLoopback(t *testing.T) {
	tests := []struct {
		addr        string
		allowRemote bool
		wantErr     error
	}{
		{"127.0.0.1:0", false, nil},
		{"localhost:0", false, nil},
		{":0", false, ErrNotLoopback},
		{"0.0.0.0:0", false, ErrNotLoopback},
		{":0", true, nil},
	}
	for _, tc := range tests {
		t.Run(tc.addr, func(t *testing.T) {
			ln, err := ListenControl(tc.addr, tc.allowRemote)
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				assert.Contains(t, err.Error(), "loopback")
				return
			}
			require.NoError(t, err)
			require.NoError(t, ln.Close())
		})
	}
	_, err := ListenControl("nonsense", false)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "host:port")
	assert.False(t, errors.Is(err, ErrNotLoopback))
}

// A known path with a method it does not take answers 405 naming what it accepts, in
// the Allow header and in the JSON error; anything else stays 404.
func TestControlAPIWrongMethod(t *testing.T) {
	s := newSink(t, "udp4", "127.0.0.1:0")
	p := startProxy(t, s.addr(), "", "", 1)
	srv := httptest.NewServer(p.Handler())
	t.Cleanup(srv.Close)

	tests := []struct {
		method, path string
		status       int
		allow        string // the Allow header wanted (405 only)
		errHas       string
	}{
		{"DELETE", "/profile/forward", 405, "GET, HEAD, PUT, PATCH", "method DELETE not allowed on /profile/forward; accepted: GET, HEAD, PUT, PATCH"},
		{"POST", "/profile/reverse", 405, "GET, HEAD, PUT, PATCH", "method POST not allowed"},
		{"POST", "/profile", 405, "GET, HEAD, PUT, PATCH", "accepted: GET, HEAD, PUT, PATCH"},
		{"POST", "/counters", 405, "GET, HEAD", "method POST not allowed on /counters; accepted: GET, HEAD"},
		{"PUT", "/counters", 405, "GET, HEAD", "accepted: GET, HEAD"},
		{"DELETE", "/", 405, "GET, HEAD", "accepted: GET, HEAD"},
		{"DELETE", "/toxics", 404, "", "no endpoint DELETE /toxics"},
		{"POST", "/counters/x", 404, "", "no endpoint POST /counters/x"},
		{"DELETE", "/profile/sideways", 404, "", `unknown direction "sideways" (accepted: forward, reverse)`},
		{"GET", "/profile/", 404, "", "unknown direction"},
	}
	for _, tc := range tests {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, srv.URL+tc.path, strings.NewReader(`{"netem": ""}`))
			require.NoError(t, err)
			resp, err := srv.Client().Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			var v errorBody
			require.NoError(t, json.NewDecoder(resp.Body).Decode(&v))
			require.Equal(t, tc.status, resp.StatusCode, "answer %+v", v)
			assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
			assert.Equal(t, tc.allow, resp.Header.Get("Allow"))
			assert.Contains(t, v.Error, tc.errHas)
		})
	}

	t.Run("HEAD is answered where GET is", func(t *testing.T) {
		resp, err := srv.Client().Head(srv.URL + "/counters")
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode)
	})
	t.Run("GET / lists every endpoint", func(t *testing.T) {
		status, v := call(t, srv, "GET", "/", "", "")
		require.Equal(t, 200, status)
		assert.Len(t, v["endpoints"], 11)
		assert.Contains(t, v["endpoints"], "PATCH /profile/reverse")
	})
}

// A body that is not a profile changes nothing: each is refused with 400 naming the
// problem, and the profiles stay as they were.
func TestControlAPIRefusesWhatIsNotAProfile(t *testing.T) {
	s := newSink(t, "udp4", "127.0.0.1:0")
	p := startProxy(t, s.addr(), "delay 10ms", "loss 1%", 1)
	srv := httptest.NewServer(p.Handler())
	t.Cleanup(srv.Close)
	tests := []struct {
		name, method, path, ctype, body, errHas string
	}{
		{"PUT null", "PUT", "/profile/forward", "application/json", `null`, "null is not a JSON object"},
		{"PATCH {}", "PATCH", "/profile/forward", "application/json", `{}`, `no "netem" key`},
		{"PUT {} both", "PUT", "/profile", "application/json", `{}`, "names no direction"},
		{"PUT null both", "PUT", "/profile", "application/json", `null`, "null is not a JSON object"},
		{"duplicate key", "PUT", "/profile/forward", "application/json", `{"netem": "loss 5%", "netem": ""}`, `duplicate key "netem"`},
		{"duplicate direction", "PUT", "/profile", "application/json", `{"forward": "", "forward": "loss 5%"}`, `duplicate key "forward"`},
		{"trailing NUL in text", "PUT", "/profile/forward", "text/plain", "loss 5%\x00", "control character U+0000"},
		{"NUL in JSON text", "PUT", "/profile/forward", "application/json", `{"netem": "loss 5%\u0000"}`, "control character U+0000"},
		{"NUL after JSON", "PUT", "/profile/forward", "application/json", "{\"netem\": \"\"}\x00", "after"},
		{"garbage after JSON", "PUT", "/profile", "application/json", `{"forward": ""} x`, "after"},
		{"an array", "PUT", "/profile/forward", "application/json", `["loss 5%"]`, "not a JSON object"},
		{"flush on PATCH", "PATCH", "/profile/forward?flush=1", "text/plain", "", "flush is for PUT"},
		{"flush value", "PUT", "/profile/forward?flush=yes", "text/plain", "", `flush="yes"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, v := call(t, srv, tc.method, tc.path, tc.ctype, tc.body)
			assert.Equal(t, http.StatusBadRequest, status, "%v", v)
			assert.Contains(t, v["error"], tc.errHas)
			assert.Equal(t, canon(t, "delay 10ms"), p.Profile(Forward).String(), "forward changed")
			assert.Equal(t, canon(t, "loss 1%"), p.Profile(Reverse).String(), "reverse changed")
		})
	}
}

// PUT ?flush=1 replaces the profile and drops what was queued, counted flushed; a plain
// PUT keeps the queue with its due times.
func TestControlAPIFlush(t *testing.T) {
	s := newSink(t, "udp4", "127.0.0.1:0")
	p := startProxy(t, s.addr(), "delay 1000s", "", 1)
	srv := httptest.NewServer(p.Handler())
	t.Cleanup(srv.Close)
	sendWindowed(t, p, dialer(t, p), 0, 10, 32, 64, 0)
	status, _ := call(t, srv, "PUT", "/profile/forward", "text/plain", "")
	require.Equal(t, 200, status)
	assert.Equal(t, uint64(10), p.Counters().Forward.InFlight, "a plain PUT keeps the queue")
	status, v := call(t, srv, "PUT", "/profile/forward?flush=1", "text/plain", "delay 1ms")
	require.Equal(t, 200, status)
	assert.Equal(t, canon(t, "delay 1ms"), v["netem"])
	k := p.Counters().Forward
	assert.Equal(t, uint64(10), k.Flushed)
	assert.Zero(t, k.InFlight)
	assert.Zero(t, k.QueuedBytes)
	assert.Equal(t, k.Sent+k.Duplicated, k.Delivered+k.Lost+k.LimitDrops+k.Flushed+k.InFlight, "conservation")
	// The new link relays.
	sendWindowed(t, p, dialer(t, p), 10, 5, 32, 64, 0)
	settle(t, p, s, patience)
	assert.Equal(t, 5, s.count())
}
