package scrapers

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/patchwatch/patchwatch/normalize"
)

// echoSource is a minimal Source for exercising the harvest machinery: every
// page becomes one advisory whose title is the page body, and "next:" lines
// are followed.
type echoSource struct {
	seeds   []string
	domains []string
}

func (s echoSource) Name() string        { return "echo" }
func (s echoSource) Description() string { return "test source" }
func (s echoSource) Seeds() []string     { return s.seeds }
func (s echoSource) Domains() []string   { return s.domains }
func (s echoSource) Parse(p Page) (Parsed, error) {
	body := strings.TrimSpace(string(p.Body))
	if body == "" {
		return Parsed{}, errors.New("empty page")
	}
	var out Parsed
	var title []string
	for _, line := range strings.Split(body, "\n") {
		if next, ok := strings.CutPrefix(line, "next:"); ok {
			out.Follow = append(out.Follow, next)
			continue
		}
		title = append(title, line)
	}
	out.Advisories = []normalize.Advisory{{
		ID: "T-" + strings.Trim(p.URL.Path, "/"), Vendor: "echo", Status: normalize.StatusPublished,
		Title: strings.Join(title, " "), URL: p.URL.String(),
	}}
	return out, nil
}

// memSink keeps what the harvester hands it.
type memSink struct {
	mu       sync.Mutex
	pages    map[string]normalize.Result
	fetched  map[string]Fetched
	unparsed []string
}

func newMemSink() *memSink {
	return &memSink{pages: map[string]normalize.Result{}, fetched: map[string]Fetched{}}
}

func (m *memSink) SavePage(_ context.Context, f Fetched, res normalize.Result) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.pages[f.URL] = res
	m.fetched[f.URL] = f
	return nil
}

func (m *memSink) State(_ context.Context, u string) (PageState, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	f, ok := m.fetched[u]
	if !ok {
		return PageState{}, nil
	}
	sum := sha256.Sum256(f.Body)
	return PageState{Known: true, SHA256: hex.EncodeToString(sum[:]), ETag: f.ETag, LastModified: f.LastModified,
		LastFetched: f.FetchedAt, Links: f.Links}, nil
}

func (m *memSink) Records(_ context.Context, u string) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.pages[u].Advisories), nil
}

func (m *memSink) SaveUnparsed(_ context.Context, f Fetched) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.unparsed = append(m.unparsed, f.URL)
	return nil
}

// loopback points every request at a test server whatever the URL's host,
// so records keep real URLs: the transport is swapped, not the URL.
func loopback(srv *httptest.Server) http.RoundTripper {
	addr := srv.Listener.Addr().String()
	t := srv.Client().Transport.(*http.Transport).Clone()
	t.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}
	// The test certificate names example.com, not the vendor hosts.
	t.TLSClientConfig.InsecureSkipVerify = true
	return t
}

func testConfig(srv *httptest.Server) Config {
	return Config{
		Base:         loopback(srv),
		Delay:        time.Millisecond,
		Timeout:      10 * time.Second,
		Retries:      2,
		RetryWaitMin: time.Millisecond,
		RetryWaitMax: 5 * time.Millisecond,
	}
}

func harvest(t *testing.T, cfg Config, src Source) (Report, *memSink) {
	t.Helper()
	f, err := NewFetcher(cfg)
	if err != nil {
		t.Fatal(err)
	}
	sink := newMemSink()
	h := &Harvester{Fetcher: f, Sink: sink, Now: func() time.Time { return time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC) }}
	reps := h.Run(context.Background(), []Source{src})
	return reps[0], sink
}

// title returns the title stored for u, or "" when u was not stored.
func (m *memSink) title(u string) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if a := m.pages[u].Advisories; len(a) > 0 {
		return a[0].Title
	}
	return ""
}

func errorURLs(r Report) map[string]string {
	out := map[string]string{}
	for _, e := range r.Errors {
		out[e.URL] = e.Error()
	}
	return out
}

