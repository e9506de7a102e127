package scrapers

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseCDX(t *testing.T) {
	const header = `[["urlkey","timestamp","original","mimetype","statuscode","digest","length"]`
	row := func(ts, orig, digest string) string {
		return `,["com,vmware,kb)/kb/1","` + ts + `","` + orig + `","text/html","200","` + digest + `","900"]`
	}
	good := row("20071130181207", "http://kb.vmware.com:80/kb/1002424", "THBCGZP4BUYPW377JWH6OSZ6EL2ORH5F")
	for _, tc := range []struct {
		name, body string
		want       CDXPage
		err        string
	}{
		{name: "empty body", body: "", want: CDXPage{}},
		{name: "no captures", body: "[]", want: CDXPage{}},
		{name: "one capture", body: header + good + "]", want: CDXPage{Captures: []Capture{{
			Timestamp: "20071130181207", Original: "http://kb.vmware.com:80/kb/1002424", MimeType: "text/html", Digest: "THBCGZP4BUYPW377JWH6OSZ6EL2ORH5F"}}}},
		{name: "resumption key", body: header + good + `,[],["com%2Cvmware%2Ckb%29%2Fkb%2F1+20071130181207"]]`, want: CDXPage{
			Captures:  []Capture{{Timestamp: "20071130181207", Original: "http://kb.vmware.com:80/kb/1002424", MimeType: "text/html", Digest: "THBCGZP4BUYPW377JWH6OSZ6EL2ORH5F"}},
			ResumeKey: "com%2Cvmware%2Ckb%29%2Fkb%2F1+20071130181207"}},
		{name: "13-digit timestamp", body: header + row("2007113018120", "http://kb.vmware.com/kb/1", "THBCGZP4BUYPW377") + "]", err: "bad timestamp"},
		{name: "impossible date", body: header + row("20071340181207", "http://kb.vmware.com/kb/1", "THBCGZP4BUYPW377") + "]", err: "bad timestamp"},
		{name: "before the archive", body: header + row("19951231235959", "http://kb.vmware.com/kb/1", "THBCGZP4BUYPW377") + "]", err: "bad timestamp"},
		{name: "path in digest", body: header + row("20071130181207", "http://kb.vmware.com/kb/1", "../../etc/passwd") + "]", err: "bad digest"},
		{name: "file original", body: header + row("20071130181207", "file:///etc/passwd", "THBCGZP4BUYPW377") + "]", err: "not an absolute http(s) URL"},
		{name: "credentials in original", body: header + row("20071130181207", "http://u:p@kb.vmware.com/kb/1", "THBCGZP4BUYPW377") + "]", err: "not an absolute http(s) URL"},
		{name: "key with a query", body: header + good + `,[],["x&url=evil"]]`, err: "resumption key"},
		{name: "key too long", body: header + good + `,[],["` + strings.Repeat("a", cdxMaxResumeKey+1) + `"]]`, err: "resumption key"},
		{name: "too many rows", body: header + good + good + good + "]", err: "lists 3 captures, asked for at most 2"},
		{name: "no digest column", body: `[["timestamp","original"],["20071130181207","http://kb.vmware.com/kb/1"]]`, err: `no "digest" column`},
		{name: "not JSON", body: "com,vmware,kb)/kb/1 20071130181207 http://kb.vmware.com/kb/1", err: "not JSON rows"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseCDX([]byte(tc.body), 2)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestCDXQuery(t *testing.T) {
	q := CDXQuery("https://kb.vmware.com/kb/1002424", time.Date(2007, 7, 1, 0, 0, 0, 0, time.UTC), time.Date(2008, 1, 31, 0, 0, 0, 0, time.UTC), "com%2Cvmware%2Ckb%29%2Fkb%2F1+20071130181207")
	u, err := url.Parse(q)
	if err != nil {
		t.Fatal(err)
	}
	want := url.Values{
		"url": {"https://kb.vmware.com/kb/1002424"}, "output": {"json"}, "filter": {"statuscode:200"}, "collapse": {"digest"},
		"from": {"20070701"}, "to": {"20080131"}, "limit": {"500"}, "showResumeKey": {"true"},
		"resumeKey": {"com,vmware,kb)/kb/1 20071130181207"},
	}
	if diff := cmp.Diff(want, u.Query()); diff != "" {
		t.Errorf("query (-want +got):\n%s", diff)
	}
	if u.Host != ArchiveHost || u.Path != "/cdx/search/cdx" {
		t.Errorf("endpoint %s", q)
	}
}

// fakeClock records the archive client's waits instead of waiting.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(_ context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sleeps = append(c.sleeps, d)
	c.now = c.now.Add(d)
	return nil
}

// testArchive is an archive client whose web.archive.org is srv, with a
// fake clock.
func testArchive(t *testing.T, srv *httptest.Server, delay time.Duration) (*Archive, *fakeClock) {
	t.Helper()
	base, _ := url.Parse(srv.URL)
	a, err := NewArchive(Config{Mirrors: map[string]*url.URL{ArchiveHost: base}}, delay)
	if err != nil {
		t.Fatal(err)
	}
	clock := &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	a.Now, a.Sleep = clock.Now, clock.Sleep
	return a, clock
}

// TestArchivePaces: requests to the archive are spaced by its own delay
// (2 s by default) and carry patchwatch's user agent.
func TestArchivePaces(t *testing.T) {
	var agents []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		agents = append(agents, r.UserAgent())
		w.Write([]byte("[]"))
	}))
	defer srv.Close()
	a, clock := testArchive(t, srv, 0)
	requests := 0
	for range 3 {
		if _, err := a.List(context.Background(), "http://www.vmware.com/download/vi/vi3_patches.html", time.Time{}, time.Time{}, "", &requests); err != nil {
			t.Fatal(err)
		}
	}
	if diff := cmp.Diff([]time.Duration{0, DefaultArchiveDelay, DefaultArchiveDelay}, clock.sleeps); diff != "" {
		t.Errorf("waits (-want +got):\n%s", diff)
	}
	if requests != 3 || len(agents) != 3 || agents[0] != UserAgent() {
		t.Errorf("%d requests counted, user agents %q", requests, agents)
	}
}

