package main

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/patchwatch/patchwatch/store"
)

// TestMain lets a test start this test binary as a real patchwatch process
// (for the SIGKILL and lock tests): with PATCHWATCH_AS_MAIN=1 it runs main.
func TestMain(m *testing.M) {
	if os.Getenv("PATCHWATCH_AS_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// site serves the recorded xenbits pages like a real web server would:
// ETag and Last-Modified on every page, 304 for a matching If-None-Match,
// and per-path faults a test can switch on.
type site struct {
	root string

	mu     sync.Mutex
	hits   map[string]int
	codes  map[int]int
	faults map[string]http.HandlerFunc
	// gate, when set, makes every page request after the first open ones
	// wait until it is closed.
	gate     chan struct{}
	gateOpen int
	started  chan string
}

func newSite(t testing.TB) (*site, *httptest.Server) {
	s := &site{root: filepath.Join(fixtures, "xenbits.xen.org"), hits: map[string]int{}, codes: map[int]int{},
		faults: map[string]http.HandlerFunc{}, started: make(chan string, 1000)}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return s, srv
}

func (s *site) fault(path string, h http.HandlerFunc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[path] = h
}

func (s *site) counts() (map[string]int, map[int]int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	h, c := map[string]int{}, map[int]int{}
	for k, v := range s.hits {
		h[k] = v
	}
	for k, v := range s.codes {
		c[k] = v
	}
	return h, c
}

type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.code = code
	r.ResponseWriter.WriteHeader(code)
}

// Hijack lets a fault cut the connection.
func (r *statusRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return r.ResponseWriter.(http.Hijacker).Hijack()
}

func (s *site) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.hits[r.URL.Path]++
	n := 0
	for p, c := range s.hits {
		if p != "/robots.txt" {
			n += c
		}
	}
	gate, fault := s.gate, s.faults[r.URL.Path]
	s.mu.Unlock()
	rec := &statusRecorder{ResponseWriter: w, code: 200}
	defer func() {
		s.mu.Lock()
		s.codes[rec.code]++
		s.mu.Unlock()
	}()
	if gate != nil && r.URL.Path != "/robots.txt" && n > s.gateOpen {
		s.started <- r.URL.Path
		select {
		case <-gate:
		case <-r.Context().Done():
			return
		}
	}
	if fault != nil {
		fault(rec, r)
		return
	}
	s.serveFile(rec, r)
}

func (s *site) serveFile(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	if strings.HasSuffix(p, "/") {
		p += "index.html"
	}
	body, err := os.ReadFile(filepath.Join(s.root, filepath.FromSlash(p)))
	if err != nil {
		http.NotFound(w, r)
		return
	}
	sum := sha256.Sum256(body)
	etag := `"` + hex.EncodeToString(sum[:8]) + `"`
	w.Header().Set("ETag", etag)
	w.Header().Set("Last-Modified", "Tue, 24 Nov 2020 12:03:45 GMT")
	switch filepath.Ext(p) {
	case ".json":
		w.Header().Set("Content-Type", "application/json")
	case ".html":
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
	default:
		w.Header().Set("Content-Type", "text/plain")
	}
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Write(body)
}

// liveArgs are the harvest flags that point xenbits at the test site, with
// no politeness delay and fast retries.
func liveArgs(db string, srv *httptest.Server, extra ...string) []string {
	return append([]string{"harvest", "--db", db, "--source", "xen", "--mirror", "xenbits.xen.org=" + srv.URL,
		"--delay", "0", "--retry-wait", "20ms", "--revisit", "0", "--quiet"}, extra...)
}

// snapshot is everything a harvest could write apart from the ledger: row
// counts and each document's fetch time and validators.
func snapshot(t *testing.T, db string) map[string]any {
	t.Helper()
	out := tableCounts(t, db)
	docs := queryRows(t, db, `SELECT group_concat(id || ' ' || last_fetched_at || ' ' || etag || ' ' || links, '; ') AS d FROM (SELECT * FROM documents ORDER BY id)`)
	out["documents_detail"] = docs[0]["d"]
	return out
}

