package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/patchwatch/patchwatch/analysis"
	"github.com/patchwatch/patchwatch/scrapers"
)

// historyArgs is the README's history run over the recorded archive.
func historyArgs(db string, extra ...string) []string {
	return append([]string{"harvest", "--db", db, "--history", "--source", "vmware",
		"--from", "2007-07-01", "--to", "2008-01-31", "--quiet"}, extra...)
}

// archiveSite serves fixtures/web.archive.org as the archive would, counting
// listing and capture requests, with faults by query substring.
type archiveSite struct {
	mu       sync.Mutex
	listings []string // CDX queries, in order
	captures map[string]int
	agents   map[string]bool
	fail     func(r *http.Request) bool
}

func newArchiveSite(t *testing.T) (*archiveSite, *httptest.Server) {
	s := &archiveSite{captures: map[string]int{}, agents: map[string]bool{}}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return s, srv
}

func (s *archiveSite) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.agents[r.UserAgent()] = true
	if strings.HasPrefix(r.URL.Path, "/cdx/") {
		s.listings = append(s.listings, r.URL.RawQuery)
	} else {
		s.captures[r.URL.Path]++
	}
	fail := s.fail != nil && s.fail(r)
	s.mu.Unlock()
	if fail {
		http.Error(w, "backend error", http.StatusInternalServerError)
		return
	}
	u := *r.URL
	u.Host = scrapers.ArchiveHost
	p, err := scrapers.RecordedPath(fixtures, &u)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	body, err := os.ReadFile(p)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	if strings.HasPrefix(r.URL.Path, "/cdx/") {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	} else {
		w.Header().Set("Content-Type", "text/html")
	}
	w.Write(body)
}

func (s *archiveSite) capturesFetched() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.captures {
		n += c
	}
	return n
}

// wantESX302 is every ESX 3.0.2 patch event the recorded captures hold
// from 2007-07-02 to 2008-01-31 (../shared/SOURCES.md's table of real ESX
// 3.0.x patches): the date and its patches.
var wantESX302 = map[string][]string{
	"2007-09-18": {"ESX-1001725", "ESX-1001726", "ESX-1001727", "ESX-1001728", "ESX-1001729", "ESX-1001730", "ESX-1001731"},
	"2007-10-08": {"ESX-1002087", "ESX-1002090"},
	"2007-11-15": {"ESX-1002424"},
	"2008-01-07": {"ESX-1002969", "ESX-1002970", "ESX-1002971", "ESX-1002975", "ESX-1002976"},
}

// TestHistoryRebuildsESX302Cadence runs the README's commands against the
// recorded archive: every patch event of an ESX 3.0.2 host built on
// 2007-07-02 comes back, each patch with the capture it was read from.
func TestHistoryRebuildsESX302Cadence(t *testing.T) {
	db := filepath.Join(t.TempDir(), "pw.db")
	code, _, errs := runCmd(t, historyArgs(db, "--replay", fixtures)...)
	if code != 0 {
		t.Fatalf("harvest --history: exit %d:\n%s", code, errs)
	}
	code, out, errs := runCmd(t, "cadence", "--db", db, "--vendor", "vmware", "--product", "ESX", "--version", "3.0.2",
		"--built", "2007-07-02", "--until", "2008-01-31", "--format", "json")
	if code != 0 {
		t.Fatalf("cadence: exit %d:\n%s", code, errs)
	}
	var r analysis.Result
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, ev := range r.Events {
		got[ev.Date] = ev.PatchIDs
		var archived []string
		for _, a := range ev.Archived {
			archived = append(archived, a.PatchID)
			prefix := "https://web.archive.org/web/" + strings.ReplaceAll(strings.ReplaceAll(strings.ReplaceAll(a.CapturedAt[:19], "-", ""), "T", ""), ":", "") + "id_/http://"
			if !strings.HasPrefix(a.ArchiveURL, prefix) {
				t.Errorf("%s: archive copy %q does not match its capture time %s", a.PatchID, a.ArchiveURL, a.CapturedAt)
			}
			if a.Page == "" || strings.Contains(a.Page, "archive.org") {
				t.Errorf("%s: page %q, want the vendor's original URL", a.PatchID, a.Page)
			}
		}
		if diff := cmp.Diff(ev.PatchIDs, archived); diff != "" {
			t.Errorf("%s: patches without archive provenance (-patches +archived):\n%s", ev.Date, diff)
		}
	}
	if diff := cmp.Diff(wantESX302, got); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	// The table names the captures too.
	_, table, _ := runCmd(t, "cadence", "--db", db, "--vendor", "vmware", "--product", "ESX", "--version", "3.0.2",
		"--built", "2007-07-02", "--until", "2008-01-31")
	if !strings.Contains(table, "from the Internet Archive") || !strings.Contains(table, "https://web.archive.org/web/20071130181207id_/http://kb.vmware.com:80/kb/1002424") {
		t.Errorf("cadence table does not name the captures:\n%s", table)
	}
}

