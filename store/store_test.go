package store

import (
	"context"
	"database/sql"
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/patchwatch/patchwatch/normalize"
)

var (
	t0 = time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	t1 = t0.Add(24 * time.Hour)
)

const (
	t0s = "2024-03-01T12:00:00Z"
	t1s = "2024-03-02T12:00:00Z"
)

// openTest opens a fresh file database in a temporary directory with the
// clock fixed at t0.
func openTest(t *testing.T) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "patchwatch.db")
	s, err := Open(path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	s.Now = func() time.Time { return t0 }
	return s, path
}

// query returns every row of q with values normalised for comparison:
// integers as int, text and blobs as string, NULL as nil.
func query(t *testing.T, db *sql.DB, q string, args ...any) [][]any {
	t.Helper()
	rows, err := db.Query(q, args...)
	if err != nil {
		t.Fatalf("query %q: %v", q, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var out [][]any
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		for i, v := range vals {
			switch v := v.(type) {
			case int64:
				vals[i] = int(v)
			case []byte:
				vals[i] = string(v)
			}
		}
		out = append(out, vals)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func counts(t *testing.T, s *Store) map[string]int {
	t.Helper()
	c, err := s.Counts(context.Background())
	if err != nil {
		t.Fatalf("Counts: %v", err)
	}
	return c
}

func ptr[T any](v T) *T { return &v }

const (
	xsaURL   = "https://xenbits.xen.org/xsa/advisory-355.txt"
	indexURL = "https://xenbits.xen.org/xsa/xsa.json"
)

func xsaDoc(body string, at time.Time) Document {
	return Document{
		URL:         xsaURL,
		Source:      "xen",
		FetchedAt:   at,
		Status:      200,
		ContentType: "text/plain; charset=utf-8",
		Body:        []byte(body),
	}
}

// fullResult is a page yielding two advisories, a patch and two fixes.
func fullResult() normalize.Result {
	return normalize.Result{
		Advisories: []normalize.Advisory{
			{
				ID: "XSA-355", Vendor: "xen", Status: normalize.StatusPublished,
				Title: "stack corruption from XSA-346 change", Severity: "high",
				Published: "2020-12-15", Updated: "2020-12-16", Version: 2,
				URL: xsaURL, Affected: "Xen 4.14 and later are vulnerable.",
				CVEs:     []string{"CVE-2020-29040", "CVE-2020-29041"},
				Sections: []normalize.Section{{Title: "ISSUE DESCRIPTION", Text: "A stack overflow."}, {Title: "IMPACT", Text: "DoS."}},
			},
			{ID: "XSA-354", Vendor: "xen", Status: normalize.StatusUnused},
		},
		Patches: []normalize.Patch{{
			ID: "xsa355.patch", Vendor: "xen", Product: "xen", Version: "4.14",
			Released: "2020-12-15", Classification: "security", RebootRequired: ptr(true),
			URL: "https://xenbits.xen.org/xsa/xsa355.patch", AdvisoryID: "XSA-355",
		}},
		Fixes: []normalize.Fix{
			{
				ID: "XSA-355/1", AdvisoryID: "XSA-355", PatchIDs: []string{"xsa355.patch"},
				Vendor: "xen", Product: "xen", Versions: []string{"4.14", "4.15"},
				Component: "hypervisor", Category: normalize.VMM, Security: true, Severity: "high",
				CVEs: []string{"CVE-2020-29040"}, Summary: "stack corruption",
				Rule: "xen-hypervisor", Evidence: "Xen hypervisor",
			},
			{
				ID: "XSA-355/2", AdvisoryID: "XSA-355", PatchIDs: []string{"xsa355.patch", "xsa355-tools.patch"},
				Vendor: "xen", Product: "xen", Component: "xenstored", Category: normalize.ConsoleOS,
				CVEs: []string{"CVE-2020-29041"}, Summary: "xenstored leak",
				Rule: "dom0-toolstack", Evidence: "xenstored",
			},
		},
	}
}

func TestOpenMigrations(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "patchwatch.db")
	s, err := Open(path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	first := query(t, s.DB(), `SELECT version, name, applied_at FROM migrations ORDER BY version`)

	files, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != len(files) || len(first) == 0 {
		t.Fatalf("got %d migration rows, want %d (one per file): %v", len(first), len(files), first)
	}
	if diff := cmp.Diff([]any{1, "init"}, first[0][:2]); diff != "" {
		t.Errorf("first migration (-want +got):\n%s", diff)
	}
	if at, _ := first[0][2].(string); !strings.HasSuffix(at, "Z") {
		t.Errorf("applied_at = %v, want UTC RFC 3339", first[0][2])
	}
	if diff := cmp.Diff([][]any{{"wal"}}, query(t, s.DB(), `PRAGMA journal_mode`)); diff != "" {
		t.Errorf("journal_mode (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([][]any{{1}}, query(t, s.DB(), `PRAGMA foreign_keys`)); diff != "" {
		t.Errorf("foreign_keys (-want +got):\n%s", diff)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// Reopening must not apply anything again: the rows, applied_at
	// included, stay exactly as they were.
	s2, err := Open(path)
	if err != nil {
		t.Fatalf("second Open: %v", err)
	}
	defer s2.Close()
	if diff := cmp.Diff(first, query(t, s2.DB(), `SELECT version, name, applied_at FROM migrations ORDER BY version`)); diff != "" {
		t.Errorf("migrations after reopen (-want +got):\n%s", diff)
	}
	want := map[string]int{}
	for _, tb := range dataTables {
		want[tb] = 0
	}
	if diff := cmp.Diff(want, counts(t, s2)); diff != "" {
		t.Errorf("counts of a new database (-want +got):\n%s", diff)
	}
}

func TestSavePageRows(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	body := "XSA-355 text"
	if err := s.SavePage(ctx, xsaDoc(body, t0), fullResult()); err != nil {
		t.Fatalf("SavePage: %v", err)
	}
	db := s.DB()

	tests := []struct {
		name  string
		query string
		want  [][]any
	}{
		{
			"documents",
			`SELECT id, url, source, first_fetched_at, last_fetched_at, status, content_type, sha256, id AS body FROM documents`,
			// sha256 as printed by `printf 'XSA-355 text' | sha256sum`.
			[][]any{{1, xsaURL, "xen", t0s, t0s, 200, "text/plain; charset=utf-8",
				"4c0e13073606c6fc868e602f79015987dd03605a500814ffe9152e64d910e9c1", body}},
		},
		{
			"advisories",
			`SELECT id, vendor, status, title, severity, published, updated, version, url, affected, sections, document_url FROM advisories ORDER BY id`,
			[][]any{
				{"XSA-354", "xen", "unused", "", "", nil, nil, 0, "", "", "[]", xsaURL},
				{"XSA-355", "xen", "published", "stack corruption from XSA-346 change", "high",
					"2020-12-15", "2020-12-16", 2, xsaURL, "Xen 4.14 and later are vulnerable.",
					`[{"title":"ISSUE DESCRIPTION","text":"A stack overflow."},{"title":"IMPACT","text":"DoS."}]`, xsaURL},
			},
		},
		{
			"advisory_cves",
			`SELECT advisory_id, cve FROM advisory_cves ORDER BY advisory_id, cve`,
			[][]any{{"XSA-355", "CVE-2020-29040"}, {"XSA-355", "CVE-2020-29041"}},
		},
		{
			"patches",
			`SELECT id, vendor, product, version, released, classification, reboot_required, url, advisory_id, document_url FROM patches`,
			[][]any{{"xsa355.patch", "xen", "xen", "4.14", "2020-12-15", "security", 1,
				"https://xenbits.xen.org/xsa/xsa355.patch", "XSA-355", xsaURL}},
		},
		{
			"fixes",
			`SELECT id, advisory_id, vendor, product, versions, component, category, security, severity, summary, rule, evidence, document_url FROM fixes ORDER BY id`,
			[][]any{
				{"XSA-355/1", "XSA-355", "xen", "xen", `["4.14","4.15"]`, "hypervisor", "vmm", 1, "high",
					"stack corruption", "xen-hypervisor", "Xen hypervisor", xsaURL},
				{"XSA-355/2", "XSA-355", "xen", "xen", `[]`, "xenstored", "console-os", 0, "",
					"xenstored leak", "dom0-toolstack", "xenstored", xsaURL},
			},
		},
		{
			"fix_cves",
			`SELECT fix_id, cve FROM fix_cves ORDER BY fix_id, cve`,
			[][]any{{"XSA-355/1", "CVE-2020-29040"}, {"XSA-355/2", "CVE-2020-29041"}},
		},
		{
			"fix_patches",
			`SELECT fix_id, patch_id FROM fix_patches ORDER BY fix_id, patch_id`,
			[][]any{{"XSA-355/1", "xsa355.patch"}, {"XSA-355/2", "xsa355-tools.patch"}, {"XSA-355/2", "xsa355.patch"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := query(t, db, tt.query)
			if tt.name == "documents" {
				got = withBodies(t, s, got)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("%s rows (-want +got):\n%s", tt.name, diff)
			}
		})
	}
}

func TestSavePageIdempotent(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	if err := s.SavePage(ctx, xsaDoc("v1", t0), fullResult()); err != nil {
		t.Fatalf("first SavePage: %v", err)
	}
	before := counts(t, s)
	dump := func() [][]any {
		return query(t, s.DB(), `
SELECT 'a', id, status || title || coalesce(published, '') || sections || document_url FROM advisories
UNION ALL SELECT 'p', id, coalesce(reboot_required, 'null') || coalesce(released, '') FROM patches
UNION ALL SELECT 'f', id, category || versions || evidence FROM fixes
UNION ALL SELECT 'fc', fix_id, cve FROM fix_cves
UNION ALL SELECT 'fp', fix_id, patch_id FROM fix_patches
UNION ALL SELECT 'ac', advisory_id, cve FROM advisory_cves
ORDER BY 1, 2, 3`)
	}
	records := dump()

	// The same body fetched again a day later: same rows, later last_fetched_at.
	if err := s.SavePage(ctx, xsaDoc("v1", t1), fullResult()); err != nil {
		t.Fatalf("second SavePage: %v", err)
	}
	if diff := cmp.Diff(before, counts(t, s)); diff != "" {
		t.Errorf("counts after identical save (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(records, dump()); diff != "" {
		t.Errorf("records after identical save (-want +got):\n%s", diff)
	}
	want := [][]any{{xsaURL, t0s, t1s}}
	if diff := cmp.Diff(want, query(t, s.DB(), `SELECT url, first_fetched_at, last_fetched_at FROM documents`)); diff != "" {
		t.Errorf("documents (-want +got):\n%s", diff)
	}

	// A changed body is a new document row; the records are unchanged.
	if err := s.SavePage(ctx, xsaDoc("v2", t1), fullResult()); err != nil {
		t.Fatalf("third SavePage: %v", err)
	}
	before["documents"]++
	if diff := cmp.Diff(before, counts(t, s)); diff != "" {
		t.Errorf("counts after changed body (-want +got):\n%s", diff)
	}
}

func TestSavePageMerge(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	index := Document{URL: indexURL, Source: "xen", FetchedAt: t0, Status: 200, ContentType: "application/json", Body: []byte(`[]`)}
	fromIndex := normalize.Result{
		Advisories: []normalize.Advisory{{
			ID: "XSA-355", Vendor: "xen", Status: normalize.StatusPublished,
			Title: "stack corruption", Published: "2020-12-15", Updated: "2020-12-16",
			CVEs: []string{"CVE-2020-29040"},
		}},
		Patches: []normalize.Patch{{ID: "xsa355.patch", Vendor: "xen", Product: "xen", Version: "4.14",
			Released: "2020-12-15", RebootRequired: ptr(false)}},
	}
	fromText := normalize.Result{
		Advisories: []normalize.Advisory{{
			ID: "XSA-355", Vendor: "xen", Status: normalize.StatusPublished, Version: 2,
			Affected: "Xen 4.14 and later.",
			Sections: []normalize.Section{{Title: "IMPACT", Text: "DoS."}},
			CVEs:     []string{"CVE-2020-29040", "CVE-2020-29041"},
		}},
		Patches: []normalize.Patch{{ID: "xsa355.patch", Vendor: "xen", Classification: "security",
			URL: "https://xenbits.xen.org/xsa/xsa355.patch", AdvisoryID: "XSA-355"}},
	}
	if err := s.SavePage(ctx, index, fromIndex); err != nil {
		t.Fatalf("SavePage index: %v", err)
	}
	if err := s.SavePage(ctx, xsaDoc("text", t1), fromText); err != nil {
		t.Fatalf("SavePage text: %v", err)
	}

	wantAdv := [][]any{{"XSA-355", "published", "stack corruption", "2020-12-15", "2020-12-16", 2,
		"Xen 4.14 and later.", `[{"title":"IMPACT","text":"DoS."}]`, xsaURL}}
	if diff := cmp.Diff(wantAdv, query(t, s.DB(),
		`SELECT id, status, title, published, updated, version, affected, sections, document_url FROM advisories`)); diff != "" {
		t.Errorf("merged advisory (-want +got):\n%s", diff)
	}
	wantCVEs := [][]any{{"CVE-2020-29040"}, {"CVE-2020-29041"}}
	if diff := cmp.Diff(wantCVEs, query(t, s.DB(), `SELECT cve FROM advisory_cves ORDER BY cve`)); diff != "" {
		t.Errorf("advisory CVEs (-want +got):\n%s", diff)
	}
	wantPatch := [][]any{{"xsa355.patch", "xen", "4.14", "2020-12-15", "security", 0,
		"https://xenbits.xen.org/xsa/xsa355.patch", "XSA-355", xsaURL}}
	if diff := cmp.Diff(wantPatch, query(t, s.DB(),
		`SELECT id, product, version, released, classification, reboot_required, url, advisory_id, document_url FROM patches`)); diff != "" {
		t.Errorf("merged patch (-want +got):\n%s", diff)
	}

	// The index again, now saying the advisory was withdrawn and with a
	// newer title: status and non-empty fields overwrite, sections stay.
	fromIndex.Advisories[0].Status = normalize.StatusWithdrawn
	fromIndex.Advisories[0].Title = "withdrawn"
	fromIndex.Advisories[0].CVEs = nil
	if err := s.SavePage(ctx, index, fromIndex); err != nil {
		t.Fatalf("SavePage index again: %v", err)
	}
	wantAdv = [][]any{{"XSA-355", "withdrawn", "withdrawn", "2020-12-15", "2020-12-16", 2,
		"Xen 4.14 and later.", `[{"title":"IMPACT","text":"DoS."}]`, indexURL}}
	if diff := cmp.Diff(wantAdv, query(t, s.DB(),
		`SELECT id, status, title, published, updated, version, affected, sections, document_url FROM advisories`)); diff != "" {
		t.Errorf("re-merged advisory (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantCVEs, query(t, s.DB(), `SELECT cve FROM advisory_cves ORDER BY cve`)); diff != "" {
		t.Errorf("advisory CVEs after save without CVEs (-want +got):\n%s", diff)
	}
}

func TestSavePageOwnsFixes(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	res := fullResult()
	if err := s.SavePage(ctx, xsaDoc("v1", t0), res); err != nil {
		t.Fatalf("SavePage: %v", err)
	}
	// Another page's fix must survive this page dropping its own.
	other := Document{URL: "https://xenbits.xen.org/xsa/advisory-356.txt", Source: "xen", FetchedAt: t0, Status: 200, Body: []byte("356")}
	otherFix := normalize.Fix{ID: "XSA-356/1", AdvisoryID: "XSA-356", Vendor: "xen", Category: normalize.HardwareCompat,
		CVEs: []string{"CVE-2020-29566"}, Rule: "cpu-errata", Evidence: "microcode"}
	if err := s.SavePage(ctx, other, normalize.Result{Fixes: []normalize.Fix{otherFix}}); err != nil {
		t.Fatalf("SavePage other: %v", err)
	}

	// The page re-parsed: only the first fix remains, with a new summary,
	// a CVE replaced and a patch link added.
	res.Fixes = res.Fixes[:1]
	res.Fixes[0].Summary = "stack corruption (revised)"
	res.Fixes[0].CVEs = []string{"CVE-2020-29041"}
	res.Fixes[0].PatchIDs = []string{"xsa355.patch", "xsa355-tools.patch"}
	if err := s.SavePage(ctx, xsaDoc("v2", t1), res); err != nil {
		t.Fatalf("SavePage re-parsed: %v", err)
	}
	tests := []struct {
		name  string
		query string
		want  [][]any
	}{
		{"fixes", `SELECT id, summary, document_url FROM fixes ORDER BY id`, [][]any{
			{"XSA-355/1", "stack corruption (revised)", xsaURL},
			{"XSA-356/1", "", other.URL},
		}},
		{"fix_cves", `SELECT fix_id, cve FROM fix_cves ORDER BY fix_id`, [][]any{
			{"XSA-355/1", "CVE-2020-29041"},
			{"XSA-356/1", "CVE-2020-29566"},
		}},
		{"fix_patches", `SELECT fix_id, patch_id FROM fix_patches ORDER BY fix_id, patch_id`, [][]any{
			{"XSA-355/1", "xsa355-tools.patch"},
			{"XSA-355/1", "xsa355.patch"},
		}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, query(t, s.DB(), tt.query)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}

	// A page that now yields nothing drops all its fixes.
	if err := s.SavePage(ctx, xsaDoc("v3", t1), normalize.Result{}); err != nil {
		t.Fatalf("SavePage empty: %v", err)
	}
	if diff := cmp.Diff([][]any{{"XSA-356/1"}}, query(t, s.DB(), `SELECT id FROM fixes`)); diff != "" {
		t.Errorf("fixes after empty page (-want +got):\n%s", diff)
	}
}

func TestSavePageInvalid(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	if err := s.SavePage(ctx, xsaDoc("v1", t0), fullResult()); err != nil {
		t.Fatalf("SavePage: %v", err)
	}
	before := counts(t, s)

	tests := []struct {
		name   string
		mutate func(*normalize.Result)
	}{
		{"bad category", func(r *normalize.Result) { r.Fixes[1].Category = "hypervisor" }},
		{"bad status", func(r *normalize.Result) { r.Advisories[0].Status = "draft" }},
		{"bad date", func(r *normalize.Result) { r.Patches[0].Released = "15 Dec 2020" }},
		{"bad CVE", func(r *normalize.Result) { r.Fixes[0].CVEs = append(r.Fixes[0].CVEs, "CVE-20-1") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := fullResult()
			res.Fixes[0].Summary = "must not be written"
			tt.mutate(&res)
			err := s.SavePage(ctx, xsaDoc("v2 never stored", t1), res)
			if err == nil {
				t.Fatal("SavePage succeeded, want an error")
			}
			if !strings.Contains(err.Error(), xsaURL) {
				t.Errorf("error %q does not name the page URL", err)
			}
			if diff := cmp.Diff(before, counts(t, s)); diff != "" {
				t.Errorf("counts changed (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([][]any{{"stack corruption"}}, query(t, s.DB(), `SELECT summary FROM fixes WHERE id = 'XSA-355/1'`)); diff != "" {
				t.Errorf("fix changed (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSaveDocument(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	if err := s.SavePage(ctx, xsaDoc("v1", t0), fullResult()); err != nil {
		t.Fatalf("SavePage: %v", err)
	}
	before := counts(t, s)
	if err := s.SaveDocument(ctx, xsaDoc("v2 unparseable", t1)); err != nil {
		t.Fatalf("SaveDocument: %v", err)
	}
	// A document without a fetch time is stamped with the store clock.
	if err := s.SaveDocument(ctx, Document{URL: indexURL, Source: "xen", Status: 500}); err != nil {
		t.Fatalf("SaveDocument without time or body: %v", err)
	}
	before["documents"] += 2
	if diff := cmp.Diff(before, counts(t, s)); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}
	want := [][]any{
		{xsaURL, t0s, 200, "v1"},
		{xsaURL, t1s, 200, "v2 unparseable"},
		{indexURL, t0s, 500, ""},
	}
	if diff := cmp.Diff(want, withBodies(t, s, query(t, s.DB(), `SELECT url, last_fetched_at, status, id FROM documents ORDER BY id`))); diff != "" {
		t.Errorf("documents (-want +got):\n%s", diff)
	}
	if err := s.SaveDocument(ctx, Document{}); err == nil {
		t.Error("SaveDocument with no URL succeeded, want an error")
	}
}

func TestOpenReadOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "patchwatch.db")
	s, err := Open(path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	ctx := context.Background()
	if err := s.SavePage(ctx, xsaDoc("v1", t0), fullResult()); err != nil {
		t.Fatalf("SavePage: %v", err)
	}

	// Readers work while the writer is open (WAL) and after it closes.
	check := func(t *testing.T) {
		db, err := OpenReadOnly(path)
		if err != nil {
			t.Fatalf("OpenReadOnly: %v", err)
		}
		defer db.Close()
		if diff := cmp.Diff([][]any{{2}}, query(t, db, `SELECT count(*) FROM fixes`)); diff != "" {
			t.Errorf("SELECT (-want +got):\n%s", diff)
		}
		// Two layers: mode=ro on the file and query_only on the connection.
		if diff := cmp.Diff([][]any{{1}}, query(t, db, `PRAGMA query_only`)); diff != "" {
			t.Errorf("query_only (-want +got):\n%s", diff)
		}
		writes := []string{
			`INSERT INTO runs (started_at, status) VALUES ('2024-01-01T00:00:00Z', 'running')`,
			`DELETE FROM fixes`,
			`UPDATE advisories SET title = 'x'`,
			`CREATE TABLE scratch (x INTEGER)`,
			`DROP TABLE fix_cves`,
		}
		for _, w := range writes {
			if _, err := db.Exec(w); err == nil {
				t.Errorf("%s succeeded on a read-only database, want an error", w)
			}
		}
		if diff := cmp.Diff([][]any{{2}}, query(t, db, `SELECT count(*) FROM fixes`)); diff != "" {
			t.Errorf("fixes after write attempts (-want +got):\n%s", diff)
		}
	}
	t.Run("writer open", check)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	t.Run("writer closed", check)

	t.Run("missing file", func(t *testing.T) {
		missing := filepath.Join(t.TempDir(), "nope.db")
		db, err := OpenReadOnly(missing)
		if err == nil {
			db.Close()
			t.Fatal("OpenReadOnly of a missing file succeeded")
		}
		if !strings.Contains(err.Error(), missing) {
			t.Errorf("error %q does not name the path %s", err, missing)
		}
		if !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("error %q is not fs.ErrNotExist", err)
		}
		if m, _ := filepath.Glob(missing + "*"); len(m) != 0 {
			t.Errorf("OpenReadOnly created %v", m)
		}
	})
}

func TestRunLedger(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	id, err := s.StartRun(ctx, []string{"xen", "vmware"})
	if err != nil {
		t.Fatalf("StartRun: %v", err)
	}
	want := [][]any{{int(id), t0s, nil, "running", "xen,vmware", 0, 0}}
	if diff := cmp.Diff(want, query(t, s.DB(), `SELECT id, started_at, finished_at, status, sources, pages, failed FROM runs`)); diff != "" {
		t.Errorf("started run (-want +got):\n%s", diff)
	}

	s.Now = func() time.Time { return t0.Add(time.Minute) }
	if err := s.RecordError(ctx, id, "xen", xsaURL, "parse: no sections"); err != nil {
		t.Fatalf("RecordError: %v", err)
	}
	if err := s.RecordError(ctx, id+1, "xen", xsaURL, "orphan"); err == nil {
		t.Error("RecordError for an unknown run succeeded, want a foreign-key error")
	}
	s.Now = func() time.Time { return t1.In(time.FixedZone("CET", 3600)) }
	if err := s.FinishRun(ctx, id, "bogus", RunStats{}); err == nil {
		t.Error("FinishRun with status bogus succeeded, want an error")
	}
	if err := s.FinishRun(ctx, id+1, "ok", RunStats{}); err == nil {
		t.Error("FinishRun of an unknown run succeeded, want an error")
	}
	if err := s.FinishRun(ctx, id, "partial", RunStats{Pages: 12, Failed: 1}); err != nil {
		t.Fatalf("FinishRun: %v", err)
	}

	want = [][]any{{int(id), t0s, t1s, "partial", "xen,vmware", 12, 1}}
	if diff := cmp.Diff(want, query(t, s.DB(), `SELECT id, started_at, finished_at, status, sources, pages, failed FROM runs`)); diff != "" {
		t.Errorf("finished run (-want +got):\n%s", diff)
	}
	wantErr := [][]any{{1, int(id), "xen", xsaURL, "parse: no sections", "2024-03-01T12:01:00Z"}}
	if diff := cmp.Diff(wantErr, query(t, s.DB(), `SELECT id, run_id, source, url, message, at FROM run_errors`)); diff != "" {
		t.Errorf("run errors (-want +got):\n%s", diff)
	}
	c := counts(t, s)
	if c["runs"] != 1 || c["run_errors"] != 1 {
		t.Errorf("Counts runs=%d run_errors=%d, want 1 and 1", c["runs"], c["run_errors"])
	}
}

func TestSavePatchDetailsAndRemedies(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	kb := Document{URL: "http://kb.vmware.com/kb/1002424", Source: "vmware", Status: 200, ContentType: "text/html", Body: []byte("kb")}
	res := normalize.Result{
		Patches: []normalize.Patch{{
			ID: "ESX-1002424", Vendor: "vmware", Product: "ESX", Version: "3.0.2", Released: "2007-11-15",
			Classification: "Critical", RebootRequired: ptr(true), VMRestartRequired: ptr(true),
			Supersedes: []string{"ESX-1001907"}, Packages: []string{"VMware-esx-vmkernel", "VMware-esx-vmx", "VMware-esx-apps"},
			Build: "61618", Release: "", Severity: "Critical",
		}},
		Fixes: []normalize.Fix{{
			ID: "ESX-1002424/1", PatchIDs: []string{"ESX-1002424"}, Vendor: "vmware", Product: "ESX",
			Component: "vmkernel", Category: normalize.VMM, Rule: "vmware-vmkernel", Evidence: "VMware-esx-vmkernel",
			Remedies: []normalize.Remedy{
				{Product: "ESX", Version: "3.0.2", Platform: "any", Status: normalize.RemedyFixed, PatchID: "ESX-1002424"},
				{Product: "Workstation", Version: "6.x", Platform: "any", Status: normalize.RemedyNotAffected},
			},
		}},
	}
	if err := s.SavePage(ctx, kb, res); err != nil {
		t.Fatal(err)
	}
	got := query(t, s.DB(), `SELECT severity, vm_restart_required, supersedes, packages, build, release_id FROM patches`)
	want := [][]any{{"Critical", 1, `["ESX-1001907"]`, `["VMware-esx-vmkernel","VMware-esx-vmx","VMware-esx-apps"]`, "61618", ""}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("patch details (-want +got):\n%s", diff)
	}
	rem := query(t, s.DB(), `SELECT seq, product, version, platform, status, patch_id FROM fix_remedies ORDER BY seq`)
	wantRem := [][]any{{1, "ESX", "3.0.2", "any", "fixed", "ESX-1002424"}, {2, "Workstation", "6.x", "any", "not-affected", ""}}
	if diff := cmp.Diff(wantRem, rem); diff != "" {
		t.Errorf("remedies (-want +got):\n%s", diff)
	}

	// A later page that knows less keeps what was known; a re-parse with
	// one remedy replaces the remedy rows.
	res.Patches[0] = normalize.Patch{ID: "ESX-1002424", Vendor: "vmware", Released: "2007-11-15"}
	res.Fixes[0].Remedies = res.Fixes[0].Remedies[:1]
	if err := s.SavePage(ctx, kb, res); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, query(t, s.DB(), `SELECT severity, vm_restart_required, supersedes, packages, build, release_id FROM patches`)); diff != "" {
		t.Errorf("patch details after a sparser page (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantRem[:1], query(t, s.DB(), `SELECT seq, product, version, platform, status, patch_id FROM fix_remedies ORDER BY seq`)); diff != "" {
		t.Errorf("remedies after re-parse (-want +got):\n%s", diff)
	}

	res.Fixes[0].Remedies[0].Status = "fixed-ish"
	if err := s.SavePage(ctx, kb, res); err == nil || !strings.Contains(err.Error(), `unknown status "fixed-ish"`) {
		t.Errorf("bad remedy status: err = %v", err)
	}
}

// withBodies replaces the last column of each row, a document ID, with the
// document's body as stored and decompressed by the store.
func withBodies(t *testing.T, s *Store, rows [][]any) [][]any {
	t.Helper()
	for _, r := range rows {
		d, err := s.Document(context.Background(), int64(r[len(r)-1].(int)))
		if err != nil {
			t.Fatal(err)
		}
		r[len(r)-1] = string(d.Body)
	}
	return rows
}

// A stored fetch remembers the digest of the records written from it; a
// re-parse that writes new records updates the digest and the records but
// not the stored body, and a failed parse of the same body keeps the digest
// of the records still stored.
func TestRecordsDigestAndSaveReparsed(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	res := fullResult()
	doc := xsaDoc("v1", t0)
	doc.Links = []string{"https://xenbits.xen.org/xsa/xsa355.patch"}
	if err := s.SavePage(ctx, doc, res); err != nil {
		t.Fatal(err)
	}
	ids, err := s.LatestDocumentIDs(ctx, "xen")
	if err != nil || len(ids) != 1 {
		t.Fatalf("LatestDocumentIDs = %v, %v", ids, err)
	}
	stored, err := s.Document(ctx, ids[0])
	if err != nil {
		t.Fatal(err)
	}
	want, err := RecordsDigest(doc.Links, res)
	if err != nil {
		t.Fatal(err)
	}
	if stored.ID != ids[0] || stored.RecordsDigest != want {
		t.Fatalf("stored fetch: ID %d digest %q; want ID %d digest %q", stored.ID, stored.RecordsDigest, ids[0], want)
	}
	if other, _ := RecordsDigest(nil, res); other == want {
		t.Fatalf("the digest ignores the links")
	}

	// The parser now yields a revised summary and one fix fewer.
	res.Fixes = res.Fixes[:1]
	res.Fixes[0].Summary = "stack corruption (revised)"
	stored.Links = nil
	if err := s.SaveReparsed(ctx, stored, res); err != nil {
		t.Fatal(err)
	}
	again, err := s.Document(ctx, ids[0])
	if err != nil {
		t.Fatal(err)
	}
	want, _ = RecordsDigest(nil, res)
	if again.RecordsDigest != want || string(again.Body) != "v1" || len(again.Links) != 0 {
		t.Errorf("after SaveReparsed: digest %q body %q links %v; want digest %q, body v1, no links", again.RecordsDigest, again.Body, again.Links, want)
	}
	if diff := cmp.Diff([][]any{{"XSA-355/1", "stack corruption (revised)"}}, query(t, s.DB(), `SELECT id, summary FROM fixes`)); diff != "" {
		t.Errorf("fixes after SaveReparsed (-want +got):\n%s", diff)
	}
	if err := s.SaveReparsed(ctx, Document{URL: xsaURL}, res); err == nil {
		t.Error("SaveReparsed of a document never loaded from the store succeeded")
	}

	// The same body fails to parse: the records stay, and so does their digest.
	failed := xsaDoc("v1", t1)
	failed.ParseError = "layout changed"
	if err := s.SaveDocument(ctx, failed); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Document(ctx, ids[0]); got.RecordsDigest != want || got.ParseError != "layout changed" {
		t.Errorf("after a failed parse: digest %q, parse error %q; want %q and the error", got.RecordsDigest, got.ParseError, want)
	}
}

// RecordsFrom answers "how many records did this page yield when they were
// last written", which tells a page whose layout changed (it had records,
// now it yields none) from one that never had any.
func TestRecordsFrom(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	from := func() int {
		t.Helper()
		n, err := s.RecordsFrom(ctx, xsaURL)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := from(); n != 0 {
		t.Errorf("never stored: %d records, want 0", n)
	}
	res := fullResult()
	if err := s.SavePage(ctx, xsaDoc("v1", t0), res); err != nil {
		t.Fatal(err)
	}
	want := len(res.Advisories) + len(res.Patches) + len(res.Fixes)
	if n := from(); n != want {
		t.Errorf("after the page was stored: %d records, want %d", n, want)
	}
	// The same body failing to parse later, and a new body that fails,
	// write no records: the count of the last write stands.
	same := xsaDoc("v1", t1)
	same.ParseError = "parser broke"
	changed := xsaDoc("v2 unparseable", t1.Add(time.Hour))
	changed.ParseError = "no sections"
	for _, doc := range []Document{same, changed} {
		if err := s.SaveDocument(ctx, doc); err != nil {
			t.Fatal(err)
		}
		if n := from(); n != want {
			t.Errorf("after %q was stored unparsed: %d records, want %d", doc.Body, n, want)
		}
	}
	// A page that parsed and yielded nothing did write: zero records.
	if err := s.SavePage(ctx, xsaDoc("v3 empty", t1.Add(2*time.Hour)), normalize.Result{}); err != nil {
		t.Fatal(err)
	}
	if n := from(); n != 0 {
		t.Errorf("after an empty parse: %d records, want 0", n)
	}
}

// Migration 0015 gives every stored fetch the count of the records that
// still name its page.
func TestMigrationCountsRecordsOfStoredPages(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	if err := s.SavePage(ctx, xsaDoc("v1", t0), fullResult()); err != nil {
		t.Fatal(err)
	}
	unparsed := xsaDoc("v2", t1)
	unparsed.ParseError = "no sections"
	if err := s.SaveDocument(ctx, unparsed); err != nil {
		t.Fatal(err)
	}
	// Back to the schema before 0015, then migrate again.
	for _, q := range []string{
		`ALTER TABLE documents DROP COLUMN records`,
		`CREATE INDEX advisories_document_url ON advisories (document_url)`,
		`CREATE INDEX patches_document_url ON patches (document_url)`,
		`DELETE FROM migrations WHERE version = 15`,
	} {
		if _, err := s.DB().ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := s.migrate(ctx); err != nil {
		t.Fatal(err)
	}
	stored := query(t, s.DB(), `SELECT
		(SELECT count(*) FROM advisories WHERE document_url = ?1) + (SELECT count(*) FROM patches WHERE document_url = ?1)
		+ (SELECT count(*) FROM fixes WHERE document_url = ?1)`, xsaURL)[0][0]
	got := query(t, s.DB(), `SELECT parse_error, records FROM documents ORDER BY id`)
	want := [][]any{{"", stored}, {"no sections", 0}}
	if diff := cmp.Diff(want, got); diff != "" || stored == 0 {
		t.Errorf("records after 0015 (-want +got):\n%s (stored %v)", diff, stored)
	}
}