// TestArchiveRetryAfter: a 429 is waited out as its Retry-After says,
// measured at the server and on the clock; a Retry-After beyond the limit
// fails at once.
func TestArchiveRetryAfter(t *testing.T) {
	for _, tc := range []struct {
		name, retryAfter string
		wantSleeps       []time.Duration
		wantHits         int
		err              string
	}{
		{name: "seconds", retryAfter: "7", wantSleeps: []time.Duration{0, 7 * time.Second, 0}, wantHits: 2},
		{name: "too long", retryAfter: "3600", wantSleeps: []time.Duration{0}, wantHits: 1, err: "asks to wait 1h0m0s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hits := 0
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				hits++
				if hits == 1 {
					w.Header().Set("Retry-After", tc.retryAfter)
					w.WriteHeader(http.StatusTooManyRequests)
					return
				}
				w.Write([]byte("[]"))
			}))
			defer srv.Close()
			a, clock := testArchive(t, srv, -1)
			requests := 0
			_, err := a.List(context.Background(), "http://kb.vmware.com/kb/1", time.Time{}, time.Time{}, "", &requests)
			if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
				t.Fatalf("err %v, want %q", err, tc.err)
			}
			if diff := cmp.Diff(tc.wantSleeps, clock.sleeps); diff != "" {
				t.Errorf("waits (-want +got):\n%s", diff)
			}
			if hits != tc.wantHits || requests != tc.wantHits {
				t.Errorf("server saw %d requests, client counted %d; want %d", hits, requests, tc.wantHits)
			}
		})
	}
}