func TestHarvestPoliteRequests(t *testing.T) {
	var mu sync.Mutex
	var agents []string
	mux := http.NewServeMux()
	mux.HandleFunc("/robots.txt", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "User-agent: *\nDisallow: /private/\n")
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		agents = append(agents, r.Header.Get("User-Agent"))
		mu.Unlock()
		switch r.URL.Path {
		case "/index":
			fmt.Fprint(w, "index\nnext:https://vendor.example/a\nnext:https://vendor.example/private/b\nnext:https://elsewhere.example/c\nnext:https://vendor.example/a")
		case "/a":
			fmt.Fprint(w, "page a")
		default:
			http.NotFound(w, r)
		}
	})
	srv := httptest.NewTLSServer(mux)
	defer srv.Close()

	rep, sink := harvest(t, testConfig(srv), echoSource{seeds: []string{"https://vendor.example/index"}, domains: []string{"vendor.example"}})

	if rep.Pages != 2 || rep.Failed != 2 {
		t.Errorf("pages=%d failed=%d, want 2 stored and 2 refused; errors: %v", rep.Pages, rep.Failed, rep.Errors)
	}
	errs := errorURLs(rep)
	if !strings.Contains(errs["https://vendor.example/private/b"], "robots.txt") {
		t.Errorf("robots.txt disallowed page not refused: %v", errs)
	}
	if !strings.Contains(errs["https://elsewhere.example/c"], "not among the source's domains") {
		t.Errorf("foreign domain not refused: %v", errs)
	}
	if got := sink.title("https://vendor.example/a"); got != "page a" {
		t.Errorf("page a stored with title %q", got)
	}
	want := "patchwatch/" + Version + " (+https://github.com/patchwatch/patchwatch)"
	for _, ua := range agents {
		if ua != want {
			t.Errorf("user agent %q, want %q", ua, want)
		}
	}
	if len(agents) != 2 {
		t.Errorf("server saw %d page requests, want 2 (index, a): the disallowed, foreign and repeated URLs must not be fetched", len(agents))
	}
}

func TestHarvestRetries(t *testing.T) {
	var flaky, gone, limited atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("/flaky", func(w http.ResponseWriter, r *http.Request) {
		if flaky.Add(1) < 3 {
			http.Error(w, "try later", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprint(w, "flaky ok")
	})
	mux.HandleFunc("/limited", func(w http.ResponseWriter, r *http.Request) {
		if limited.Add(1) == 1 {
			w.Header().Set("Retry-After", "0")
			http.Error(w, "slow down", http.StatusTooManyRequests)
			return
		}
		fmt.Fprint(w, "limited ok")
	})
	mux.HandleFunc("/gone", func(w http.ResponseWriter, r *http.Request) {
		gone.Add(1)
		http.Error(w, "no such page", http.StatusNotFound)
	})
	mux.HandleFunc("/broken", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "boom", http.StatusInternalServerError)
	})
	srv := httptest.NewTLSServer(mux)
	defer srv.Close()

	src := echoSource{domains: []string{"vendor.example"}, seeds: []string{
		"https://vendor.example/flaky", "https://vendor.example/limited",
		"https://vendor.example/gone", "https://vendor.example/broken",
	}}
	rep, sink := harvest(t, testConfig(srv), src)

	if _, ok := sink.pages["https://vendor.example/flaky"]; !ok {
		t.Errorf("503 twice then 200 was not retried to success; errors: %v", rep.Errors)
	}
	if _, ok := sink.pages["https://vendor.example/limited"]; !ok {
		t.Errorf("429 with Retry-After was not retried; errors: %v", rep.Errors)
	}
	if n := gone.Load(); n != 1 {
		t.Errorf("404 was requested %d times, want 1 (no retry on 4xx)", n)
	}
	statuses := map[string]int{}
	for _, e := range rep.Errors {
		statuses[e.URL] = e.Status
	}
	want := map[string]int{"https://vendor.example/gone": 404, "https://vendor.example/broken": 500}
	if diff := cmp.Diff(want, statuses); diff != "" {
		t.Errorf("failed pages and statuses (-want +got):\n%s", diff)
	}
}

