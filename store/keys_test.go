package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/patchwatch/patchwatch/normalize"
)

// perCVEPage is one page of a vendor that publishes an advisory per CVE, as
// Microsoft does: advisory, patch and fix IDs are the same for every such
// vendor, only the vendor and what they say differ.
func perCVEPage(vendor, title, patchDate string, cves ...string) (Document, normalize.Result) {
	doc := Document{URL: "https://" + vendor + ".example/CVE-2024-21407", Source: vendor, FetchedAt: t0, Status: 200, Body: []byte(vendor + title)}
	return doc, normalize.Result{
		Advisories: []normalize.Advisory{{
			ID: "CVE-2024-21407", Vendor: vendor, Status: normalize.StatusPublished, Title: title,
			Published: "2024-03-12", CVEs: cves[:1], Sections: []normalize.Section{{Title: "Summary", Text: title}},
		}},
		Patches: []normalize.Patch{{ID: "KB5035849", Vendor: vendor, Product: vendor + " host", Released: patchDate, AdvisoryID: "CVE-2024-21407"}},
		Fixes: []normalize.Fix{{
			ID: "CVE-2024-21407/1", AdvisoryID: "CVE-2024-21407", PatchIDs: []string{"KB5035849"},
			Vendor: vendor, Product: vendor + " host", Component: vendor + " hypervisor", Category: normalize.VMM, Security: true,
			CVEs: cves, Summary: title, Rule: "r", Evidence: "e",
			Remedies: []normalize.Remedy{{Product: vendor + " host", Status: normalize.RemedyFixed, PatchID: "KB5035849"}},
		}},
	}
}

// vendorRows is what the views, the link tables and the search index say
// about one vendor's records.
func vendorRows(t *testing.T, s *Store, vendor string) map[string][][]any {
	t.Helper()
	db := s.DB()
	return map[string][][]any{
		"v_advisories": query(t, db, `SELECT id, title, cves, fix_count, patch_count FROM v_advisories WHERE vendor = ?`, vendor),
		"v_patches":    query(t, db, `SELECT id, product, released, fix_count, categories, security FROM v_patches WHERE vendor = ?`, vendor),
		"v_fixes": query(t, db, `SELECT id, advisory_title, patch_ids, released, cves, component, summary
			FROM v_fixes WHERE vendor = ?`, vendor),
		"v_fix_remedies": query(t, db, `SELECT fix_id, seq, product, patch_id FROM v_fix_remedies WHERE vendor = ?`, vendor),
		"v_fix_patches":  query(t, db, `SELECT fix_id, patch_id, category FROM v_fix_patches WHERE vendor = ?`, vendor),
		"search": query(t, db, `SELECT kind, ref, title FROM search_text WHERE vendor = ? AND search_text MATCH '"CVE-2024-21407"'
			ORDER BY kind`, vendor),
	}
}

