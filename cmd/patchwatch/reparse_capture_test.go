package main

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/patchwatch/patchwatch/scrapers"
	"github.com/patchwatch/patchwatch/scrapers/vmware"
	"github.com/patchwatch/patchwatch/store"
)

// TestReparseKeepsRejectedCaptureUnparsed: a capture the history harvest
// kept unparsed because it is cut off (or a soft 404) stays so under
// reparse, even when it is the URL's latest copy and today's parser reads
// it: re-parsing it would store the half page's records and, since it is
// the latest copy, drop the fixes the whole earlier capture stored.
func TestReparseKeepsRejectedCaptureUnparsed(t *testing.T) {
	const kb = "https://kb.vmware.com/kb/1002424"
	whole, err := os.ReadFile(filepath.Join(fixtures, "web.archive.org/web/20071130181207id_/http:/kb.vmware.com:80/kb/1002424"))
	if err != nil {
		t.Fatal(err)
	}
	// Cut after the second item of the fix list: the parser reads two fixes.
	i := strings.Index(string(whole), "<li>The vmkping")
	if i < 0 {
		t.Fatal("fixture changed: no vmkping item")
	}
	cut := whole[:i]
	u, _ := url.Parse(kb)
	if p, err := (vmware.Source{}).Parse(scrapers.Page{URL: u, ContentType: "text/html", Body: cut}); err != nil || len(p.Fixes) == 0 {
		t.Fatalf("the cut page should still parse (with fewer fixes): %d fixes, %v", len(p.Fixes), err)
	}

	db := filepath.Join(t.TempDir(), "pw.db")
	st, err := store.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	good := time.Date(2007, 11, 30, 18, 12, 7, 0, time.UTC)
	p, err := (vmware.Source{}).Parse(scrapers.Page{URL: u, ContentType: "text/html", Body: whole})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SavePage(ctx, store.Document{URL: kb, Source: "vmware", Status: 200, ContentType: "text/html", Body: whole,
		CapturedAt: good, ArchiveURL: "https://web.archive.org/web/20071130181207id_/http://kb.vmware.com:80/kb/1002424",
		ArchiveDigest: "GOOD", Links: p.Follow}, p.Result); err != nil {
		t.Fatal(err)
	}
	later := good.Add(30 * 24 * time.Hour)
	if err := st.SaveDocument(ctx, store.Document{URL: kb, Source: "vmware", Status: 200, ContentType: "text/html", Body: cut,
		CapturedAt: later, ArchiveURL: "https://web.archive.org/web/20071230181207id_/http://kb.vmware.com:80/kb/1002424",
		ArchiveDigest: "CUT", ParseError: scrapers.ErrTruncated.Error()}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	want := queryRows(t, db, `SELECT id, summary FROM fixes ORDER BY id`)
	if len(want) != 5 {
		t.Fatalf("the whole capture stored %d fixes, want 5", len(want))
	}

	code, _, errs := runCmd(t, "reparse", "--db", db, "--source", "vmware", "--force")
	if code != 0 {
		t.Fatalf("reparse: exit %d, stderr %q", code, errs)
	}
	if got := queryRows(t, db, `SELECT id, summary FROM fixes ORDER BY id`); len(got) != len(want) {
		t.Errorf("after reparse %d fixes, want the whole capture's %d: %v", len(got), len(want), got)
	}
	if got := queryRows(t, db, `SELECT count(*) AS n FROM documents WHERE parse_error = ''`); got[0]["n"] != float64(1) {
		t.Errorf("documents parsed after reparse: %v, want only the whole capture", got[0]["n"])
	}
}