func TestHarvestBodyLimitFailsLoudly(t *testing.T) {
	big := strings.Repeat("x", 2048)
	mux := http.NewServeMux()
	mux.HandleFunc("/announced", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, big) })
	mux.HandleFunc("/chunked", func(w http.ResponseWriter, r *http.Request) {
		// Flushing first forces chunked encoding: no Content-Length.
		w.(http.Flusher).Flush()
		fmt.Fprint(w, big)
	})
	mux.HandleFunc("/exact", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, big[:1024]) })
	srv := httptest.NewTLSServer(mux)
	defer srv.Close()

	cfg := testConfig(srv)
	cfg.MaxBodyBytes = 1024
	rep, sink := harvest(t, cfg, echoSource{domains: []string{"vendor.example"}, seeds: []string{
		"https://vendor.example/announced", "https://vendor.example/chunked", "https://vendor.example/exact",
	}})
	errs := errorURLs(rep)
	for _, u := range []string{"https://vendor.example/announced", "https://vendor.example/chunked"} {
		if !strings.Contains(errs[u], "exceeds size limit") {
			t.Errorf("%s: want a size-limit error, got %q", u, errs[u])
		}
		if _, stored := sink.pages[u]; stored {
			t.Errorf("%s: an oversized page was stored (truncated?)", u)
		}
	}
	if got := len(sink.title("https://vendor.example/exact")); got != 1024 {
		t.Errorf("a body of exactly the limit was cut to %d bytes", got)
	}
}

func TestHarvestConvertsCharset(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/latin1", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=iso-8859-1")
		w.Write([]byte("Citrix XenServer \xae caf\xe9")) // ® and é in Latin-1
	})
	mux.HandleFunc("/undeclared", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte("<p>na\xefve</p>")) // not UTF-8, no charset: Windows-1252
	})
	srv := httptest.NewTLSServer(mux)
	defer srv.Close()

	_, sink := harvest(t, testConfig(srv), echoSource{domains: []string{"vendor.example"}, seeds: []string{
		"https://vendor.example/latin1", "https://vendor.example/undeclared",
	}})
	want := map[string]string{
		"https://vendor.example/latin1":     "Citrix XenServer ® café",
		"https://vendor.example/undeclared": "<p>naïve</p>",
	}
	for u, w := range want {
		if got := sink.title(u); got != w {
			t.Errorf("%s: title %q, want %q", u, got, w)
		}
		if ct := sink.fetched[u].ContentType; !strings.HasSuffix(ct, "charset=utf-8") {
			t.Errorf("%s: stored content type %q does not say utf-8", u, ct)
		}
	}
}

func TestHarvestRedirectOutsideDomainsRefused(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/moved", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "https://evil.example/page", http.StatusFound)
	})
	srv := httptest.NewTLSServer(mux)
	defer srv.Close()
	rep, sink := harvest(t, testConfig(srv), echoSource{domains: []string{"vendor.example"}, seeds: []string{"https://vendor.example/moved"}})
	if len(sink.pages) != 0 || rep.Failed != 1 {
		t.Fatalf("redirect to a foreign host: stored %v, failed %d", sink.pages, rep.Failed)
	}
	if msg := rep.Errors[0].Error(); !strings.Contains(msg, "evil.example") {
		t.Errorf("error %q does not name the redirect target", msg)
	}
}

