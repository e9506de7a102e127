package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/patchwatch/patchwatch/store"
)

// TestReparseFromStoredPages harvests a copy of the corpus, removes the
// copy so nothing can be fetched again, loses the fixes, and rebuilds them
// from the raw pages in the database alone. A plain reparse writes only the
// pages whose parse output changed; --force writes them all.
func TestReparseFromStoredPages(t *testing.T) {
	dir := t.TempDir()
	copyTree(t, fixtures, dir)
	db := filepath.Join(t.TempDir(), "pw.db")
	if code, _, errs := runCmd(t, "harvest", "--db", db, "--replay", dir, "--source", "xen", "--quiet"); code != 0 {
		t.Fatalf("harvest: %s", errs)
	}
	want := tableCounts(t, db)
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.DB().Exec(`DELETE FROM fixes; DELETE FROM advisory_cves; UPDATE advisories SET sections = '[]'`); err != nil {
		t.Fatal(err)
	}
	st.Close()

	// The parser's output is what was stored: nothing is written, so the
	// records lost by hand stay lost.
	code, _, errs := runCmd(t, "reparse", "--db", db, "--source", "xen")
	if code != 0 || !strings.Contains(errs, "reparse xen: 28 pages re-parsed, 0 written, 28 unchanged, 0 failed") {
		t.Fatalf("reparse: exit %d, stderr %q", code, errs)
	}
	if got := tableCounts(t, db)["fixes"]; got != float64(0) {
		t.Fatalf("a reparse with nothing changed wrote %v fixes", got)
	}
	// One page's stored digest no longer matches (as after a parser fix
	// that changes its records): that page alone is written.
	st, err = store.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.DB().Exec(`UPDATE documents SET records_digest = '' WHERE url = 'https://xenbits.xen.org/xsa/advisory-355.txt'`); err != nil {
		t.Fatal(err)
	}
	st.Close()
	code, _, errs = runCmd(t, "reparse", "--db", db, "--source", "xen")
	if code != 0 || !strings.Contains(errs, "reparse xen: 28 pages re-parsed, 1 written, 27 unchanged, 0 failed") {
		t.Fatalf("reparse after a changed digest: exit %d, stderr %q", code, errs)
	}
	rows := queryRows(t, db, `SELECT DISTINCT advisory_id FROM fixes`)
	if len(rows) != 1 || rows[0]["advisory_id"] != "XSA-355" {
		t.Errorf("fixes after re-parsing one page belong to %v, want XSA-355 alone", rows)
	}

	code, _, errs = runCmd(t, "reparse", "--db", db, "--source", "xen", "--force")
	if code != 0 || !strings.Contains(errs, "reparse xen: 28 pages re-parsed, 28 written, 0 unchanged, 0 failed") {
		t.Fatalf("reparse --force: exit %d, stderr %q", code, errs)
	}
	got := tableCounts(t, db)
	for table, n := range want {
		if got[table] != n {
			t.Errorf("%s: %v rows after reparse, %v after the harvest", table, got[table], n)
		}
	}
	rows = queryRows(t, db, `SELECT count(*) AS n FROM advisories WHERE status = 'published' AND sections = '[]'`)
	if rows[0]["n"] != float64(0) {
		t.Errorf("%v advisories still lack their sections", rows[0]["n"])
	}
}

func TestStatusFlagsStaleSources(t *testing.T) {
	db := filepath.Join(t.TempDir(), "pw.db")
	if code, _, errs := runCmd(t, "harvest", "--db", db, "--replay", fixtures, "--source", "xen", "--quiet"); code != 0 {
		t.Fatalf("harvest: %s", errs)
	}
	code, out, errs := runCmd(t, "status", "--db", db, "--source", "xen")
	if code != 0 || !strings.Contains(out, "xen") || strings.Contains(out, "STALE") {
		t.Errorf("fresh source: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	// Backdate the success by three days: now it is stale.
	st, err := store.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.DB().ExecContext(context.Background(),
		`UPDATE run_sources SET finished_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-3 days')`); err != nil {
		t.Fatal(err)
	}
	st.Close()
	code, out, _ = runCmd(t, "status", "--db", db, "--source", "xen", "--days", "2")
	if code != 1 || !strings.Contains(out, "STALE") {
		t.Errorf("stale source: exit %d, stdout %q", code, out)
	}
	code, out, _ = runCmd(t, "runs", "--db", db, "--run", "1")
	if code != 0 || !strings.Contains(out, "xen") || !strings.Contains(out, "unchanged") {
		t.Errorf("runs --run 1: exit %d, stdout %q", code, out)
	}
}