// TestArchiveFetchRedirect: the archive redirects a timestamp it does not
// hold to the nearest capture of the same page, which is followed and
// dated as served; a redirect to another page is not a capture of this one.
func TestArchiveFetchRedirect(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasPrefix(r.URL.Path, "/web/20071116000000id_/"):
			http.Redirect(w, r, "https://web.archive.org/web/20071130181207id_/http://kb.vmware.com:80/kb/1002424", http.StatusFound)
		case strings.HasPrefix(r.URL.Path, "/web/20071130181207id_/"), strings.HasPrefix(r.URL.Path, "/web/20991130181207id_/"):
			w.Header().Set("Content-Type", "text/html")
			w.Write([]byte("<html><body>KB 1002424</body></html>"))
		case strings.HasPrefix(r.URL.Path, "/web/20071001000000id_/"):
			http.Redirect(w, r, "https://web.archive.org/web/20071001000000id_/http://www.vmware.com/support/", http.StatusFound)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	a, _ := testArchive(t, srv, -1)
	requests := 0
	got, resp, err := a.Fetch(context.Background(), Capture{Timestamp: "20071116000000", Original: "http://kb.vmware.com:80/kb/1002424", Digest: "AAAAAAAAAAAAAAAA"}, &requests)
	if err != nil {
		t.Fatal(err)
	}
	if got.Timestamp != "20071130181207" || got.ArchiveURL() != "https://web.archive.org/web/20071130181207id_/http://kb.vmware.com:80/kb/1002424" ||
		!strings.Contains(string(resp.Body), "KB 1002424") || requests != 2 {
		t.Errorf("capture %+v, body %q, %d requests", got, resp.Body, requests)
	}
	if _, _, err := a.Fetch(context.Background(), Capture{Timestamp: "20991130181207", Original: "http://kb.vmware.com:80/kb/1002424", Digest: "AAAAAAAAAAAAAAAA"}, &requests); !errors.Is(err, ErrNotCapture) {
		t.Errorf("capture dated 2099: err %v, want ErrNotCapture", err)
	}
	_, _, err = a.Fetch(context.Background(), Capture{Timestamp: "20071001000000", Original: "http://kb.vmware.com/kb/1002424", Digest: "AAAAAAAAAAAAAAAA"}, &requests)
	if !errors.Is(err, ErrNotCapture) {
		t.Errorf("redirect to another page: err %v, want ErrNotCapture", err)
	}
}

// TestRecordedPathOfArchiveURL: an archive address keeps its embedded URL
// inside the replay directory, and a path that would climb out is refused.
func TestRecordedPathOfArchiveURL(t *testing.T) {
	for raw, want := range map[string]string{
		"https://web.archive.org/web/20071130181207id_/http://kb.vmware.com:80/kb/1002424": "web.archive.org/web/20071130181207id_/http:/kb.vmware.com:80/kb/1002424",
		"https://web.archive.org/web/20071130181207id_/https://kb.vmware.com/kb/1?x=/y":    "web.archive.org/web/20071130181207id_/https:/kb.vmware.com/kb/1?x=%2Fy",
		"https://web.archive.org/web/20071130181207id_/http://../../../etc/passwd":         "",
		"https://web.archive.org/web/20071130181207id_/http://kb.vmware.com/../../../x":    "",
	} {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		got, err := recordedName(u)
		if want == "" {
			if err == nil {
				t.Errorf("%s maps to %q, want it refused", raw, got)
			}
			continue
		}
		if err != nil || got != want {
			t.Errorf("%s maps to %q (%v), want %q", raw, got, err, want)
		}
	}
}

func TestCaptureProblem(t *testing.T) {
	records := Parsed{Follow: []string{"https://kb.vmware.com/kb/1"}}
	for _, tc := range []struct {
		name, body string
		parsed     Parsed
		parseErr   error
		want       error
	}{
		{name: "whole page", body: "<html><body>ok</body></html>", parsed: records},
		{name: "truncated", body: "<html><body><table><tr><td>Patch", parsed: records, want: ErrTruncated},
		{name: "soft 404 that parses to nothing", body: "<html><head><title>Document Not Found</title></head><body></body></html>", want: ErrSoft404},
		{name: "soft 404 the parser rejects", body: "<html><body><h1>Page not found</h1></body></html>", parseErr: errors.New("no patch ID"), want: ErrSoft404},
		{name: "soft 404 with links only", body: "<html><head><title>404 Not Found</title></head><body></body></html>", parsed: records, want: ErrSoft404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := CaptureProblem("text/html", []byte(tc.body), tc.parsed, tc.parseErr); !errors.Is(got, tc.want) && got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}