// TestHistoryStoresCapturesWithProvenance checks what a history run
// stores: captures under their original URLs with capture time and archive
// address, a soft 404 and a truncated capture kept unparsed with the
// reason, both pages of a paged listing, and the listings marked complete.
func TestHistoryStoresCapturesWithProvenance(t *testing.T) {
	db := filepath.Join(t.TempDir(), "pw.db")
	if code, _, errs := runCmd(t, historyArgs(db, "--replay", fixtures)...); code != 0 {
		t.Fatalf("harvest --history: exit %d:\n%s", code, errs)
	}
	rows := queryRows(t, db, `SELECT url, first_fetched_at, captured_at, archive_url, parse_error FROM documents
		WHERE url IN ('https://kb.vmware.com/kb/1001725', 'https://kb.vmware.com/kb/1002087', 'https://kb.vmware.com/kb/1002424')
		ORDER BY url, captured_at`)
	type doc struct{ URL, Captured, Archive, Problem string }
	var got []doc
	for _, r := range rows {
		if r["first_fetched_at"] != r["captured_at"] {
			t.Errorf("%v: fetched %v, want the capture time %v", r["url"], r["first_fetched_at"], r["captured_at"])
		}
		problem := r["parse_error"].(string)
		if i := strings.Index(problem, ":"); i > 0 {
			problem = problem[:i]
		}
		got = append(got, doc{r["url"].(string), r["captured_at"].(string), r["archive_url"].(string), problem})
	}
	want := []doc{
		// Both pages of the paged listing.
		{"https://kb.vmware.com/kb/1001725", "2007-09-22T06:53:12Z", "https://web.archive.org/web/20070922065312id_/http://kb.vmware.com:80/kb/1001725", ""},
		{"https://kb.vmware.com/kb/1001725", "2007-12-10T11:22:45Z", "https://web.archive.org/web/20071210112245id_/http://kb.vmware.com:80/kb/1001725", ""},
		{"https://kb.vmware.com/kb/1002087", "2007-10-09T23:15:02Z", "https://web.archive.org/web/20071009231502id_/http://kb.vmware.com:80/kb/1002087", "capture is truncated"},
		{"https://kb.vmware.com/kb/1002087", "2007-11-04T09:03:17Z", "https://web.archive.org/web/20071104090317id_/http://kb.vmware.com:80/kb/1002087", ""},
		{"https://kb.vmware.com/kb/1002424", "2007-11-16T02:15:44Z", "https://web.archive.org/web/20071116021544id_/http://kb.vmware.com:80/kb/1002424", "capture is a soft 404"},
		{"https://kb.vmware.com/kb/1002424", "2007-11-30T18:12:07Z", "https://web.archive.org/web/20071130181207id_/http://kb.vmware.com:80/kb/1002424", ""},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("documents (-want +got):\n%s", diff)
	}
	open := queryRows(t, db, `SELECT count(*) AS n FROM archive_listings WHERE complete = 0`)
	if open[0]["n"] != float64(0) {
		t.Errorf("%v listings left incomplete", open[0]["n"])
	}
	// No document is stored under an archive address.
	if n := queryRows(t, db, `SELECT count(*) AS n FROM documents WHERE url LIKE '%archive.org%'`)[0]["n"]; n != float64(0) {
		t.Errorf("%v documents stored under an archive URL", n)
	}
}

// TestHistorySecondRunFetchesNoCapture runs the history twice against a
// loopback archive: the second run lists again but fetches no capture,
// and every request carries patchwatch's user agent.
func TestHistorySecondRunFetchesNoCapture(t *testing.T) {
	site, srv := newArchiveSite(t)
	db := filepath.Join(t.TempDir(), "pw.db")
	args := historyArgs(db, "--mirror", scrapers.ArchiveHost+"="+srv.URL, "--archive-delay", "0")
	if code, _, errs := runCmd(t, args...); code != 0 {
		t.Fatalf("first run: exit %d:\n%s", code, errs)
	}
	first := site.capturesFetched()
	if first != 26 {
		t.Errorf("first run fetched %d captures, want the 26 recorded", first)
	}
	before := tableCounts(t, db)
	if code, _, errs := runCmd(t, args...); code != 0 {
		t.Fatalf("second run: exit %d:\n%s", code, errs)
	}
	if again := site.capturesFetched() - first; again != 0 {
		t.Errorf("second run fetched %d captures again, want 0", again)
	}
	if diff := cmp.Diff(before, tableCounts(t, db)); diff != "" {
		t.Errorf("second run changed the tables (-first +second):\n%s", diff)
	}
	if len(site.agents) != 1 || !site.agents[scrapers.UserAgent()] {
		t.Errorf("user agents %v, want only %q", site.agents, scrapers.UserAgent())
	}
}

