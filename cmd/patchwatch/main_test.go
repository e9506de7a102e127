package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/patchwatch/patchwatch/store"
)

const fixtures = "../../fixtures"

// runCmd runs patchwatch in-process and returns its exit code, stdout and
// stderr.
func runCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	e := &env{stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}
	code := run(context.Background(), e, args)
	return code, out.String(), errb.String()
}

// queryRows runs SQL through the query command and decodes its JSON output.
func queryRows(t *testing.T, db, sql string) []map[string]any {
	t.Helper()
	code, out, errs := runCmd(t, "query", "--db", db, "--format", "json", sql)
	if code != 0 {
		t.Fatalf("query %q: exit %d: %s", sql, code, errs)
	}
	var rows []map[string]any
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("query output %q: %v", out, err)
	}
	return rows
}

// execSQL opens the database at path through the store (migrating it) and
// runs each statement, to put a database into a state a harvest never
// leaves it in.
func execSQL(t *testing.T, path string, stmts ...string) {
	t.Helper()
	s, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, q := range stmts {
		if _, err := s.DB().Exec(q); err != nil {
			t.Fatal(err)
		}
	}
}

func tableCounts(t *testing.T, db string) map[string]any {
	t.Helper()
	rows := queryRows(t, db, `SELECT
		(SELECT count(*) FROM documents) AS documents,
		(SELECT count(*) FROM advisories) AS advisories,
		(SELECT count(*) FROM advisory_cves) AS advisory_cves,
		(SELECT count(*) FROM patches) AS patches,
		(SELECT count(*) FROM fixes) AS fixes,
		(SELECT count(*) FROM fix_cves) AS fix_cves,
		(SELECT count(*) FROM fix_patches) AS fix_patches`)
	return rows[0]
}

func recordedAdvisories(t *testing.T, dir string) int {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "xenbits.xen.org", "xsa", "advisory-*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	return len(m)
}

// TestHarvestFixturesEndToEnd harvests the recorded corpus through the real
// collector (replay transport) into a file database, checks counts and
// exact records, then harvests again and expects nothing to change.
func TestHarvestFixturesEndToEnd(t *testing.T) {
	db := filepath.Join(t.TempDir(), "pw.db")
	code, _, errs := runCmd(t, "harvest", "--db", db, "--replay", fixtures, "--quiet", "--source", "xen")
	if code != 0 {
		t.Fatalf("harvest exit %d:\n%s", code, errs)
	}
	texts := recordedAdvisories(t, fixtures)
	if texts < 25 {
		t.Fatalf("only %d recorded advisories", texts)
	}
	first := tableCounts(t, db)
	// Every advisory text is a page, plus the feed and the index.
	if got := first["documents"]; got != float64(texts+2) {
		t.Errorf("documents = %v, want %d", got, texts+2)
	}
	if got := first["fixes"]; got != float64(texts) {
		t.Errorf("fixes = %v, want one per advisory text (%d)", got, texts)
	}
	published := queryRows(t, db, `SELECT count(*) AS n FROM advisories WHERE status = 'published' AND published IS NOT NULL AND title <> '' AND sections <> '[]'`)
	if got := published[0]["n"]; got != float64(texts) {
		t.Errorf("%v advisories carry both the feed's dates and the text's sections, want %d", got, texts)
	}
	gaps := queryRows(t, db, `SELECT count(*) AS n FROM advisories WHERE status IN ('unused', 'withdrawn')`)
	if got := gaps[0]["n"].(float64); got < 2 {
		t.Errorf("%v unused/withdrawn numbers stored, want ≥ 2", got)
	}

	// A few exact records, with facts from the real advisories.
	xsa26 := queryRows(t, db, `SELECT a.id, a.title, a.published, a.version, f.category, f.component, f.rule,
		(SELECT group_concat(cve) FROM advisory_cves WHERE advisory_id = a.id) AS cves,
		(SELECT group_concat(patch_id, ' ') FROM (SELECT patch_id FROM fix_patches WHERE fix_id = f.id ORDER BY patch_id)) AS patches
		FROM advisories a JOIN fixes f ON f.advisory_id = a.id WHERE a.id = 'XSA-26'`)
	want := []map[string]any{{
		"id": "XSA-26", "title": "Grant table version switch list corruption vulnerability",
		"published": "2012-12-03", "version": float64(3), "category": "vmm", "component": "hypervisor",
		"rule": "xen-hypervisor", "cves": "CVE-2012-5510",
		"patches": "xsa26-4.1.patch xsa26-4.2.patch xsa26-unstable.patch",
	}}
	if diff := cmp.Diff(want, xsa26); diff != "" {
		t.Errorf("XSA-26 (-want +got):\n%s", diff)
	}
	xsa355 := queryRows(t, db, `SELECT a.version, a.published, f.category,
		(SELECT group_concat(cve) FROM advisory_cves WHERE advisory_id = a.id) AS cves
		FROM advisories a JOIN fixes f ON f.advisory_id = a.id WHERE a.id = 'XSA-355'`)
	// The v2 text names no CVE; the feed's later entry does.
	want = []map[string]any{{"version": float64(2), "published": "2020-11-24", "category": "vmm", "cves": "CVE-2020-29040"}}
	if diff := cmp.Diff(want, xsa355); diff != "" {
		t.Errorf("XSA-355 (-want +got):\n%s", diff)
	}
	kinds := queryRows(t, db, `SELECT category, count(*) AS n FROM fixes GROUP BY category ORDER BY category`)
	for _, k := range kinds {
		if k["category"] == "unclassified" {
			t.Errorf("%v fixes unclassified", k["n"])
		}
	}

	code, _, errs = runCmd(t, "harvest", "--db", db, "--replay", fixtures, "--quiet", "--source", "xen")
	if code != 0 {
		t.Fatalf("second harvest exit %d:\n%s", code, errs)
	}
	if diff := cmp.Diff(first, tableCounts(t, db)); diff != "" {
		t.Errorf("second harvest changed row counts (-first +second):\n%s", diff)
	}
	runs := queryRows(t, db, `SELECT status, pages, failed FROM runs ORDER BY id`)
	wantRuns := []map[string]any{
		{"status": "ok", "pages": float64(texts + 2), "failed": float64(0)},
		{"status": "ok", "pages": float64(texts + 2), "failed": float64(0)},
	}
	if diff := cmp.Diff(wantRuns, runs); diff != "" {
		t.Errorf("runs (-want +got):\n%s", diff)
	}
}