func TestReplay(t *testing.T) {
	dir := t.TempDir()
	write := func(rel, body string) {
		t.Helper()
		name := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(name, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("vendor.example/list/index.html", "list\nnext:https://vendor.example/item?id=7\nnext:https://vendor.example/missing.txt\nnext:https://vendor.example/empty.txt")
	write("vendor.example/item?id=7", "item seven")
	write("vendor.example/empty.txt", "")

	rep, sink := harvest(t, Config{ReplayDir: dir}, echoSource{domains: []string{"vendor.example"}, seeds: []string{"https://vendor.example/list/"}})

	var stored []string
	for u := range sink.pages {
		stored = append(stored, u)
	}
	if diff := cmp.Diff([]string{"https://vendor.example/item?id=7", "https://vendor.example/list/"}, stored,
		cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
		t.Errorf("stored pages (-want +got):\n%s", diff)
	}
	errs := errorURLs(rep)
	if got := errs["https://vendor.example/missing.txt"]; !strings.Contains(got, "not recorded: https://vendor.example/missing.txt") {
		t.Errorf("missing page error = %q", got)
	}
	if got := errs["https://vendor.example/empty.txt"]; !strings.Contains(got, "parse: empty page") {
		t.Errorf("empty page error = %q", got)
	}
	if diff := cmp.Diff([]string{"https://vendor.example/empty.txt"}, sink.unparsed); diff != "" {
		t.Errorf("unparsed pages kept (-want +got):\n%s", diff)
	}
}

func TestRecordThenReplay(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/dir/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "dir page\nnext:https://vendor.example/dir/page.txt?v=2")
	})
	mux.HandleFunc("/dir/page.txt", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "page v2") })
	srv := httptest.NewTLSServer(mux)
	defer srv.Close()
	dir := t.TempDir()
	cfg := testConfig(srv)
	cfg.RecordDir = dir
	src := echoSource{domains: []string{"vendor.example"}, seeds: []string{"https://vendor.example/dir/"}}
	live, _ := harvest(t, cfg, src)
	if live.Pages != 2 {
		t.Fatalf("live run stored %d pages, errors %v", live.Pages, live.Errors)
	}
	for _, rel := range []string{"vendor.example/dir/index.html", "vendor.example/dir/page.txt?v=2"} {
		if _, err := os.Stat(filepath.Join(dir, rel)); err != nil {
			t.Errorf("record did not write %s: %v", rel, err)
		}
	}
	srv.Close() // replay must not need the server
	replayed, sink := harvest(t, Config{ReplayDir: dir}, src)
	if replayed.Pages != 2 || replayed.Failed != 0 {
		t.Fatalf("replay: %d pages, errors %v", replayed.Pages, replayed.Errors)
	}
	if got := sink.title("https://vendor.example/dir/page.txt?v=2"); got != "page v2" {
		t.Errorf("replayed title %q", got)
	}
}

func TestRecordedPath(t *testing.T) {
	cases := []struct {
		url, want string
	}{
		{"https://xenbits.xen.org/xsa/advisory-355.txt", "d/xenbits.xen.org/xsa/advisory-355.txt"},
		{"https://xenbits.xen.org/xsa/", "d/xenbits.xen.org/xsa/index.html"},
		{"https://example.com", "d/example.com/index.html"},
		{"https://example.com/a?x=1&y=2", "d/example.com/a?x=1&y=2"},
		{"https://example.com/a/../../etc/passwd", "error"},
		{"https://example.com/xsa/index.html?q=/../../../../tmp/x", "d/example.com/xsa/index.html?q=%2F..%2F..%2F..%2F..%2Ftmp%2Fx"},
		{"https://example.com/?q=..", "d/example.com/index.html?q=.."},
	}
	for _, c := range cases {
		u, err := url.Parse(c.url)
		if err != nil {
			t.Fatal(err)
		}
		got, err := RecordedPath("d", u)
		if err != nil {
			got = "error"
		}
		if got != filepath.FromSlash(c.want) {
			t.Errorf("RecordedPath(%s) = %q, want %q", c.url, got, c.want)
		}
	}
}

// TestRecordStaysInsideDir records a page whose links and redirects carry
// "/../" in their query strings: nothing may be written outside the record
// directory.
func TestRecordStaysInsideDir(t *testing.T) {
	const escape = "?q=/../../../../escaped"
	mux := http.NewServeMux()
	mux.HandleFunc("/list", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "list\nnext:https://vendor.example/xsa/index.html"+escape+"\nnext:https://vendor.example/moved")
	})
	mux.HandleFunc("/moved", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/xsa/other.html"+escape, http.StatusFound)
	})
	mux.HandleFunc("/xsa/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "overwritten") })
	srv := httptest.NewTLSServer(mux)
	defer srv.Close()
	base := t.TempDir()
	cfg := testConfig(srv)
	cfg.RecordDir = filepath.Join(base, "rec")
	rep, _ := harvest(t, cfg, echoSource{domains: []string{"vendor.example"}, seeds: []string{"https://vendor.example/list"}})
	if rep.Pages != 3 {
		t.Errorf("stored %d pages, want 3; errors %v", rep.Pages, rep.Errors)
	}
	if _, err := os.Stat(filepath.Join(base, "escaped")); err == nil {
		t.Fatalf("a query string's /../ wrote %s, outside the record directory", filepath.Join(base, "escaped"))
	}
	for _, rel := range []string{"vendor.example/xsa/index.html?q=%2F..%2F..%2F..%2F..%2Fescaped", "vendor.example/xsa/other.html?q=%2F..%2F..%2F..%2F..%2Fescaped"} {
		if _, err := os.Stat(filepath.Join(cfg.RecordDir, rel)); err != nil {
			t.Errorf("page not recorded inside the directory: %v", err)
		}
	}
}