func TestIncrementalHarvest(t *testing.T) {
	s, srv := newSite(t)
	db := filepath.Join(t.TempDir(), "pw.db")
	if code, _, errs := runCmd(t, liveArgs(db, srv)...); code != 0 {
		t.Fatalf("first harvest: exit %d: %s", code, errs)
	}
	texts := recordedAdvisories(t, fixtures)
	_, codes := s.counts()
	if codes[200] != texts+2 || codes[304] != 0 {
		t.Fatalf("first harvest responses %v, want %d × 200", codes, texts+2)
	}
	first := snapshot(t, db)

	// Unchanged server, validators sent: every detail page answers 304,
	// the index pages come back identical, nothing is written.
	code, _, errs := runCmd(t, liveArgs(db, srv)...)
	if code != 0 {
		t.Fatalf("second harvest: exit %d: %s", code, errs)
	}
	_, codes = s.counts()
	if codes[304] != texts || codes[200] != 2*(texts+2)-texts {
		t.Errorf("second harvest responses %v, want %d × 304 and only the 2 index pages again", codes, texts)
	}
	if diff := cmp.Diff(first, snapshot(t, db)); diff != "" {
		t.Errorf("an unchanged harvest wrote rows (-first +second):\n%s", diff)
	}
	line := queryRows(t, db, `SELECT new, changed, unchanged, failed, http_304 FROM run_sources ORDER BY run_id DESC LIMIT 1`)
	want := []map[string]any{{"new": float64(0), "changed": float64(0), "unchanged": float64(texts + 2), "failed": float64(0), "http_304": float64(texts)}}
	if diff := cmp.Diff(want, line); diff != "" {
		t.Errorf("ledger of the unchanged run (-want +got):\n%s", diff)
	}

	// Within the revisit age the detail pages are not asked for at all.
	before, _ := s.counts()
	args := liveArgs(db, srv)
	args = append(args[:len(args)-3], "--revisit", "24h", "--quiet")
	if code, _, errs := runCmd(t, args...); code != 0 {
		t.Fatalf("third harvest: exit %d: %s", code, errs)
	}
	after, _ := s.counts()
	for path, n := range after {
		if path != "/xsa/" && path != "/xsa/xsa.json" && path != "/robots.txt" && n != before[path] {
			t.Errorf("%s requested within the revisit age", path)
		}
	}

	// A changed advisory is fetched, re-parsed and counted as changed.
	s.fault("/xsa/advisory-26.txt", func(w http.ResponseWriter, r *http.Request) {
		body, _ := os.ReadFile(filepath.Join(s.root, "xsa", "advisory-26.txt"))
		w.Header().Set("ETag", `"v4"`)
		w.Write([]byte(strings.Replace(string(body), "Grant table version switch list corruption vulnerability",
			"Grant table version switch list corruption", 1)))
	})
	if code, _, errs := runCmd(t, liveArgs(db, srv)...); code != 0 {
		t.Fatalf("fourth harvest: exit %d: %s", code, errs)
	}
	line = queryRows(t, db, `SELECT new, changed, unchanged FROM run_sources ORDER BY run_id DESC LIMIT 1`)
	want = []map[string]any{{"new": float64(0), "changed": float64(1), "unchanged": float64(texts + 1)}}
	if diff := cmp.Diff(want, line); diff != "" {
		t.Errorf("ledger after one change (-want +got):\n%s", diff)
	}
	if got := queryRows(t, db, `SELECT title FROM advisories WHERE id = 'XSA-26'`)[0]["title"]; got != "Grant table version switch list corruption" {
		t.Errorf("changed title not stored: %v", got)
	}
}