// copyTree copies the recorded corpus so a test can damage its copy.
func copyTree(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(to, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestHarvestBadPagesKeepsGoodData breaks four pages in four ways after a
// good harvest: each is recorded as an error with its URL, the run exits 1,
// every other page is stored, and the broken pages' earlier records stay.
func TestHarvestBadPagesKeepsGoodData(t *testing.T) {
	db := filepath.Join(t.TempDir(), "pw.db")
	if code, _, errs := runCmd(t, "harvest", "--db", db, "--replay", fixtures, "--quiet", "--source", "xen"); code != 0 {
		t.Fatalf("good harvest exit %d: %s", code, errs)
	}
	before := tableCounts(t, db)

	dir := t.TempDir()
	copyTree(t, fixtures, dir)
	xsa := filepath.Join(dir, "xenbits.xen.org", "xsa")
	write := func(name string, body []byte) {
		if err := os.WriteFile(filepath.Join(xsa, name), body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	good, err := os.ReadFile(filepath.Join(xsa, "advisory-148.txt"))
	if err != nil {
		t.Fatal(err)
	}
	write("advisory-26.txt", nil)                                 // empty
	write("advisory-148.txt", good[:len(good)/2])                 // truncated
	write("advisory-198.txt", []byte("\x1f\x8b\x08\x00\xff\xfe")) // garbage bytes
	if err := os.Remove(filepath.Join(xsa, "advisory-330.txt")); err != nil {
		t.Fatal(err) // missing from the replay dir
	}

	code, _, errs := runCmd(t, "harvest", "--db", db, "--replay", dir, "--quiet", "--source", "xen", "--revisit", "0")
	if code != 1 {
		t.Fatalf("harvest with broken pages exit %d, want 1:\n%s", code, errs)
	}
	rows := queryRows(t, db, `SELECT url, message FROM run_errors WHERE run_id = (SELECT max(id) FROM runs) ORDER BY url`)
	wantErr := map[string]string{
		"https://xenbits.xen.org/xsa/advisory-148.txt": "truncated page?",
		"https://xenbits.xen.org/xsa/advisory-198.txt": "no sections found",
		"https://xenbits.xen.org/xsa/advisory-26.txt":  "no sections found",
		"https://xenbits.xen.org/xsa/advisory-330.txt": "not recorded: https://xenbits.xen.org/xsa/advisory-330.txt",
	}
	if len(rows) != len(wantErr) {
		t.Errorf("recorded errors: %v", rows)
	}
	for _, r := range rows {
		u, msg := r["url"].(string), r["message"].(string)
		if w, ok := wantErr[u]; !ok || !strings.Contains(msg, w) {
			t.Errorf("error for %s = %q, want it to say %q", u, msg, w)
		}
		if !strings.Contains(errs, u) {
			t.Errorf("summary on stderr does not name %s", u)
		}
	}
	status := queryRows(t, db, `SELECT status, failed FROM runs ORDER BY id DESC LIMIT 1`)
	if diff := cmp.Diff([]map[string]any{{"status": "partial", "failed": float64(4)}}, status); diff != "" {
		t.Errorf("run row (-want +got):\n%s", diff)
	}
	after := tableCounts(t, db)
	for _, table := range []string{"advisories", "advisory_cves", "patches", "fixes", "fix_cves", "fix_patches"} {
		if after[table] != before[table] {
			t.Errorf("%s: %v rows before, %v after: good data was lost or duplicated", table, before[table], after[table])
		}
	}
	kept := queryRows(t, db, `SELECT count(*) AS n FROM fixes WHERE advisory_id IN ('XSA-26', 'XSA-148', 'XSA-198', 'XSA-330')`)
	if kept[0]["n"] != float64(4) {
		t.Errorf("fixes of the broken pages: %v, want the 4 from the good harvest", kept[0]["n"])
	}
}

func TestQueryIsReadOnly(t *testing.T) {
	db := filepath.Join(t.TempDir(), "pw.db")
	if code, _, errs := runCmd(t, "harvest", "--db", db, "--replay", fixtures, "--quiet", "--source", "xen"); code != 0 {
		t.Fatalf("harvest: %s", errs)
	}
	for _, sql := range []string{"DELETE FROM fixes", "DROP TABLE fixes", "INSERT INTO runs(started_at, status, sources) VALUES ('x','ok','x')"} {
		code, _, errs := runCmd(t, "query", "--db", db, sql)
		if code == 0 || !strings.Contains(errs, "read-only") {
			t.Errorf("%q: exit %d, stderr %q; want a read-only error", sql, code, errs)
		}
	}
	if n := queryRows(t, db, "SELECT count(*) AS n FROM fixes")[0]["n"]; n == float64(0) {
		t.Error("a write statement emptied the fixes table")
	}
	code, _, errs := runCmd(t, "query", "--db", db, "SELEC nonsense")
	if code == 0 || !strings.Contains(errs, "syntax error") {
		t.Errorf("bad SQL: exit %d, stderr %q", code, errs)
	}
	code, out, _ := runCmd(t, "query", "--db", db, "--format", "csv", "SELECT id, title FROM advisories WHERE id = 'XSA-26'")
	if want := "id,title\nXSA-26,Grant table version switch list corruption vulnerability\n"; code != 0 || out != want {
		t.Errorf("csv: exit %d, got %q, want %q", code, out, want)
	}
	code, out, _ = runCmd(t, "query", "--db", db, "SELECT id, version FROM advisories WHERE id IN ('XSA-26','XSA-355') ORDER BY id")
	if want := "id       version\nXSA-26   3\nXSA-355  2\n"; code != 0 || out != want {
		t.Errorf("table: exit %d, got %q, want %q", code, out, want)
	}
	code, _, errs = runCmd(t, "query", "--db", filepath.Join(t.TempDir(), "absent.db"), "SELECT 1")
	if code != 2 || !strings.Contains(errs, "absent.db") {
		t.Errorf("missing database: exit %d, stderr %q", code, errs)
	}
}

func TestParseCommandPrintsStableJSON(t *testing.T) {
	code, out, errs := runCmd(t, "parse", "--source", "xen", "--url", "https://xenbits.xen.org/xsa/advisory-355.txt",
		filepath.Join(fixtures, "xenbits.xen.org", "xsa", "advisory-355.txt"))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var got map[string][]map[string]any
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	keys := func(m map[string]any) []string {
		var k []string
		for key := range m {
			k = append(k, key)
		}
		return k
	}
	required := map[string][]string{
		"advisories": {"id", "vendor", "title", "severity", "published", "updated", "url", "cves"},
		"fixes":      {"advisory_id", "patch_ids", "vendor", "product", "versions", "component", "category", "security", "severity", "cves", "summary", "rule", "evidence"},
	}
	for kind, fields := range required {
		if len(got[kind]) != 1 {
			t.Fatalf("%s: %d records, want 1", kind, len(got[kind]))
		}
		have := strings.Join(keys(got[kind][0]), " ")
		for _, f := range fields {
			if _, ok := got[kind][0][f]; !ok {
				t.Errorf("%s lacks field %q (has %s)", kind, f, have)
			}
		}
	}
	if got["fixes"][0]["category"] != "vmm" || got["advisories"][0]["id"] != "XSA-355" {
		t.Errorf("unexpected record: %v", got)
	}
}

func TestUsageErrorsExit2(t *testing.T) {
	cases := [][]string{
		{},
		{"frobnicate"},
		{"harvest", "--no-such-flag"},
		{"harvest", "--source", "nosuch", "--replay", fixtures},
		{"harvest", "--replay", fixtures, "--record", "x"},
		{"parse", "--source", "xen"},
		{"parse", "--source", "xen", "--url", "https://xenbits.xen.org/xsa/advisory-1.txt", "/no/such/file"},
		{"query", "--format", "xml", "SELECT 1"},
	}
	for _, args := range cases {
		code, out, errs := runCmd(t, args...)
		if code != 2 || errs == "" || out != "" {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want exit 2 and a message on stderr only", args, code, out, errs)
		}
	}
	if code, _, errs := runCmd(t, "harvest", "--help"); code != 0 || !strings.Contains(errs, "--replay") {
		t.Errorf("harvest --help: exit %d, %q", code, errs)
	}
}

func TestParseCommandPrintsEmptyListsNotNull(t *testing.T) {
	// The index page holds only unused and withdrawn numbers: no patches
	// and no fixes, which must print as [] for other tools.
	code, out, errs := runCmd(t, "parse", "--source", "xen", "--url", "https://xenbits.xen.org/xsa/",
		filepath.Join(fixtures, "xenbits.xen.org", "xsa", "index.html"))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(out, `"patches": []`) || !strings.Contains(out, `"fixes": []`) || strings.Contains(out, "null") {
		t.Errorf("empty lists not printed as []:\n%s", out)
	}
}
