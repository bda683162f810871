package proxy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"strings"
	"time"

	"golang.org/x/net/netutil"

	"github.com/dist-example/dist-example/simnet/netem"
)

// maxControlBody bounds a request body: a profile is a line of text.
const maxControlBody = 64 << 10

// MaxControlConns bounds the control API's open connections (ListenControl's listener
// accepts no more until one closes; the rest wait in the kernel's backlog, holding none
// of the process's descriptors), so no amount of HTTP traffic can take the descriptors
// the relay needs for its sessions.
const MaxControlConns = 32

// ControlServer returns an http.Server for p's control API whose connections cannot be
// held open for long: headers within 5 s, a whole request within 10 s, an answer
// within 10 s, and an idle keep-alive connection closed after 30 s. Serve it on
// ListenControl's listener, which bounds how many are open at once.
func ControlServer(p *Proxy) *http.Server {
	return &http.Server{
		Handler:           p.Handler(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       30 * time.Second,
		MaxHeaderBytes:    16 << 10,
	}
}

// ErrNotLoopback is returned by ListenControl for an address other than loopback when
// remote access was not allowed: the API changes the impairment with no authentication.
var ErrNotLoopback = errors.New("proxy: control address is not loopback")

// ListenControl opens the control API's TCP listener on addr, open to at most
// MaxControlConns connections at once. Unless allowRemote, the
// address must be loopback (127.0.0.0/8, ::1, or a name such as localhost resolving to
// one); ":PORT" and "0.0.0.0:PORT" listen on every interface and are refused.
func ListenControl(addr string, allowRemote bool) (net.Listener, error) {
	if !allowRemote {
		// Check before listening, so a refused address is never open, even briefly.
		ta, err := net.ResolveTCPAddr("tcp", addr)
		if err != nil {
			return nil, fmt.Errorf("proxy: control address %q: %w (want host:port, e.g. 127.0.0.1:8474)", addr, err)
		}
		if !ta.IP.IsLoopback() {
			where := "every interface"
			if ta.IP != nil && !ta.IP.IsUnspecified() {
				where = ta.IP.String()
			}
			return nil, fmt.Errorf("%w: %q would listen on %s; use a loopback address such as 127.0.0.1:8474",
				ErrNotLoopback, addr, where)
		}
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("proxy: control address %q: %w (want host:port, e.g. 127.0.0.1:8474)", addr, err)
	}
	return netutil.LimitListener(ln, MaxControlConns), nil
}

// profileBody is a profile in responses: tc netem text.
type profileBody struct {
	Netem string `json:"netem"`
}

// profileRequest is a profile in requests: the key is required (null or {} is not a
// profile; "" is the empty one).
type profileRequest struct {
	Netem *string `json:"netem"`
}

// profilesBody holds both directions; in a PUT an absent direction is left unchanged.
type profilesBody struct {
	Forward *string `json:"forward,omitempty"`
	Reverse *string `json:"reverse,omitempty"`
}

type errorBody struct {
	Error string `json:"error"`
}

// Handler returns the control API, JSON over HTTP:
//
//	GET   /counters              both directions' counters and the session table
//	GET   /profile               {"forward": "<tc text>", "reverse": "<tc text>"}
//	PUT   /profile               {"forward": "...", "reverse": "..."} (either may be left out)
//	PATCH /profile               the same, with tc change semantics
//	GET   /profile/{direction}   {"netem": "<tc text>"}; direction is forward or reverse
//	PUT   /profile/{direction}   body {"netem": "delay 10ms loss 5%"} or the tc text as text/plain
//	PATCH /profile/{direction}   the same, with tc change semantics
//
// PUT makes the text the whole profile (SetProfile); PUT ...?flush=1 also drops what is
// queued, as deleting and re-adding the qdisc does (ResetProfile); PATCH applies it as
// "tc qdisc change" would (ChangeProfile: corrupt, rate, slot, the delay table and
// correlations are kept unless given). Either takes effect at once, keeps queued packets
// and counters, and answers with the profile now in force in canonical tc text. Errors
// are {"error": "..."} with status 400 (the message names the offending token), 404 (no
// such path or direction), 405 (a known path with another method; the Allow header lists
// the accepted ones) or 413. GET also answers HEAD.
func (p *Proxy) Handler() http.Handler {
	mux := http.NewServeMux()
	allowed := map[string][]string{} // path -> methods, in registration order
	var endpoints []string
	handle := func(method, path string, h http.HandlerFunc) {
		pattern := path
		if path == "/" {
			pattern = "/{$}" // "/" alone would match every path
		}
		mux.HandleFunc(method+" "+pattern, h)
		allowed[path] = append(allowed[path], method)
		if method == http.MethodGet {
			allowed[path] = append(allowed[path], http.MethodHead) // ServeMux routes HEAD to GET
		}
		endpoints = append(endpoints, method+" "+path)
	}

	handle(http.MethodGet, "/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string][]string{"endpoints": endpoints})
	})
	handle(http.MethodGet, "/counters", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, p.Counters())
	})
	handle(http.MethodGet, "/profile", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, p.profiles())
	})
	handle(http.MethodPut, "/profile", p.putProfiles(false))
	handle(http.MethodPatch, "/profile", p.putProfiles(true))
	for _, d := range Directions {
		path := "/profile/" + d.String()
		handle(http.MethodGet, path, func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, http.StatusOK, profileBody{p.Profile(d).String()})
		})
		handle(http.MethodPut, path, p.putProfile(d, false))
		handle(http.MethodPatch, path, p.putProfile(d, true))
	}
	// Everything else. Registered for every method, so ServeMux never answers for us
	// (its own 405 and 404 are plain text).
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if methods, ok := allowed[r.URL.Path]; ok {
			accepted := strings.Join(methods, ", ")
			w.Header().Set("Allow", accepted)
			writeError(w, http.StatusMethodNotAllowed,
				fmt.Errorf("proxy: method %s not allowed on %s; accepted: %s", r.Method, r.URL.Path, accepted))
			return
		}
		if name, ok := strings.CutPrefix(r.URL.Path, "/profile/"); ok && !strings.Contains(name, "/") {
			_, err := ParseDirection(name)
			writeError(w, http.StatusNotFound, err)
			return
		}
		writeError(w, http.StatusNotFound, fmt.Errorf("proxy: no endpoint %s %s (GET / lists them)", r.Method, r.URL.Path))
	})
	return mux
}

