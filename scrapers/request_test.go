package scrapers

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/patchwatch/patchwatch/normalize"
)

// postSource seeds a POST list: page N's body is {"page":N}; the list
// answer names the next request ("post:{...}") and detail pages
// ("next:URL@RFC3339", with their change time).
type postSource struct{ echoSource }

func (s postSource) SeedRequests() []Request {
	return []Request{{Method: "POST", URL: "https://vendor.example/list", ContentType: "application/json", Body: `{"page":0}`}}
}

func (s postSource) Parse(p Page) (Parsed, error) {
	if q, ok := RequestOf(p.URL); ok {
		var out Parsed
		out.Changed = map[string]time.Time{}
		for _, line := range strings.Split(strings.TrimSpace(string(p.Body)), "\n") {
			switch {
			case strings.HasPrefix(line, "post:"):
				next := Request{Method: q.Method, URL: q.URL, ContentType: "application/json", Body: strings.TrimPrefix(line, "post:")}
				out.Requests = append(out.Requests, next)
			case strings.HasPrefix(line, "next:"):
				u, at, _ := strings.Cut(strings.TrimPrefix(line, "next:"), "@")
				t, err := time.Parse(time.RFC3339, at)
				if err != nil {
					return Parsed{}, err
				}
				out.Follow = append(out.Follow, u)
				out.Changed[u] = t
			default:
				return Parsed{}, fmt.Errorf("%s: not a list line: %q", p.URL, line)
			}
		}
		out.Advisories = []normalize.Advisory{{ID: "L-" + q.Body, Vendor: "echo", Status: normalize.StatusPublished}}
		return out, nil
	}
	return s.echoSource.Parse(p)
}

func TestRequestKeyRoundTrip(t *testing.T) {
	q := Request{Method: "POST", URL: "https://vendor.example/a/list?x=1", Body: `{"page":1,"q":"a b#c"}`}
	k := q.Key()
	if canonical(k) != k {
		t.Errorf("key %q is not canonical: %q", k, canonical(k))
	}
	u, err := url.Parse(k)
	if err != nil {
		t.Fatal(err)
	}
	got, ok := RequestOf(u)
	if !ok {
		t.Fatalf("RequestOf(%s): not a request key", k)
	}
	if diff := cmp.Diff(Request{Method: "POST", URL: q.URL, Body: q.Body}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if u.Path != "/a/list" {
		t.Errorf("a parser dispatching on the path sees %q", u.Path)
	}
}

// TestPOSTRecordThenReplay: a POST is sent with its body, recorded under
// its URL plus a hash of the body (one file per body), replayed without
// the server, and its links are followed by their change signal.
func TestPOSTRecordThenReplay(t *testing.T) {
	var posts []string
	mux := http.NewServeMux()
	mux.HandleFunc("/list", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
			http.Error(w, "POST application/json only", http.StatusMethodNotAllowed)
			return
		}
		posts = append(posts, string(body))
		switch string(body) {
		case `{"page":0}`:
			fmt.Fprint(w, "next:https://vendor.example/a.txt@2026-01-02T00:00:00Z\npost:{\"page\":1}")
		case `{"page":1}`:
			fmt.Fprint(w, "next:https://vendor.example/b.txt@2026-01-01T00:00:00Z")
		default:
			http.Error(w, "no such page", http.StatusNotFound)
		}
	})
	mux.HandleFunc("/a.txt", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "page a") })
	mux.HandleFunc("/b.txt", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "page b") })
	srv := httptest.NewTLSServer(mux)
	defer srv.Close()
	dir := t.TempDir()
	cfg := testConfig(srv)
	cfg.RecordDir = dir
	src := postSource{echoSource{domains: []string{"vendor.example"}}}
	live, _ := harvest(t, cfg, src)
	if live.Pages != 4 || live.Failed != 0 {
		t.Fatalf("live run stored %d pages, errors %v", live.Pages, live.Errors)
	}
	if diff := cmp.Diff([]string{`{"page":0}`, `{"page":1}`}, posts); diff != "" {
		t.Errorf("POST bodies sent (-want +got):\n%s", diff)
	}
	for _, body := range []string{`{"page":0}`, `{"page":1}`} {
		name, err := Request{Method: "POST", URL: "https://vendor.example/list", Body: body}.RecordedPath(dir)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(filepath.Base(name), "list.POST-") {
			t.Errorf("recorded as %s, want list.POST-<hash>", name)
		}
		if _, err := os.Stat(name); err != nil {
			t.Errorf("POST %s not recorded: %v", body, err)
		}
	}
	srv.Close()
	replayed, sink := harvest(t, Config{ReplayDir: dir}, src)
	if replayed.Pages != 4 || replayed.Failed != 0 {
		t.Fatalf("replay: %d pages, errors %v", replayed.Pages, replayed.Errors)
	}
	if got := sink.title("https://vendor.example/b.txt"); got != "page b" {
		t.Errorf("page reached from the second POST: title %q", got)
	}
}

// TestChangeSignalDecides: a link whose listed change is older than the
// stored copy is not asked for, however old the copy; a newer one is asked
// for unconditionally, whatever the revisit age.
func TestChangeSignalDecides(t *testing.T) {
	var mu sync.Mutex
	var hits []string
	mux := http.NewServeMux()
	mux.HandleFunc("/list", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "next:https://vendor.example/old.txt@2025-01-01T00:00:00Z\nnext:https://vendor.example/new.txt@2026-06-01T00:00:00Z")
	})
	page := func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits = append(hits, r.URL.Path+" "+r.Header.Get("If-None-Match"))
		mu.Unlock()
		w.Header().Set("ETag", `"e"`)
		fmt.Fprint(w, "body of "+r.URL.Path)
	}
	mux.HandleFunc("/old.txt", page)
	mux.HandleFunc("/new.txt", page)
	srv := httptest.NewTLSServer(mux)
	defer srv.Close()
	f, err := NewFetcher(testConfig(srv))
	if err != nil {
		t.Fatal(err)
	}
	sink := newMemSink()
	stored := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for _, u := range []string{"https://vendor.example/old.txt", "https://vendor.example/new.txt"} {
		sink.fetched[u] = Fetched{URL: u, FetchedAt: stored, ETag: `"e"`, Body: []byte("body of " + strings.TrimPrefix(u, "https://vendor.example"))}
	}
	h := &Harvester{Fetcher: f, Sink: sink, Revisit: 365 * 24 * time.Hour, Now: func() time.Time { return time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC) }}
	rep := h.Run(t.Context(), []Source{postSource{echoSource{domains: []string{"vendor.example"}}}})[0]
	if rep.Failed != 0 {
		t.Fatalf("errors %v", rep.Errors)
	}
	if diff := cmp.Diff([]string{"/new.txt "}, hits); diff != "" {
		t.Errorf("detail requests (-want +got):\n%s", diff)
	}
	if got := sink.fetched["https://vendor.example/new.txt"].FetchedAt; !got.After(stored) {
		t.Errorf("the same body fetched after a listed change kept the old fetch time %v", got)
	}
}