// TestHarvestFaults runs one harvest per fault after a good one, and checks
// the outcome of each: exit code, the ledger naming the URL and the reason,
// and the earlier records intact.
func TestHarvestFaults(t *testing.T) {
	advisory := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(fixtures, "xenbits.xen.org", "xsa", name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	text := func(ct string, body []byte) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", ct)
			w.Write(body)
		}
	}
	const adv = "https://xenbits.xen.org/xsa/advisory-26.txt"
	cases := []struct {
		name   string
		path   string
		fault  http.HandlerFunc
		robots string
		extra  []string
		code   int
		url    string // the URL the ledger must name
		reason string // and what it must say
		check  func(t *testing.T, db string)
	}{
		{name: "500 on every request", path: "*",
			fault: func(w http.ResponseWriter, r *http.Request) { http.Error(w, "down", 500) },
			code:  1, url: "https://xenbits.xen.org/xsa/xsa.json", reason: "HTTP 500"},
		{name: "429 with Retry-After", path: "/xsa/advisory-26.txt",
			fault: onceThen(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Retry-After", "1")
				http.Error(w, "slow down", http.StatusTooManyRequests)
			}),
			code: 0},
		{name: "slower than the timeout", path: "/xsa/advisory-26.txt",
			fault: func(w http.ResponseWriter, r *http.Request) {
				select {
				case <-r.Context().Done():
				case <-time.After(5 * time.Second):
				}
			},
			extra: []string{"--timeout", "300ms"}, code: 1, url: adv, reason: "timed out after 300ms"},
		{name: "connection reset mid-body", path: "/xsa/advisory-26.txt",
			fault: func(w http.ResponseWriter, r *http.Request) {
				conn, buf, err := w.(http.Hijacker).Hijack()
				if err != nil {
					return
				}
				fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5000\r\n\r\n-----BEGIN PGP SIGNED")
				buf.Flush()
				if tc, ok := conn.(*net.TCPConn); ok {
					tc.SetLinger(0) // RST, not FIN
				}
				conn.Close()
			},
			code: 1, url: adv, reason: "EOF|reset"},
		{name: "truncated advisory", path: "/xsa/advisory-26.txt",
			fault: text("text/plain", advisory("advisory-26.txt")[:900]),
			code:  1, url: adv, reason: "layout drift"},
		{name: "windows-1252 page", path: "/xsa/advisory-26.txt",
			fault: text("text/plain; charset=windows-1252", []byte(strings.Replace(string(advisory("advisory-26.txt")),
				"ISSUE DESCRIPTION\n=================\n", "ISSUE DESCRIPTION\n=================\n\nR\xe9sum\xe9 \x96 see below.\n", 1))),
			code: 0,
			check: func(t *testing.T, db string) {
				got := queryRows(t, db, `SELECT json_extract(sections, '$[1].text') AS s FROM advisories WHERE id = 'XSA-26'`)[0]["s"].(string)
				if !strings.HasPrefix(got, "Résumé – see below.") {
					t.Errorf("windows-1252 text stored as %q", got)
				}
			}},
		{name: "invalid UTF-8", path: "/xsa/advisory-26.txt",
			fault: text("text/plain; charset=utf-8", []byte(strings.Replace(string(advisory("advisory-26.txt")),
				"ISSUE DESCRIPTION\n=================\n", "ISSUE DESCRIPTION\n=================\n\nbad \xff\xfe bytes\n", 1))),
			code: 0,
			check: func(t *testing.T, db string) {
				got := queryRows(t, db, `SELECT json_extract(sections, '$[1].text') AS s FROM advisories WHERE id = 'XSA-26'`)[0]["s"].(string)
				if !strings.HasPrefix(got, "bad \uFFFD") {
					t.Errorf("invalid UTF-8 stored as %q", got)
				}
			}},
		{name: "malformed HTML index", path: "/xsa/",
			fault: text("text/html", []byte("<html><body><table><tr><td>XSA-<<<</td></tr><tr><<td>broken")),
			code:  1, url: "https://xenbits.xen.org/xsa/", reason: "no XSA rows found"},
		{name: "empty 200", path: "/xsa/advisory-26.txt", fault: text("text/plain", nil),
			code: 1, url: adv, reason: "layout drift"},
		{name: "body over the size limit", path: "/xsa/advisory-26.txt",
			fault: text("text/plain", append(advisory("advisory-26.txt"), []byte(strings.Repeat("\n", 40000))...)),
			extra: []string{"--max-body", "32768"}, code: 1, url: adv, reason: "exceeds size limit"},
		{name: "redirect loop", path: "/xsa/advisory-26.txt",
			fault: func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, "/xsa/advisory-26.txt?loop="+fmt.Sprint(time.Now().UnixNano()), http.StatusFound)
			},
			code: 1, url: adv, reason: "redirect"},
		{name: "redirect to a foreign domain", path: "/xsa/advisory-26.txt",
			fault: func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, "https://attacker.example/advisory-26.txt", http.StatusFound)
			},
			code: 1, url: adv, reason: "attacker.example"},
		{name: "wrong content type", path: "/xsa/xsa.json",
			fault: text("text/html", []byte("<html><body><form>Please sign in</form></body></html>")),
			code:  1, url: "https://xenbits.xen.org/xsa/xsa.json", reason: "layout drift"},
		{name: "robots.txt disallows a path", robots: "User-agent: *\nDisallow: /xsa/advisory-26.txt\n",
			code: 1, url: adv, reason: "disallowed by robots.txt"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s, srv := newSite(t)
			db := filepath.Join(t.TempDir(), "pw.db")
			if code, _, errs := runCmd(t, liveArgs(db, srv)...); code != 0 {
				t.Fatalf("good harvest: exit %d: %s", code, errs)
			}
			before := tableCounts(t, db)
			switch {
			case c.path == "*":
				s.fault("/robots.txt", http.NotFound)
				for _, p := range []string{"/xsa/", "/xsa/xsa.json"} {
					s.fault(p, c.fault)
				}
				entries, _ := filepath.Glob(filepath.Join(s.root, "xsa", "advisory-*.txt"))
				for _, e := range entries {
					s.fault("/xsa/"+filepath.Base(e), c.fault)
				}
			case c.path != "":
				s.fault(c.path, c.fault)
			}
			if c.robots != "" {
				s.fault("/robots.txt", text("text/plain", []byte(c.robots)))
			}
			done := make(chan struct{})
			var code int
			var errs string
			go func() {
				defer close(done)
				code, _, errs = runCmd(t, liveArgs(db, srv, c.extra...)...)
			}()
			select {
			case <-done:
			case <-time.After(60 * time.Second):
				t.Fatal("harvest hung")
			}
			if code != c.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, c.code, errs)
			}
			if c.url != "" {
				rows := queryRows(t, db, `SELECT message FROM run_errors WHERE run_id = (SELECT max(id) FROM runs) AND url = '`+c.url+`'`)
				if len(rows) == 0 {
					t.Errorf("no ledger entry for %s; stderr:\n%s", c.url, errs)
				} else if msg := rows[0]["message"].(string); !mentionsAny(msg, c.reason) {
					t.Errorf("ledger says %q, want it to mention %q", msg, c.reason)
				}
			}
			after := tableCounts(t, db)
			for _, table := range []string{"advisories", "advisory_cves", "patches", "fixes", "fix_cves", "fix_patches"} {
				if before[table] != after[table] {
					t.Errorf("%s: %v rows before, %v after", table, before[table], after[table])
				}
			}
			if c.check != nil {
				c.check(t, db)
			}
		})
	}
}