func (p *Proxy) profiles() profilesBody {
	f, r := p.Profile(Forward).String(), p.Profile(Reverse).String()
	return profilesBody{Forward: &f, Reverse: &r}
}

// apply installs prof as PUT (replace), PUT ?flush=1 (reset) or PATCH (change) asks.
func (p *Proxy) apply(d Direction, prof netem.Profile, change, flush bool) {
	switch {
	case change:
		p.ChangeProfile(d, prof)
	case flush:
		p.ResetProfile(d, prof)
	default:
		p.SetProfile(d, prof)
	}
}

// flushParam reads PUT's ?flush=1 (also true, 0, false; absent is 0). PATCH keeps the
// queue by definition (tc change), so it takes no flush.
func flushParam(r *http.Request, change bool) (bool, error) {
	v, given := r.URL.Query()["flush"]
	if !given {
		return false, nil
	}
	if change {
		return false, errors.New("proxy: flush is for PUT (replace and drop what is queued); PATCH keeps the queue, as tc change does")
	}
	if len(v) == 1 {
		switch v[0] {
		case "1", "true":
			return true, nil
		case "0", "false":
			return false, nil
		}
	}
	return false, fmt.Errorf("proxy: flush=%q; accepted: 1, true, 0, false", strings.Join(v, ","))
}

// parseText parses tc text from a request, refusing control characters (a NUL, say)
// that tc's command line could never have carried; tabs and line ends are spaces.
func parseText(text string) (netem.Profile, error) {
	for i, c := range text {
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' || c == 0x7f {
			return netem.Profile{}, fmt.Errorf("proxy: profile text has control character %U at byte %d; want tc netem text", c, i)
		}
	}
	return netem.Parse(text)
}

