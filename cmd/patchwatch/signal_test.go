package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const (
	csafDir     = "security.access.redhat.com/data/csaf/v2/advisories"
	csafBase    = "https://" + csafDir + "/"
	csafArchive = csafBase + "csaf_advisories_2024-05-05.tar.zst"
)

// redhatRun harvests the Red Hat source from a replay directory and
// returns the exit code and the run's ledger line.
func redhatRun(t *testing.T, db, dir string) (int, map[string]any) {
	t.Helper()
	code, _, _ := runCmd(t, "harvest", "--db", db, "--replay", dir, "--quiet", "--source", "redhat-kvm")
	line := queryRows(t, db, `SELECT new, changed, unchanged, failed, http_2xx FROM run_sources ORDER BY run_id DESC LIMIT 1`)
	return code, line[0]
}

// runErrors lists the ledger's errors of the latest run as "url: message".
func runErrors(t *testing.T, db string) []string {
	t.Helper()
	var out []string
	for _, r := range queryRows(t, db, `SELECT url, message FROM run_errors WHERE run_id = (SELECT max(id) FROM runs) ORDER BY id`) {
		out = append(out, r["url"].(string)+": "+r["message"].(string))
	}
	return out
}

// TestRedHatArchiveThenChanges fills the Red Hat source from the recorded
// archive, keeping only the KVM documents, fetches the one document the
// change list dates after the archive, and then, with nothing changed,
// asks for the two lists only.
func TestRedHatArchiveThenChanges(t *testing.T) {
	db := filepath.Join(t.TempDir(), "pw.db")
	code, line := redhatRun(t, db, fixtures)
	if code != 0 {
		t.Fatalf("first harvest: exit %d: %v", code, runErrors(t, db))
	}
	// Requests: pointer, archive, changes.csv, deletions.csv and
	// RHSA-2019:1268, dated after the archive was built. New: the seven KVM
	// documents of the archive and the two lists. Unchanged: the six the
	// change list dates before the archive, the two left out of it (the
	// end-of-life notice and the fence-agents erratum), and RHSA-2019:1268,
	// whose body is the archive's (written again only for its fetch time).
	want := map[string]any{"new": float64(9), "changed": float64(0), "unchanged": float64(9), "failed": float64(0), "http_2xx": float64(5)}
	if diff := cmp.Diff(want, line); diff != "" {
		t.Errorf("first run ledger (-want +got):\n%s", diff)
	}
	docs := queryRows(t, db, `SELECT url, last_fetched_at > '2024-06-01' AS refreshed FROM documents ORDER BY url`)
	wantDocs := []map[string]any{
		{"url": csafBase + "2015/rhsa-2015_0999.json", "refreshed": float64(0)},
		{"url": csafBase + "2016/rhsa-2016_0724.json", "refreshed": float64(0)},
		{"url": csafBase + "2018/rhsa-2018_0395.json", "refreshed": float64(0)},
		{"url": csafBase + "2018/rhsa-2018_1318.json", "refreshed": float64(0)},
		{"url": csafBase + "2019/rhsa-2019_1185.json", "refreshed": float64(0)},
		{"url": csafBase + "2019/rhsa-2019_1268.json", "refreshed": float64(1)},
		{"url": csafBase + "2020/rhsa-2020_1358.json", "refreshed": float64(0)},
		{"url": csafBase + "archive_latest.txt", "refreshed": float64(1)},
		{"url": csafBase + "changes.csv", "refreshed": float64(1)},
		{"url": csafBase + "deletions.csv", "refreshed": float64(1)},
	}
	// RHSA-2019:1862 (an end-of-life notice) and RHSA-2023:7435
	// (fence-agents) are in the archive but not about KVM.
	if diff := cmp.Diff(wantDocs, docs); diff != "" {
		t.Errorf("stored documents (-want +got):\n%s", diff)
	}
	first := tableCounts(t, db)
	if first["advisories"] != float64(7) {
		t.Errorf("advisories = %v, want the 7 KVM RHSAs", first["advisories"])
	}

	code, line = redhatRun(t, db, fixtures)
	if code != 0 {
		t.Fatalf("second harvest: exit %d: %v", code, runErrors(t, db))
	}
	want = map[string]any{"new": float64(0), "changed": float64(0), "unchanged": float64(11), "failed": float64(0), "http_2xx": float64(2)}
	if diff := cmp.Diff(want, line); diff != "" {
		t.Errorf("unchanged run ledger (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(first, tableCounts(t, db)); diff != "" {
		t.Errorf("unchanged run changed the counts (-first +second):\n%s", diff)
	}
}

// TestRedHatFaults: each broken input ends in an error in the ledger that
// names the file and the reason, and what was stored stays stored.
func TestRedHatFaults(t *testing.T) {
	t.Run("truncated archive", func(t *testing.T) {
		dir := t.TempDir()
		copyTree(t, filepath.Join(fixtures, "security.access.redhat.com"), filepath.Join(dir, "security.access.redhat.com"))
		name := filepath.Join(dir, filepath.FromSlash(csafDir), "csaf_advisories_2024-05-05.tar.zst")
		good, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(name, good[:len(good)/2], 0o644); err != nil {
			t.Fatal(err)
		}
		db := filepath.Join(t.TempDir(), "pw.db")
		code, _ := redhatRun(t, db, dir)
		errs := runErrors(t, db)
		if code == 0 || len(errs) != 1 || !strings.HasPrefix(errs[0], csafArchive+": ") || !mentionsAny(errs[0], "unexpected EOF|archive broken") {
			t.Fatalf("exit %d, ledger %q; want one error naming the archive and the break", code, errs)
		}
		kept := tableCounts(t, db)["advisories"].(float64)
		if kept == 0 || kept >= 7 {
			t.Errorf("%v advisories stored before the break, want some but not all", kept)
		}
		// The pointer was not stored: the next run reads the archive again
		// and completes what the broken one started.
		if err := os.WriteFile(name, good, 0o644); err != nil {
			t.Fatal(err)
		}
		if code, _ := redhatRun(t, db, dir); code != 0 {
			t.Fatalf("harvest after the repair: exit %d: %v", code, runErrors(t, db))
		}
		if got := tableCounts(t, db)["advisories"]; got != float64(7) {
			t.Errorf("advisories after the repair = %v, want 7", got)
		}
	})
	t.Run("corrupt archive", func(t *testing.T) {
		dir := t.TempDir()
		copyTree(t, filepath.Join(fixtures, "security.access.redhat.com"), filepath.Join(dir, "security.access.redhat.com"))
		name := filepath.Join(dir, filepath.FromSlash(csafDir), "csaf_advisories_2024-05-05.tar.zst")
		if err := os.WriteFile(name, []byte("<html><body>Service Unavailable</body></html>"), 0o644); err != nil {
			t.Fatal(err)
		}
		db := filepath.Join(t.TempDir(), "pw.db")
		code, _ := redhatRun(t, db, dir)
		errs := runErrors(t, db)
		if code == 0 || len(errs) != 1 || !strings.HasPrefix(errs[0], csafArchive+": ") || !strings.Contains(errs[0], "magic") {
			t.Fatalf("exit %d, ledger %q; want one error naming the archive as not zstd", code, errs)
		}
		// Without the archive the change list is not read: it would ask
		// for every document Red Hat has.
		if got := tableCounts(t, db)["documents"]; got != float64(0) {
			t.Errorf("%v documents stored from a run without its archive", got)
		}
	})
	t.Run("changes.csv names a missing file", func(t *testing.T) {
		dir := t.TempDir()
		copyTree(t, filepath.Join(fixtures, "security.access.redhat.com"), filepath.Join(dir, "security.access.redhat.com"))
		db := filepath.Join(t.TempDir(), "pw.db")
		if code, _ := redhatRun(t, db, dir); code != 0 {
			t.Fatalf("good harvest: exit %d: %v", code, runErrors(t, db))
		}
		before := tableCounts(t, db)
		changes := filepath.Join(dir, filepath.FromSlash(csafDir), "changes.csv")
		body, err := os.ReadFile(changes)
		if err != nil {
			t.Fatal(err)
		}
		missing := `"2025/rhsa-2025_0042.json","2025-01-09T10:00:00+00:00"` + "\n"
		if err := os.WriteFile(changes, append([]byte(missing), body...), 0o644); err != nil {
			t.Fatal(err)
		}
		code, line := redhatRun(t, db, dir)
		errs := runErrors(t, db)
		if code == 0 || len(errs) != 1 || !strings.HasPrefix(errs[0], csafBase+"2025/rhsa-2025_0042.json: ") || !strings.Contains(errs[0], "not recorded") {
			t.Fatalf("exit %d, ledger %q; want one error naming the missing document", code, errs)
		}
		if line["http_2xx"] != float64(2) {
			t.Errorf("%v answered requests, want the two lists (and the missing file's failure)", line["http_2xx"])
		}
		after := tableCounts(t, db)
		delete(before, "documents")
		delete(after, "documents") // the changed changes.csv is stored again
		if diff := cmp.Diff(before, after); diff != "" {
			t.Errorf("records changed (-before +after):\n%s", diff)
		}
	})
	t.Run("deletions.csv withdraws a stored advisory", func(t *testing.T) {
		dir := t.TempDir()
		copyTree(t, filepath.Join(fixtures, "security.access.redhat.com"), filepath.Join(dir, "security.access.redhat.com"))
		db := filepath.Join(t.TempDir(), "pw.db")
		if code, _ := redhatRun(t, db, dir); code != 0 {
			t.Fatalf("good harvest: exit %d: %v", code, runErrors(t, db))
		}
		deletions := filepath.Join(dir, filepath.FromSlash(csafDir), "deletions.csv")
		row := `"2018/rhsa-2018_0395.json","2025-02-01T00:00:00+00:00"` + "\n"
		if err := os.WriteFile(deletions, []byte(row), 0o644); err != nil {
			t.Fatal(err)
		}
		if code, _ := redhatRun(t, db, dir); code != 0 {
			t.Fatalf("harvest with a deletion: exit %d: %v", code, runErrors(t, db))
		}
		got := queryRows(t, db, `SELECT id, status, (SELECT count(*) FROM fixes WHERE advisory_id = a.id) > 0 AS has_fixes
			FROM advisories a WHERE status <> 'published'`)
		want := []map[string]any{{"id": "RHSA-2018:0395", "status": "withdrawn", "has_fixes": float64(1)}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("withdrawn advisories (-want +got):\n%s", diff)
		}
	})
}

// TestBroadcomListErrorPage: the Broadcom list (a POST) answering an HTML
// error page ends in a ledger error naming the request and saying what
// came back; the advisories stored from it before stay.
func TestBroadcomListErrorPage(t *testing.T) {
	dir := t.TempDir()
	copyTree(t, fixtures, dir)
	db := filepath.Join(t.TempDir(), "pw.db")
	vmware := func() int {
		code, _, _ := runCmd(t, "harvest", "--db", db, "--replay", dir, "--quiet", "--source", "vmware")
		return code
	}
	if code := vmware(); code != 0 {
		t.Fatalf("good harvest: exit %d: %v", code, runErrors(t, db))
	}
	before := queryRows(t, db, `SELECT id, status, severity FROM advisories WHERE id = 'VMSA-2024-0012'`)
	if len(before) != 1 {
		t.Fatalf("VMSA-2024-0012 not stored from the Broadcom list: %v", before)
	}
	lists, err := filepath.Glob(filepath.Join(dir, "support.broadcom.com", "web", "ecx", "security-advisory", "-", "securityadvisory", "getSecurityAdvisoryList.POST-*"))
	if err != nil || len(lists) != 1 {
		t.Fatalf("recorded POST list: %v %v", lists, err)
	}
	page := "<!DOCTYPE html><html><head><title>Error</title></head><body><h1>Access Denied</h1></body></html>"
	if err := os.WriteFile(lists[0], []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
	if code := vmware(); code == 0 {
		t.Fatal("a harvest whose list answered an error page exited 0")
	}
	errs := runErrors(t, db)
	const list = "https://support.broadcom.com/web/ecx/security-advisory/-/securityadvisory/getSecurityAdvisoryList#request=POST"
	if len(errs) != 1 || !strings.HasPrefix(errs[0], list) || !strings.Contains(errs[0], "an HTML page where the JSON advisory list should be") ||
		!strings.Contains(errs[0], "earlier records kept") {
		t.Errorf("ledger %q; want one error naming the POST list, the HTML page and the kept records", errs)
	}
	if diff := cmp.Diff(before, queryRows(t, db, `SELECT id, status, severity FROM advisories WHERE id = 'VMSA-2024-0012'`)); diff != "" {
		t.Errorf("VMSA-2024-0012 changed (-before +after):\n%s", diff)
	}
}

// TestReparseKeepsWithdrawals: re-parsing every stored page (which writes
// each advisory as published) leaves the advisories deletions.csv named
// withdrawn.
func TestReparseKeepsWithdrawals(t *testing.T) {
	dir := t.TempDir()
	copyTree(t, filepath.Join(fixtures, "security.access.redhat.com"), filepath.Join(dir, "security.access.redhat.com"))
	row := `"2018/rhsa-2018_0395.json","2025-02-01T00:00:00+00:00"` + "\n"
	if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(csafDir), "deletions.csv"), []byte(row), 0o644); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(t.TempDir(), "pw.db")
	if code, _ := redhatRun(t, db, dir); code != 0 {
		t.Fatalf("harvest: exit %d: %v", code, runErrors(t, db))
	}
	if code, _, errs := runCmd(t, "reparse", "--db", db, "--force"); code != 0 {
		t.Fatalf("reparse: exit %d: %s", code, errs)
	}
	got := queryRows(t, db, `SELECT id FROM advisories WHERE status = 'withdrawn'`)
	if diff := cmp.Diff([]map[string]any{{"id": "RHSA-2018:0395"}}, got); diff != "" {
		t.Errorf("withdrawn after reparse (-want +got):\n%s", diff)
	}
}