// TestHistoryResumesListing interrupts a paged listing after its first
// page (the archive fails the second) and checks that the next run asks for
// the second page by its resumption key instead of starting the listing
// over.
func TestHistoryResumesListing(t *testing.T) {
	site, srv := newArchiveSite(t)
	const key = "resumeKey=com%2Cvmware%2Ckb%29%2Fkb%2F1001725+20070922065312"
	site.fail = func(r *http.Request) bool { return strings.Contains(r.URL.RawQuery, key) }
	db := filepath.Join(t.TempDir(), "pw.db")
	args := historyArgs(db, "--mirror", scrapers.ArchiveHost+"="+srv.URL, "--archive-delay", "0")
	if code, _, _ := runCmd(t, args...); code != exitPartial {
		t.Fatalf("interrupted run: exit %d, want %d", code, exitPartial)
	}
	progress := queryRows(t, db, `SELECT resume_key, captures, complete FROM archive_listings WHERE query LIKE '%kb%2F1001725%'`)
	want := []map[string]any{{"resume_key": "com%2Cvmware%2Ckb%29%2Fkb%2F1001725+20070922065312", "captures": float64(1), "complete": float64(0)}}
	if diff := cmp.Diff(want, progress); diff != "" {
		t.Fatalf("ledger after the interruption (-want +got):\n%s", diff)
	}
	site.mu.Lock()
	site.fail, site.listings = nil, nil
	site.mu.Unlock()
	if code, _, errs := runCmd(t, args...); code != 0 {
		t.Fatalf("resumed run: exit %d:\n%s", code, errs)
	}
	var asked []string
	for _, q := range site.listings {
		v, _ := url.ParseQuery(q)
		if v.Get("url") == "https://kb.vmware.com/kb/1001725" {
			asked = append(asked, v.Get("resumeKey"))
		}
	}
	if diff := cmp.Diff([]string{"com,vmware,kb)/kb/1001725 20070922065312"}, asked); diff != "" {
		t.Errorf("resumed run's listing requests for KB 1001725 (-want +got):\n%s", diff)
	}
	if n := queryRows(t, db, `SELECT count(*) AS n FROM documents WHERE url = 'https://kb.vmware.com/kb/1001725'`)[0]["n"]; n != float64(2) {
		t.Errorf("KB 1001725 has %v stored captures, want 2", n)
	}
}

// TestHistoryFlags: --from and --to are validated, and history-only flags
// need --history.
func TestHistoryFlags(t *testing.T) {
	db := filepath.Join(t.TempDir(), "pw.db")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--history", "--from", "2007-13-01"}, "--from must be a date"},
		{[]string{"--history", "--to", "20080131"}, "--to must be a date"},
		{[]string{"--history", "--from", "1995-12-31"}, "--from 1995-12-31 is out of range"},
		{[]string{"--history", "--to", time.Now().AddDate(0, 0, 2).Format("2006-01-02")}, "is out of range"},
		{[]string{"--history", "--from", "2008-01-31", "--to", "2007-07-01"}, "--to 2007-07-01 is before --from 2008-01-31"},
		{[]string{"--from", "2007-07-01"}, "--from needs --history"},
		{[]string{"--archive-delay", "1s"}, "--archive-delay needs --history"},
		{[]string{"--history", "--archive-delay", "-1s"}, "--archive-delay -1s is out of range"},
	} {
		code, _, errs := runCmd(t, append([]string{"harvest", "--db", db, "--replay", fixtures}, tc.args...)...)
		if code != exitFatal || !strings.Contains(errs, tc.want) {
			t.Errorf("%q: exit %d, stderr %q; want exit %d and %q", tc.args, code, errs, exitFatal, tc.want)
		}
	}
}

// TestSourcesListsHistorySeeds: `patchwatch sources` shows each source's
// history seeds beside its live ones.
func TestSourcesListsHistorySeeds(t *testing.T) {
	_, out, _ := runCmd(t, "sources")
	var history []string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "  history: ") {
			history = append(history, strings.Fields(l)[1])
		}
	}
	sort.Strings(history)
	for _, want := range []string{
		"http://lists.vmware.com/pipermail/security-announce/2007/date.html",
		"http://lists.vmware.com/pipermail/security-announce/2016/date.html",
		"http://www.vmware.com/download/vi/vi3_patches.html",
		"https://support.citrix.com/article/CTX138115",
		"https://docs.virtuozzo.com/vza/",
	} {
		if _, ok := sort.Find(len(history), func(i int) int { return strings.Compare(want, history[i]) }); !ok {
			t.Errorf("sources does not list history seed %s; got %q", want, history)
		}
	}
	if !strings.Contains(out, "  start: ") {
		t.Errorf("sources no longer lists the live seeds:\n%s", out)
	}
}