func (p *Proxy) putProfile(d Direction, change bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, status, err := readBody(w, r)
		if err != nil {
			writeError(w, status, err)
			return
		}
		flush, err := flushParam(r, change)
		if err != nil {
			writeError(w, http.StatusBadRequest, err)
			return
		}
		text := string(body)
		if isJSON(r, body) {
			var pb profileRequest
			err := strictJSON(body, &pb)
			if err == nil && pb.Netem == nil {
				err = errors.New(`no "netem" key`)
			}
			if err != nil {
				writeError(w, http.StatusBadRequest, fmt.Errorf(`proxy: body: %w (want {"netem": "<tc netem text>"})`, err))
				return
			}
			text = *pb.Netem
		}
		prof, err := parseText(text)
		if err != nil {
			writeError(w, http.StatusBadRequest, err)
			return
		}
		p.apply(d, prof, change, flush)
		writeJSON(w, http.StatusOK, profileBody{p.Profile(d).String()})
	}
}

func (p *Proxy) putProfiles(change bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, status, err := readBody(w, r)
		if err != nil {
			writeError(w, status, err)
			return
		}
		flush, err := flushParam(r, change)
		if err != nil {
			writeError(w, http.StatusBadRequest, err)
			return
		}
		var pb profilesBody
		if err := strictJSON(body, &pb); err != nil {
			writeError(w, http.StatusBadRequest, fmt.Errorf(`proxy: body: %w (want {"forward": "<tc text>", "reverse": "<tc text>"})`, err))
			return
		}
		if pb.Forward == nil && pb.Reverse == nil {
			writeError(w, http.StatusBadRequest, errors.New(`proxy: body names no direction (want "forward" and/or "reverse")`))
			return
		}
		// Parse both before applying either, so a bad reverse does not leave forward changed.
		var profs [2]*netem.Profile
		for d, text := range map[Direction]*string{Forward: pb.Forward, Reverse: pb.Reverse} {
			if text == nil {
				continue
			}
			prof, err := parseText(*text)
			if err != nil {
				writeError(w, http.StatusBadRequest, fmt.Errorf("proxy: %s: %w", d, err))
				return
			}
			profs[d] = &prof
		}
		for _, d := range Directions {
			if profs[d] != nil {
				p.apply(d, *profs[d], change, flush)
			}
		}
		writeJSON(w, http.StatusOK, p.profiles())
	}
}

func readBody(w http.ResponseWriter, r *http.Request) ([]byte, int, error) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxControlBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, http.StatusRequestEntityTooLarge, fmt.Errorf("proxy: body larger than %d bytes", maxControlBody)
		}
		return nil, http.StatusBadRequest, fmt.Errorf("proxy: reading body: %w", err)
	}
	return b, 0, nil
}

// isJSON tells a JSON body from tc text: by its Content-Type if that is JSON or plain
// text, otherwise by its first character (curl -d sends application/x-www-form-urlencoded
// unless told otherwise, and tc text never starts with "{").
func isJSON(r *http.Request, body []byte) bool {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mt {
	case "application/json":
		return true
	case "text/plain":
		return false
	}
	return strings.HasPrefix(strings.TrimSpace(string(body)), "{")
}

// strictJSON decodes one JSON object into v: not null, no unknown or duplicate keys, and
// nothing after it but white space.
func strictJSON(b []byte, v any) error {
	if err := uniqueKeys(b); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data after the JSON object")
	}
	return nil
}

// uniqueKeys checks that b starts with a JSON object whose keys are all different.
func uniqueKeys(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return fmt.Errorf("%s is not a JSON object", describeToken(tok))
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		key, _ := tok.(string)
		if seen[key] {
			return fmt.Errorf("duplicate key %q", key)
		}
		seen[key] = true
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return err
		}
	}
	return nil
}

func describeToken(tok any) string {
	if tok == nil {
		return "null"
	}
	return fmt.Sprintf("%v", tok)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, err error) {
	writeJSON(w, status, errorBody{err.Error()})
}
