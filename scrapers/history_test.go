package scrapers

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/patchwatch/patchwatch/normalize"
)

// pageSource parses example.com/p/N pages: one patch named by the body,
// and links written as "-> URL" lines.
type pageSource struct{}

func (pageSource) Name() string        { return "test" }
func (pageSource) Description() string { return "test pages" }
func (pageSource) Seeds() []string     { return nil }
func (pageSource) Domains() []string   { return []string{"example.com"} }
func (pageSource) HistorySeeds() []HistorySeed {
	return []HistorySeed{{URL: "http://example.com/p/1", Note: "the first page"}}
}

func (pageSource) Parse(p Page) (Parsed, error) {
	var out Parsed
	for _, line := range strings.Split(string(p.Body), "\n") {
		if link, ok := strings.CutPrefix(line, "-> "); ok {
			out.Follow = append(out.Follow, link)
		}
		if id, ok := strings.CutPrefix(line, "patch "); ok {
			out.Patches = append(out.Patches, normalize.Patch{ID: id, Vendor: "test", Product: "P", Released: "2007-11-15"})
		}
	}
	return out, nil
}

// memorySink keeps a history run in memory.
type memorySink struct {
	mu       sync.Mutex
	held     map[string][]string // url + digest → links
	stored   []string            // "url capture-time archive-url"
	listings map[string][3]any
}

func newMemorySink() *memorySink {
	return &memorySink{held: map[string][]string{}, listings: map[string][3]any{}}
}

func (m *memorySink) HaveCapture(_ context.Context, url, digest string) (bool, []string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	links, ok := m.held[url+" "+digest]
	return ok, links, nil
}

func (m *memorySink) SaveCapture(_ context.Context, a Archived, _ normalize.Result) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.held[a.URL+" "+a.Digest] = a.Links
	m.stored = append(m.stored, fmt.Sprintf("%s %s %s", a.URL, a.CapturedAt.Format(time.RFC3339), a.ArchiveURL))
	return nil
}

func (m *memorySink) SaveUnparsedCapture(_ context.Context, a Archived) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.held[a.URL+" "+a.Digest] = nil
	m.stored = append(m.stored, fmt.Sprintf("%s unparsed: %s", a.URL, a.ParseError))
	return nil
}

func (m *memorySink) ListingProgress(_ context.Context, q string) (string, int, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	l, ok := m.listings[q]
	if !ok {
		return "", 0, false, nil
	}
	return l[0].(string), l[1].(int), l[2].(bool), nil
}

func (m *memorySink) SaveListingProgress(_ context.Context, q, key string, n int, done bool) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.listings[q] = [3]any{key, n, done}
	return nil
}

// TestHistoryHarvester runs a history harvest against a loopback archive:
// page 1's capture links page 2, whose capture redirects to the nearest
// timestamp, and page 3 (off the source's domains) is never asked about. A
// second run asks for no capture.
func TestHistoryHarvester(t *testing.T) {
	var mu sync.Mutex
	captureHits := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		if strings.HasPrefix(r.URL.Path, "/web/") {
			captureHits++
		}
		mu.Unlock()
		header := `[["urlkey","timestamp","original","mimetype","statuscode","digest","length"]`
		switch {
		case r.URL.Path == "/cdx/search/cdx" && r.URL.Query().Get("url") == "http://example.com/p/1":
			fmt.Fprint(w, header+`,["com,example)/p/1","20071130181207","http://example.com:80/p/1","text/html","200","AAAAAAAAAAAAAAAA","1"]]`)
		case r.URL.Path == "/cdx/search/cdx" && r.URL.Query().Get("url") == "http://example.com/p/2":
			fmt.Fprint(w, header+`,["com,example)/p/2","20071201000000","http://example.com/p/2","text/html","200","BBBBBBBBBBBBBBBB","1"]]`)
		case r.URL.Path == "/cdx/search/cdx":
			t.Errorf("listing asked for %s", r.URL.Query().Get("url"))
			fmt.Fprint(w, "[]")
		case r.URL.Path == "/web/20071130181207id_/http://example.com:80/p/1":
			fmt.Fprint(w, "patch P-1\n-> http://example.com/p/2\n-> http://elsewhere.example/p/3\n")
		case r.URL.Path == "/web/20071201000000id_/http://example.com/p/2":
			http.Redirect(w, r, "/web/20071203101010id_/http://example.com/p/2", http.StatusFound)
		case r.URL.Path == "/web/20071203101010id_/http://example.com/p/2":
			fmt.Fprint(w, "patch P-2\n")
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	a, _ := testArchive(t, srv, -1)
	sink := newMemorySink()
	h := &HistoryHarvester{Archive: a, Sink: sink}
	reps := h.Run(context.Background(), []Source{pageSource{}})
	want := []string{
		"http://example.com/p/1 2007-11-30T18:12:07Z https://web.archive.org/web/20071130181207id_/http://example.com:80/p/1",
		"http://example.com/p/2 2007-12-03T10:10:10Z https://web.archive.org/web/20071203101010id_/http://example.com/p/2",
	}
	if diff := cmp.Diff(want, sink.stored); diff != "" {
		t.Errorf("stored (-want +got):\n%s", diff)
	}
	if r := reps[0]; r.Stored != 2 || r.Patches != 2 || r.Failed != 0 || captureHits != 3 {
		t.Errorf("report %+v, %d capture requests; want 2 stored, 2 patches, 3 capture requests", r, captureHits)
	}
	reps = h.Run(context.Background(), []Source{pageSource{}})
	if r := reps[0]; r.Held != 2 || r.Stored != 0 || captureHits != 3 {
		t.Errorf("second run: report %+v, %d capture requests in all; want 2 held and no new request", r, captureHits)
	}
}