// TestReplayStaysInsideDir replays a page linking to "?x=/../../../secret"
// and to a symbolic link out of the directory: neither may be read.
func TestReplayStaysInsideDir(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "replay")
	if err := os.MkdirAll(filepath.Join(dir, "vendor.example"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(base, "secret"), []byte("secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "vendor.example", "list"), []byte("list\nnext:https://vendor.example/x?x=/../../../secret\nnext:https://vendor.example/link"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(base, "secret"), filepath.Join(dir, "vendor.example", "link")); err != nil {
		t.Fatal(err)
	}
	rep, sink := harvest(t, Config{ReplayDir: dir}, echoSource{domains: []string{"vendor.example"}, seeds: []string{"https://vendor.example/list"}})
	for u, f := range sink.fetched {
		if strings.Contains(string(f.Body), "secret") && u != "https://vendor.example/list" {
			t.Errorf("%s replayed a file outside the directory: %q", u, f.Body)
		}
	}
	if rep.Failed != 2 {
		t.Errorf("failed %d pages, want 2; errors %v", rep.Failed, rep.Errors)
	}
}

// TestHarvestBodyLimitCountsDecodedBytes serves 4 MB of text gzipped to a
// few kilobytes under every spelling colly would decode: the size limit
// must apply to the decoded body, and a small compressed page must still
// arrive decoded.
func TestHarvestBodyLimitCountsDecodedBytes(t *testing.T) {
	gz := func(s string) []byte {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		zw.Write([]byte(s))
		zw.Close()
		return b.Bytes()
	}
	bomb, small := gz(strings.Repeat("a", 4<<20)), gz("small page")
	serve := func(ce, ct string, body []byte) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if ce != "" {
				w.Header().Set("Content-Encoding", ce)
			}
			w.Header().Set("Content-Type", ct)
			w.Write(body)
		}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/x-gzip", serve("x-gzip", "text/plain", bomb))
	mux.HandleFunc("/gzip-identity", serve("gzip, identity", "text/plain", bomb))
	mux.HandleFunc("/application-x-gzip", serve("", "application/x-gzip", bomb))
	mux.HandleFunc("/gzip", serve("gzip", "text/plain", bomb))
	mux.HandleFunc("/small", serve("x-gzip", "text/plain", small))
	var notGzip atomic.Int32
	mux.HandleFunc("/not-gzip", func(w http.ResponseWriter, r *http.Request) {
		notGzip.Add(1)
		serve("x-gzip", "text/plain", []byte("plain text"))(w, r)
	})
	mux.HandleFunc("/layers", serve("gzip, gzip, gzip", "text/plain", gz(string(gz(string(small))))))
	srv := httptest.NewTLSServer(mux)
	defer srv.Close()

	cfg := testConfig(srv)
	cfg.MaxBodyBytes = 64 << 10
	big := []string{"https://vendor.example/x-gzip", "https://vendor.example/gzip-identity",
		"https://vendor.example/application-x-gzip", "https://vendor.example/gzip"}
	rep, sink := harvest(t, cfg, echoSource{domains: []string{"vendor.example"}, seeds: append(big,
		"https://vendor.example/small", "https://vendor.example/not-gzip", "https://vendor.example/layers")})
	errs := errorURLs(rep)
	if got := errs["https://vendor.example/not-gzip"]; !strings.Contains(got, "bad content encoding") || notGzip.Load() != 1 {
		t.Errorf("a body that is not gzip: error %q after %d requests, want a bad encoding and no retry", got, notGzip.Load())
	}
	if got := errs["https://vendor.example/layers"]; !strings.Contains(got, "3 gzip layers") {
		t.Errorf("three stacked gzip layers: error %q, want them refused", got)
	}
	for _, u := range big {
		if !strings.Contains(errs[u], "exceeds size limit") {
			t.Errorf("%s: want a size-limit error, got %q", u, errs[u])
		}
		if f, stored := sink.fetched[u]; stored {
			t.Errorf("%s: a body inflating past the limit was stored (%d bytes)", u, len(f.Body))
		}
	}
	if got := sink.title("https://vendor.example/small"); got != "small page" {
		t.Errorf("x-gzip page under the limit: title %q, want it decoded", got)
	}
}