// onceThen answers the first request with first and later ones from the
// recorded page.
func onceThen(first http.HandlerFunc) http.HandlerFunc {
	var once sync.Once
	return func(w http.ResponseWriter, r *http.Request) {
		served := false
		once.Do(func() { first(w, r); served = true })
		if !served {
			body, _ := os.ReadFile(filepath.Join(fixtures, "xenbits.xen.org", "xsa", "advisory-26.txt"))
			w.Write(body)
		}
	}
}

// TestKilledHarvestAndLock starts a real patchwatch process, holds it in
// the middle of its run, shows that a second harvest on the same database
// is refused at once with exit 2, kills the first with SIGKILL, checks the
// database, and runs again to completion.
func TestKilledHarvestAndLock(t *testing.T) {
	s, srv := newSite(t)
	s.mu.Lock()
	s.gate, s.gateOpen = make(chan struct{}), 8
	s.mu.Unlock()
	db := filepath.Join(t.TempDir(), "pw.db")

	// Small batches, so pages are committed before the kill.
	cmd := exec.Command(os.Args[0], liveArgs(db, srv, "--commit-every", "2")...)
	cmd.Env = append(os.Environ(), "PATCHWATCH_AS_MAIN=1")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.started: // a request is now held at the gate, mid-run
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("harvest never reached the gate; stderr:\n%s", stderr.String())
	}

	code, _, errs := runCmd(t, liveArgs(db, srv)...)
	if code != 2 || !strings.Contains(errs, "another patchwatch process") {
		t.Errorf("second harvest while the first runs: exit %d, stderr %q; want 2 and a clear message", code, errs)
	}

	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err == nil {
		t.Fatal("killed harvest exited cleanly")
	}
	conn, err := store.OpenReadOnly(db)
	if err != nil {
		t.Fatal(err)
	}
	var check string
	if err := conn.QueryRow(`PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		t.Errorf("integrity_check = %q, %v", check, err)
	}
	var stored int
	if err := conn.QueryRow(`SELECT count(*) FROM documents`).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	conn.Close()
	if stored == 0 {
		t.Errorf("nothing was committed before the kill; the test did not interrupt a run in progress")
	}

	s.mu.Lock()
	close(s.gate)
	s.gate = nil
	s.mu.Unlock()
	if code, _, errs := runCmd(t, liveArgs(db, srv)...); code != 0 {
		t.Fatalf("run after the kill: exit %d: %s", code, errs)
	}
	texts := recordedAdvisories(t, fixtures)
	if got := tableCounts(t, db)["fixes"]; got != float64(texts) {
		t.Errorf("fixes after recovery = %v, want %d", got, texts)
	}
	runs := queryRows(t, db, `SELECT status FROM runs ORDER BY id`)
	if diff := cmp.Diff([]map[string]any{{"status": "failed"}, {"status": "ok"}}, runs); diff != "" {
		t.Errorf("runs (-want +got): the killed run must be closed as failed\n%s", diff)
	}
	interrupted := queryRows(t, db, `SELECT count(*) AS n FROM run_errors WHERE run_id = 1 AND message LIKE 'interrupted%'`)
	if interrupted[0]["n"] != float64(1) {
		t.Errorf("the killed run has no 'interrupted' error")
	}
}

// mentionsAny reports whether msg contains, ignoring case, one of the
// "|"-separated alternatives.
func mentionsAny(msg, alternatives string) bool {
	for _, a := range strings.Split(alternatives, "|") {
		if strings.Contains(strings.ToLower(msg), strings.ToLower(a)) {
			return true
		}
	}
	return false
}
