package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// headWriter keeps the first bytes written to it and counts the rest, so a
// test can run a query whose result has no end.
type headWriter struct {
	mu    sync.Mutex
	head  bytes.Buffer
	total int
}

func (h *headWriter) Write(p []byte) (int, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if room := 4096 - h.head.Len(); room > 0 {
		h.head.Write(p[:min(room, len(p))])
	}
	h.total += len(p)
	return len(p), nil
}

// TestQueryTimeoutAndStreaming (issue 15, item 8): a runaway recursive query
// is interrupted by --timeout with exit 1 and a message that names the
// flag, and its rows were written while it ran, not held until the end (a
// query that never ends would otherwise print nothing and grow without
// bound).
func TestQueryTimeoutAndStreaming(t *testing.T) {
	db := buildAnalystDB(t)
	var out headWriter
	var errb bytes.Buffer
	e := &env{stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}
	start := time.Now()
	code := run(context.Background(), e, []string{"query", "--db", db, "--format", "csv", "--timeout", "1s",
		"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x FROM c"})
	elapsed := time.Since(start)
	if code != exitPartial {
		t.Fatalf("exit %d, want %d: %s", code, exitPartial, errb.String())
	}
	if !strings.Contains(errb.String(), "--timeout 1s") {
		t.Errorf("stderr does not name the timeout: %q", errb.String())
	}
	if elapsed > 10*time.Second {
		t.Errorf("took %s to stop a query with a 1s timeout", elapsed)
	}
	// Output goes through a 4 KiB buffer: more than two buffers' worth means
	// rows reached stdout while the statement was still running. Held rows
	// would print nothing, as the statement never ends. (About 45 KB arrive
	// in 300 ms under -race on a loaded machine, so the bound is loose.)
	if !strings.HasPrefix(out.head.String(), "x\n1\n2\n3\n") || out.total < 3*4096 {
		t.Errorf("rows were not streamed: %d bytes written, starting %q", out.total, out.head.String()[:min(out.head.Len(), 40)])
	}
	if code, _, errs := runCmd(t, "query", "--db", db, "--timeout", "-1s", "SELECT 1"); code != exitFatal {
		t.Errorf("negative --timeout: exit %d, want %d: %s", code, exitFatal, errs)
	}
}

// TestQueryAndSearchCSVNeutraliseFormulas (issue 14 and issue 15, item 9):
// query and search --format csv give formula cells a leading ', as export
// does, and leave numbers and ordinary text alone.
func TestQueryAndSearchCSVNeutraliseFormulas(t *testing.T) {
	db := buildAnalystDB(t)
	code, out, errs := runCmd(t, "query", "--db", db, "--format", "csv",
		`SELECT '=1+2' AS a, -1 AS n, '@SUM(A1)' AS b, '-cmd|x' AS c, 'plain, "quoted"' AS d, 2.5 AS f`)
	if code != 0 {
		t.Fatalf("query: exit %d: %s", code, errs)
	}
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"a", "n", "b", "c", "d", "f"}, {"'=1+2", "-1", "'@SUM(A1)", "'-cmd|x", `plain, "quoted"`, "2.5"}}
	if diff := cmp.Diff(want, recs); diff != "" {
		t.Errorf("query csv (-want +got):\n%s", diff)
	}

	code, out, errs = runCmd(t, "search", "--db", db, "--format", "csv", "hyperlink")
	if code != 0 {
		t.Fatalf("search: exit %d: %s", code, errs)
	}
	if recs, err = csv.NewReader(strings.NewReader(out)).ReadAll(); err != nil || len(recs) < 2 {
		t.Fatalf("search csv %q: %v", out, err)
	}
	var titles []string
	for _, r := range recs[1:] {
		titles = append(titles, r[4])
	}
	if diff := cmp.Diff([]string{`'=HYPERLINK("http://evil.test","x")`}, titles); diff != "" {
		t.Errorf("search csv titles (-want +got):\n%s", diff)
	}
}