// TestHistoryRecordThenReplay: a history run with --record writes the
// archive's answers in the replay layout, and replaying them fills a fresh
// database exactly as the recorded run did.
func TestHistoryRecordThenReplay(t *testing.T) {
	_, srv := newArchiveSite(t)
	dir := t.TempDir()
	recorded, replayed := filepath.Join(dir, "recorded.db"), filepath.Join(dir, "replayed.db")
	pages := filepath.Join(dir, "pages")
	if code, _, errs := runCmd(t, historyArgs(recorded, "--mirror", scrapers.ArchiveHost+"="+srv.URL, "--archive-delay", "0", "--record", pages)...); code != 0 {
		t.Fatalf("recording run: exit %d:\n%s", code, errs)
	}
	if code, _, errs := runCmd(t, historyArgs(replayed, "--replay", pages)...); code != 0 {
		t.Fatalf("replay of the recording: exit %d:\n%s", code, errs)
	}
	docs := `SELECT url, captured_at, archive_url, sha256, parse_error FROM documents ORDER BY url, captured_at`
	if diff := cmp.Diff(queryRows(t, recorded, docs), queryRows(t, replayed, docs)); diff != "" {
		t.Errorf("documents (-recorded +replayed):\n%s", diff)
	}
	if diff := cmp.Diff(tableCounts(t, recorded), tableCounts(t, replayed)); diff != "" {
		t.Errorf("tables (-recorded +replayed):\n%s", diff)
	}
}

// TestHistoryRunIsNoLiveSuccess: `status` watches the live harvests. A
// history run is in the ledger too, but under "<source>/history", so a
// successful one never hides that the source's live harvest has not
// succeeded.
func TestHistoryRunIsNoLiveSuccess(t *testing.T) {
	db := filepath.Join(t.TempDir(), "pw.db")
	if code, _, errs := runCmd(t, historyArgs(db, "--replay", fixtures)...); code != 0 {
		t.Fatalf("harvest --history: exit %d:\n%s", code, errs)
	}
	code, out, _ := runCmd(t, "status", "--db", db, "--source", "vmware")
	if code != exitPartial || !strings.Contains(out, "NEVER SUCCEEDED") {
		t.Errorf("status after a history run only: exit %d, want %d with vmware never succeeded:\n%s", code, exitPartial, out)
	}
	rows := queryRows(t, db, `SELECT r.sources, s.source FROM runs r JOIN run_sources s ON s.run_id = r.id`)
	if len(rows) != 1 || rows[0]["sources"] != "vmware/history" || rows[0]["source"] != "vmware/history" {
		t.Errorf("ledger of the history run: %v, want vmware/history", rows)
	}
}

// TestLiveFetchOfCapturedBodyIsDated: a live page whose body is one a
// history run already captured is stored again, so its fetch time is the
// live fetch and not the capture's: otherwise the page would look years
// old to every later harvest and be asked for again each night.
func TestLiveFetchOfCapturedBodyIsDated(t *testing.T) {
	requests := func(errs string) string {
		for _, line := range strings.Split(errs, "\n") {
			if strings.HasPrefix(line, "harvest vmware:") {
				return line
			}
		}
		return ""
	}
	live := []string{"harvest", "--source", "vmware", "--replay", fixtures}
	plain := filepath.Join(t.TempDir(), "plain.db")
	for range 2 {
		if code, _, errs := runCmd(t, append(live, "--db", plain)...); code != 0 {
			t.Fatalf("harvest: exit %d:\n%s", code, errs)
		}
	}
	_, _, errs := runCmd(t, append(live, "--db", plain)...)
	want := requests(errs)

	db := filepath.Join(t.TempDir(), "pw.db")
	if code, _, errs := runCmd(t, historyArgs(db, "--replay", fixtures)...); code != 0 {
		t.Fatalf("harvest --history: exit %d:\n%s", code, errs)
	}
	for range 2 {
		if code, _, errs := runCmd(t, append(live, "--db", db)...); code != 0 {
			t.Fatalf("harvest: exit %d:\n%s", code, errs)
		}
	}
	_, _, errs = runCmd(t, append(live, "--db", db)...)
	if got := requests(errs); got != want || want == "" {
		t.Errorf("an unchanged live harvest after a history run:\n  %s\nwithout the history run:\n  %s", got, want)
	}
	if n := queryRows(t, db, `SELECT count(*) AS n FROM documents WHERE url = 'https://kb.vmware.com/kb/1001726' AND last_fetched_at > '2020'`)[0]["n"]; n != float64(1) {
		t.Errorf("kb/1001726, captured and fetched live with the same body: %v copies dated by the live fetch, want 1", n)
	}
}