// stuckSource parses like echoSource, except that a page whose path is
// /stuck does not finish until release is closed.
type stuckSource struct {
	echoSource
	release chan struct{}
}

func (s stuckSource) Parse(p Page) (Parsed, error) {
	if p.URL.Path == "/stuck" {
		<-s.release
	}
	return s.echoSource.Parse(p)
}

// TestHarvestParseTimeout: a page whose parsing outlasts the parse limit
// is a failed page, recorded as too slow, and the harvest goes on with the
// pages after it.
func TestHarvestParseTimeout(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/index", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "index\nnext:https://vendor.example/stuck\nnext:https://vendor.example/after")
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "page "+r.URL.Path) })
	srv := httptest.NewTLSServer(mux)
	defer srv.Close()
	src := stuckSource{echoSource{domains: []string{"vendor.example"}, seeds: []string{"https://vendor.example/index"}}, make(chan struct{})}
	defer close(src.release)
	cfg := testConfig(srv)
	cfg.ParseTimeout = 50 * time.Millisecond
	cfg.Parallel = 1
	rep, sink := harvest(t, cfg, src)
	errs := errorURLs(rep)
	if got := errs["https://vendor.example/stuck"]; !strings.Contains(got, "parse too slow") || !strings.Contains(got, "took longer than 50ms") {
		t.Errorf("stuck page error = %q, want it recorded as too slow", got)
	}
	if got := sink.title("https://vendor.example/after"); got != "page /after" {
		t.Errorf("the page after the stuck one was not stored (title %q); errors %v", got, rep.Errors)
	}
}

// TestHarvestHonoursRetryAfter measures, at the server, the pause between
// a 429 carrying "Retry-After: 1" and the retry: it must be at least the
// second asked for. A Retry-After longer than RetryWaitMax is cut to it,
// so a hostile server cannot stall the harvest for an hour.
func TestHarvestHonoursRetryAfter(t *testing.T) {
	var mu sync.Mutex
	seen := map[string][]time.Time{}
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen[r.URL.Path] = append(seen[r.URL.Path], time.Now())
		n := len(seen[r.URL.Path])
		mu.Unlock()
		if n == 1 {
			w.Header().Set("Retry-After", strings.TrimPrefix(r.URL.Path, "/after-"))
			http.Error(w, "slow down", http.StatusTooManyRequests)
			return
		}
		fmt.Fprint(w, "ok "+r.URL.Path)
	})
	srv := httptest.NewTLSServer(mux)
	defer srv.Close()
	for _, c := range []struct {
		retryAfter     string
		waitMax        time.Duration
		atLeast, below time.Duration
	}{
		{"1", 10 * time.Second, time.Second, 10 * time.Second},
		{"3600", 50 * time.Millisecond, 50 * time.Millisecond, time.Minute},
	} {
		cfg := testConfig(srv)
		cfg.RetryWaitMax = c.waitMax
		u := "https://vendor.example/after-" + c.retryAfter
		rep, sink := harvest(t, cfg, echoSource{domains: []string{"vendor.example"}, seeds: []string{u}})
		if got := sink.title(u); got != "ok /after-"+c.retryAfter {
			t.Fatalf("Retry-After %s: page not stored after the retry (title %q); errors %v", c.retryAfter, got, rep.Errors)
		}
		mu.Lock()
		times := seen["/after-"+c.retryAfter]
		mu.Unlock()
		if gap := times[1].Sub(times[0]); gap < c.atLeast || gap >= c.below {
			t.Errorf("Retry-After %s with RetryWaitMax %s: retried after %s, want at least %s and under %s", c.retryAfter, c.waitMax, gap, c.atLeast, c.below)
		}
	}
}