// Two vendors storing the same advisory, patch and fix IDs keep a record
// each, with their own CVEs, patch links and remedies, and writing one
// vendor's page again does not touch the other's records.
func TestSameIDsFromTwoVendors(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	msDoc, msRes := perCVEPage("microsoft", "Hyper-V remote code execution", "2024-03-12", "CVE-2024-21407")
	otherDoc, otherRes := perCVEPage("othervendor", "guest escape", "2024-03-20", "CVE-2024-21407", "CVE-2024-21408")
	for _, p := range []struct {
		doc Document
		res normalize.Result
	}{{msDoc, msRes}, {otherDoc, otherRes}} {
		if err := s.SavePage(ctx, p.doc, p.res); err != nil {
			t.Fatal(err)
		}
	}
	wantMS := map[string][][]any{
		"v_advisories":   {{"CVE-2024-21407", "Hyper-V remote code execution", "CVE-2024-21407", 1, 1}},
		"v_patches":      {{"KB5035849", "microsoft host", "2024-03-12", 1, "vmm", 1}},
		"v_fixes":        {{"CVE-2024-21407/1", "Hyper-V remote code execution", "KB5035849", "2024-03-12", "CVE-2024-21407", "microsoft hypervisor", "Hyper-V remote code execution"}},
		"v_fix_remedies": {{"CVE-2024-21407/1", 1, "microsoft host", "KB5035849"}},
		"v_fix_patches":  {{"CVE-2024-21407/1", "KB5035849", "vmm"}},
		"search":         {{"advisory", "CVE-2024-21407", "Hyper-V remote code execution"}, {"fix", "CVE-2024-21407/1", "microsoft hypervisor"}},
	}
	wantOther := map[string][][]any{
		"v_advisories":   {{"CVE-2024-21407", "guest escape", "CVE-2024-21407", 1, 1}},
		"v_patches":      {{"KB5035849", "othervendor host", "2024-03-20", 1, "vmm", 1}},
		"v_fixes":        {{"CVE-2024-21407/1", "guest escape", "KB5035849", "2024-03-20", "CVE-2024-21407 CVE-2024-21408", "othervendor hypervisor", "guest escape"}},
		"v_fix_remedies": {{"CVE-2024-21407/1", 1, "othervendor host", "KB5035849"}},
		"v_fix_patches":  {{"CVE-2024-21407/1", "KB5035849", "vmm"}},
		"search":         {{"advisory", "CVE-2024-21407", "guest escape"}, {"fix", "CVE-2024-21407/1", "othervendor hypervisor"}},
	}
	if diff := cmp.Diff(wantMS, vendorRows(t, s, "microsoft")); diff != "" {
		t.Errorf("microsoft after both pages (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantOther, vendorRows(t, s, "othervendor")); diff != "" {
		t.Errorf("othervendor after both pages (-want +got):\n%s", diff)
	}

	// The other vendor's page changes: its fix goes, its patch moves. A
	// harvest stores the new body, a re-parse writes over the stored fetch;
	// neither may reach Microsoft's records.
	otherDoc.Body = []byte("the fix was withdrawn")
	otherDoc.FetchedAt = t1
	otherRes.Fixes = nil
	otherRes.Patches[0].Released = "2024-04-01"
	if err := s.SavePage(ctx, otherDoc, otherRes); err != nil {
		t.Fatal(err)
	}
	wantOther = map[string][][]any{
		"v_advisories":   {{"CVE-2024-21407", "guest escape", "CVE-2024-21407", 0, 1}},
		"v_patches":      {{"KB5035849", "othervendor host", "2024-04-01", 0, "", 0}},
		"v_fixes":        nil,
		"v_fix_remedies": nil,
		"v_fix_patches":  nil,
		"search":         {{"advisory", "CVE-2024-21407", "guest escape"}},
	}
	if diff := cmp.Diff(wantOther, vendorRows(t, s, "othervendor")); diff != "" {
		t.Errorf("othervendor after its page changed (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantMS, vendorRows(t, s, "microsoft")); diff != "" {
		t.Errorf("microsoft after othervendor's page changed (-want +got):\n%s", diff)
	}

	ids, err := s.LatestDocumentIDs(ctx, "othervendor")
	if err != nil || len(ids) != 1 {
		t.Fatalf("LatestDocumentIDs = %v, %v", ids, err)
	}
	stored, err := s.Document(ctx, ids[0])
	if err != nil {
		t.Fatal(err)
	}
	_, reparsed := perCVEPage("othervendor", "guest escape, revised", "2024-04-01", "CVE-2024-21408")
	if err := s.SaveReparsed(ctx, stored, reparsed); err != nil {
		t.Fatal(err)
	}
	got := vendorRows(t, s, "othervendor")
	if diff := cmp.Diff([][]any{{"CVE-2024-21407/1", "guest escape, revised", "KB5035849", "2024-04-01", "CVE-2024-21408", "othervendor hypervisor", "guest escape, revised"}}, got["v_fixes"]); diff != "" {
		t.Errorf("othervendor's re-parsed fix (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantMS, vendorRows(t, s, "microsoft")); diff != "" {
		t.Errorf("microsoft after othervendor's re-parse (-want +got):\n%s", diff)
	}
}

// A database last migrated before 0019 keys its records by ID alone; opening
// it migrates every row, and every view reads as it did (v_fix_remedies
// gains vendor at its end), search included.
func TestMigrationKeysByVendorKeepsRows(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "patchwatch.db")
	name, err := dsn(path, writerPragmas)
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", name)
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	old := &Store{db: db, Now: func() time.Time { return t0 }}
	if err := old.migrateTo(ctx, 18); err != nil {
		t.Fatal(err)
	}
	// The rows the store wrote before 0019, search index included, as its
	// statements of then wrote them.
	for _, q := range []string{
		`INSERT INTO documents (url, source, first_fetched_at, last_fetched_at, status, sha256, body)
			VALUES ('https://xenbits.xen.org/xsa/advisory-355.txt', 'xen', '` + t0s + `', '` + t0s + `', 200, '` + sha64 + `', x'00')`,
		`INSERT INTO advisories (id, vendor, status, title, published, affected, sections, document_url) VALUES
			('XSA-355', 'xen', 'published', 'stack corruption', '2020-12-15', 'Xen 4.14', '[{"title":"IMPACT","text":"DoS."}]', 'https://xenbits.xen.org/xsa/advisory-355.txt'),
			('CVE-2024-21407', 'microsoft', 'published', 'Hyper-V remote code execution', '2024-03-12', '', '[]', 'https://msrc.example/2024-Mar')`,
		`INSERT INTO advisory_cves (advisory_id, cve) VALUES ('XSA-355', 'CVE-2020-29040'), ('XSA-355', 'CVE-2020-29041'), ('CVE-2024-21407', 'CVE-2024-21407')`,
		`INSERT INTO patches (id, vendor, product, version, released, classification, advisory_id, document_url, supersedes) VALUES
			('xsa355.patch', 'xen', 'xen', '4.14', '2020-12-16', 'security', 'XSA-355', 'https://xenbits.xen.org/xsa/advisory-355.txt', '["xsa300.patch"]'),
			('KB5035849', 'microsoft', 'Windows Server 2022', '', '2024-03-12', '', 'CVE-2024-21407', 'https://msrc.example/2024-Mar', '[]')`,
		`INSERT INTO fixes (id, advisory_id, vendor, product, versions, component, category, security, summary, rule, evidence, document_url, released) VALUES
			('XSA-355/1', 'XSA-355', 'xen', 'xen', '["4.14"]', 'hypervisor', 'vmm', 1, 'stack corruption', 'xen-hypervisor', 'Xen hypervisor', 'https://xenbits.xen.org/xsa/advisory-355.txt', '2020-12-16'),
			('CVE-2024-21407/1', 'CVE-2024-21407', 'microsoft', 'Hyper-V', '[]', 'Hyper-V', 'vmm', 1, 'remote code execution', 'hyperv', 'Hyper-V', 'https://msrc.example/2024-Mar', '2024-03-12')`,
		`INSERT INTO fix_cves (fix_id, cve) VALUES ('XSA-355/1', 'CVE-2020-29040'), ('CVE-2024-21407/1', 'CVE-2024-21407')`,
		`INSERT INTO fix_patches (fix_id, patch_id) VALUES ('XSA-355/1', 'xsa355.patch'), ('XSA-355/1', 'xsa355-4.14.patch'), ('CVE-2024-21407/1', 'KB5035849')`,
		`INSERT INTO fix_remedies (fix_id, seq, product, status, patch_id) VALUES
			('CVE-2024-21407/1', 1, 'Windows Server 2022', 'fixed', 'KB5035849'), ('CVE-2024-21407/1', 2, 'Windows Server 2019', 'not-affected', '')`,
		`INSERT INTO search_keys (kind, ref) VALUES ('advisory', 'XSA-355'), ('advisory', 'CVE-2024-21407'), ('fix', 'XSA-355/1'), ('fix', 'CVE-2024-21407/1')`,
		`INSERT INTO search_text (rowid, kind, ref, vendor, title, body)
			SELECT k.rowid, k.kind, k.ref, coalesce(a.vendor, f.vendor), coalesce(a.title, f.component), coalesce(a.affected, f.summary)
			FROM search_keys k LEFT JOIN advisories a ON k.kind = 'advisory' AND a.id = k.ref LEFT JOIN fixes f ON k.kind = 'fix' AND f.id = k.ref`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%.60s: %v", q, err)
		}
	}
	views := []string{"v_advisories", "v_patches", "v_fixes", "v_fix_remedies", "v_fix_patches"}
	before := map[string][][]any{}
	for _, v := range views {
		before[v] = query(t, db, `SELECT * FROM `+v+` ORDER BY 1, 2`)
	}
	before["search"] = query(t, db, `SELECT rowid, kind, ref, vendor FROM search_text WHERE search_text MATCH 'stack OR remote' ORDER BY rowid`)
	rows := map[string]int{}
	for _, tb := range append(dataTables, "search_keys", "search_text") {
		rows[tb] = query(t, db, `SELECT count(*) FROM `+tb)[0][0].(int)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	s, err := Open(path)
	if err != nil {
		t.Fatalf("Open migrates: %v", err)
	}
	defer s.Close()
	s.Now = func() time.Time { return t1 }
	after := map[string][][]any{}
	for _, v := range views {
		after[v] = query(t, s.DB(), `SELECT * FROM `+v+` ORDER BY 1, 2`)
	}
	after["search"] = query(t, s.DB(), `SELECT rowid, kind, ref, vendor FROM search_text WHERE search_text MATCH 'stack OR remote' ORDER BY rowid`)
	// v_fix_remedies gains the fix's vendor as its last column.
	for i, r := range after["v_fix_remedies"] {
		if r[len(r)-1] != "microsoft" {
			t.Errorf("v_fix_remedies row %d: vendor %v, want microsoft", i, r[len(r)-1])
		}
		after["v_fix_remedies"][i] = r[:len(r)-1]
	}
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("views after 0019 (-before +after):\n%s", diff)
	}
	for tb, n := range rows {
		if got := query(t, s.DB(), `SELECT count(*) FROM `+tb)[0][0]; got != n {
			t.Errorf("%s: %v rows after 0019, want %d", tb, got, n)
		}
	}
	wantKeys := [][]any{{"advisory", "microsoft", "CVE-2024-21407"}, {"advisory", "xen", "XSA-355"}, {"fix", "microsoft", "CVE-2024-21407/1"}, {"fix", "xen", "XSA-355/1"}}
	if diff := cmp.Diff(wantKeys, query(t, s.DB(), `SELECT kind, vendor, ref FROM search_keys ORDER BY kind, vendor`)); diff != "" {
		t.Errorf("search_keys after 0019 (-want +got):\n%s", diff)
	}

	// The migrated rows are keyed by vendor: the same vendor's page updates
	// them in place, another vendor's adds beside them.
	msDoc, msRes := perCVEPage("microsoft", "Hyper-V remote code execution, revised", "2024-03-12", "CVE-2024-21407")
	msDoc.URL = "https://msrc.example/2024-Mar"
	otherDoc, otherRes := perCVEPage("othervendor", "guest escape", "2024-03-20", "CVE-2024-21407")
	for _, p := range []struct {
		doc Document
		res normalize.Result
	}{{msDoc, msRes}, {otherDoc, otherRes}} {
		if err := s.SavePage(ctx, p.doc, p.res); err != nil {
			t.Fatal(err)
		}
	}
	want := [][]any{
		{"microsoft", "CVE-2024-21407", "Hyper-V remote code execution, revised", 1},
		{"othervendor", "CVE-2024-21407", "guest escape", 1},
		{"xen", "XSA-355", "stack corruption", 1},
	}
	if diff := cmp.Diff(want, query(t, s.DB(), `SELECT vendor, id, title, fix_count FROM v_advisories ORDER BY vendor`)); diff != "" {
		t.Errorf("advisories after saving over the migrated rows (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([][]any{{"ok"}}, query(t, s.DB(), `PRAGMA integrity_check`)); diff != "" {
		t.Errorf("integrity_check (-want +got):\n%s", diff)
	}
}

// sha64 is a well-formed sha256 column value for hand-made document rows.
const sha64 = "0000000000000000000000000000000000000000000000000000000000000000"

// Recomputing fix dates must look patches up by key from the fix's links;
// with the vendor in the key SQLite could instead scan every patch of the
// vendor in release order, a cost that grows with the archive.
func TestFixDatesLookUpPatchesByKey(t *testing.T) {
	s, _ := openTest(t)
	plan := query(t, s.DB(), "EXPLAIN QUERY PLAN "+sqlFixDates, "[]", "[]", "[]")
	var steps []string
	for _, row := range plan {
		steps = append(steps, row[len(row)-1].(string))
	}
	want := "SEARCH p USING PRIMARY KEY (vendor=? AND id=?)"
	if !slices.Contains(steps, want) || slices.ContainsFunc(steps, func(s string) bool { return strings.HasPrefix(s, "SEARCH p USING COVERING INDEX") }) {
		t.Errorf("plan %q: want %q and no index scan of patches", steps, want)
	}
}

// Migrations run with foreign keys off, so each is checked before it
// commits: a row left without its parent fails the migration, naming it.
func TestForeignKeyCheckNamesBrokenRows(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	conn, err := s.DB().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "PRAGMA foreign_keys = OFF"); err != nil {
		t.Fatal(err)
	}
	defer conn.ExecContext(ctx, "PRAGMA foreign_keys = ON")
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if err := foreignKeyCheck(ctx, tx); err != nil {
		t.Fatalf("an empty database: %v", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO fix_cves (vendor, fix_id, cve) VALUES ('xen', 'XSA-1/1', 'CVE-2020-0001')`); err != nil {
		t.Fatal(err)
	}
	err = foreignKeyCheck(ctx, tx)
	if err == nil || !strings.Contains(err.Error(), "fix_cves a row has no fixes") {
		t.Errorf("foreignKeyCheck = %v, want the orphaned fix_cves row named", err)
	}
}