// TestOutputsDoNotFollowSymlinks (issue 15, item 9): export and report
// replace a symlink planted at an output path instead of writing into the
// file it points at.
func TestOutputsDoNotFollowSymlinks(t *testing.T) {
	db := buildAnalystDB(t)
	victim := filepath.Join(t.TempDir(), "victim")
	if err := os.WriteFile(victim, []byte("precious"), 0o644); err != nil {
		t.Fatal(err)
	}
	outDir := t.TempDir()
	for _, name := range []string{"fixes.csv", "x_patchwatch-xen-XSA-130.json", "report.html"} {
		if err := os.Symlink(victim, filepath.Join(outDir, name)); err != nil {
			t.Fatal(err)
		}
	}
	for _, args := range [][]string{
		{"export", "--db", db, "--format", "csv", "--out", outDir},
		{"export", "--db", db, "--format", "osv", "--out", outDir},
		{"report", "--db", db, "--out", filepath.Join(outDir, "report.html")},
	} {
		if code, _, errs := runCmd(t, args...); code != 0 {
			t.Fatalf("%q: exit %d: %s", args, code, errs)
		}
	}
	if b, _ := os.ReadFile(victim); string(b) != "precious" {
		t.Errorf("the symlinks' target was overwritten: %.60q", b)
	}
	for _, name := range []string{"fixes.csv", "x_patchwatch-xen-XSA-130.json", "report.html"} {
		info, err := os.Lstat(filepath.Join(outDir, name))
		if err != nil || !info.Mode().IsRegular() || info.Size() == 0 {
			t.Errorf("%s: %v, %v; want a new regular file in place of the symlink", name, info, err)
		}
	}
	left, _ := filepath.Glob(filepath.Join(outDir, ".*tmp*"))
	if len(left) > 0 {
		t.Errorf("temporary files left behind: %q", left)
	}
}

// TestSearchStarAloneNamesTheProblem (issue 15, item 9): search '*' without
// --raw no longer tells the user to "drop --raw".
func TestSearchStarAloneNamesTheProblem(t *testing.T) {
	db := buildAnalystDB(t)
	code, out, errs := runCmd(t, "search", "--db", db, "*")
	if code != exitFatal || out != "" {
		t.Errorf("exit %d, stdout %q; want exit %d and nothing on stdout", code, out, exitFatal)
	}
	if strings.Contains(errs, "--raw") || !strings.Contains(errs, "no word to search for") {
		t.Errorf("stderr %q; want the missing word named and no mention of --raw", errs)
	}
	// With --raw, an invalid expression still points at --raw.
	if code, _, errs := runCmd(t, "search", "--db", db, "--raw", "AND AND"); code != exitFatal || !strings.Contains(errs, "drop --raw") {
		t.Errorf("--raw 'AND AND': exit %d, stderr %q", code, errs)
	}
}

// TestOlderSchemaIsExplained: a database migrated only up to 0015 (before
// the views these commands read) is not migrated by read-only commands; they
// say how to migrate it instead of only "no such table".
func TestOlderSchemaIsExplained(t *testing.T) {
	db := buildAnalystDB(t)
	// Undo 0020 too (its view reads patches, which 0019 rebuilds), so the
	// database really is at 0017.
	execSQL(t, db, `DROP VIEW v_fix_patches`, `DROP VIEW v_patch_provenance`, `DROP TABLE archive_captures`,
		`DROP TABLE archive_listings`, `ALTER TABLE documents DROP COLUMN captured_at`, `ALTER TABLE documents DROP COLUMN archive_url`,
		`DELETE FROM migrations WHERE version >= 18`)
	code, _, errs := runCmd(t, "cadence", "--db", db, "--compare", "--months", "6")
	if code != exitFatal || !strings.Contains(errs, "v_fix_patches") || !strings.Contains(errs, "patchwatch reparse") {
		t.Errorf("exit %d, stderr %q; want exit 2 naming the view and how to migrate", code, errs)
	}
	// After a command that migrates, it works.
	if code, _, errs := runCmd(t, "reparse", "--db", db); code != 0 {
		t.Fatalf("reparse: exit %d: %s", code, errs)
	}
	if code, _, errs := runCmd(t, "cadence", "--db", db, "--compare", "--months", "6"); code != 0 {
		t.Errorf("after reparse: exit %d: %s", code, errs)
	}
}

// A database migrated only up to 0018 has no v_fix_remedies.vendor, which
// the export reads fixes by (0019); export fails once, saying how to
// migrate, instead of skipping every advisory with the same error.
func TestExportOnPre0019DatabaseIsExplained(t *testing.T) {
	db := buildAnalystDB(t)
	execSQL(t, db,
		`DROP VIEW v_fix_remedies`,
		`CREATE VIEW v_fix_remedies AS SELECT fix_id, seq, product, version, platform, status, patch_id, fixed_version FROM fix_remedies`,
		`DELETE FROM migrations WHERE version >= 19`,
	)
	code, _, errs := runCmd(t, "export", "--db", db, "--format", "osv", "--out", t.TempDir())
	if code != exitFatal || strings.Count(errs, "\n") != 1 || !strings.Contains(errs, "vendor") || !strings.Contains(errs, "patchwatch reparse") {
		t.Errorf("exit %d, stderr %q; want exit 2 and one line naming the column and how to migrate", code, errs)
	}
}