// TestHarvestFollowsOnlyPlainHTTPLinks: links on the source's own host with
// another scheme, or with credentials, are refused and recorded (the
// password masked), never requested, even through a mirror, and no
// Authorization header is ever sent.
func TestHarvestFollowsOnlyPlainHTTPLinks(t *testing.T) {
	var mu sync.Mutex
	var paths, auths []string
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths = append(paths, r.URL.Path)
		if a := r.Header.Get("Authorization"); a != "" {
			auths = append(auths, a)
		}
		mu.Unlock()
		if r.URL.Path == "/index" {
			fmt.Fprint(w, "index\nnext:ftp://vendor.example/ftp\nnext:gopher://vendor.example/gopher\nnext:file://vendor.example/etc/passwd\nnext:https://user:s3cret@vendor.example/secret\nnext:https://vendor.example/plain")
			return
		}
		fmt.Fprint(w, "page "+r.URL.Path)
	})
	srv := httptest.NewTLSServer(mux)
	defer srv.Close()
	mirror, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(srv)
	cfg.Mirrors = map[string]*url.URL{"vendor.example": mirror}
	rep, sink := harvest(t, cfg, echoSource{domains: []string{"vendor.example"}, seeds: []string{"https://vendor.example/index"}})

	if got := sink.title("https://vendor.example/plain"); got != "page /plain" {
		t.Errorf("plain link not followed: title %q; errors %v", got, rep.Errors)
	}
	mu.Lock()
	defer mu.Unlock()
	if diff := cmp.Diff([]string{"/index", "/plain"}, paths, cmpopts.IgnoreSliceElements(func(p string) bool { return p == "/robots.txt" })); diff != "" {
		t.Errorf("paths requested (-want +got):\n%s", diff)
	}
	if len(auths) != 0 {
		t.Errorf("credentials sent: %q", auths)
	}
	errs := errorURLs(rep)
	for _, u := range []string{"ftp://vendor.example/ftp", "gopher://vendor.example/gopher", "file://vendor.example/etc/passwd", "https://user:xxxxx@vendor.example/secret"} {
		if !strings.Contains(errs[u], "refusing to follow") {
			t.Errorf("%s: error %q, want it refused", u, errs[u])
		}
	}
	for _, e := range rep.Errors {
		if strings.Contains(e.Error(), "s3cret") {
			t.Errorf("the ledger would show the password: %v", e)
		}
	}
}

// TestHarvestDropsNULFromRecords: a NUL byte in a page's text reaches no
// stored record, however deep the field.
func TestHarvestDropsNULFromRecords(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/nul", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprint(w, "Xen\x00 security\x00 advisory")
	})
	srv := httptest.NewTLSServer(mux)
	defer srv.Close()
	_, sink := harvest(t, testConfig(srv), echoSource{domains: []string{"vendor.example"}, seeds: []string{"https://vendor.example/nul"}})
	if got := sink.title("https://vendor.example/nul"); got != "Xen security advisory" {
		t.Errorf("title stored as %q, want the NULs dropped", got)
	}

	p := Parsed{Result: normalize.Result{
		Advisories: []normalize.Advisory{{ID: "A\x00", Sections: []normalize.Section{{Title: "1.\x00", Text: "t\x00ext"}}}},
		Fixes:      []normalize.Fix{{Remedies: []normalize.Remedy{{Product: "E\x00SXi"}}, CVEs: []string{"CVE-2024-0001\x00"}}},
	}, Follow: []string{"https://vendor.example/\x00"}}
	scrubNUL(&p)
	if b, _ := json.Marshal(p); strings.Contains(string(b), `\u0000`) {
		t.Errorf("scrubNUL left a NUL: %s", b)
	}
}

// TestRecordThenReplayGzip: a gzipped page is recorded decoded, and
// replays as it was harvested live, not decoded a second time.
func TestRecordThenReplayGzip(t *testing.T) {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write([]byte("feed contents"))
	zw.Close()
	mux := http.NewServeMux()
	mux.HandleFunc("/feed.xml.gz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-gzip")
		w.Write(b.Bytes())
	})
	srv := httptest.NewTLSServer(mux)
	defer srv.Close()
	cfg := testConfig(srv)
	cfg.RecordDir = t.TempDir()
	src := echoSource{domains: []string{"vendor.example"}, seeds: []string{"https://vendor.example/feed.xml.gz"}}
	_, live := harvest(t, cfg, src)
	_, replayed := harvest(t, Config{ReplayDir: cfg.RecordDir}, src)
	for name, sink := range map[string]*memSink{"live": live, "replay": replayed} {
		if got := sink.title("https://vendor.example/feed.xml.gz"); got != "feed contents" {
			t.Errorf("%s: title %q, want the decoded feed", name, got)
		}
	}
}
