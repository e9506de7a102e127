package main

import (
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestQueryRefusesWrites runs statements that would change the database or
// the connection: each is refused with a message naming the reason, and the
// data is untouched afterwards. Reads, including read-only pragmas, still
// work.
func TestQueryRefusesWrites(t *testing.T) {
	db := buildAnalystDB(t)
	before := queryRows(t, db, "SELECT (SELECT count(*) FROM fixes) AS fixes, (SELECT count(*) FROM patches) AS patches")
	other := filepath.Join(t.TempDir(), "other.db")
	tests := []struct{ sql, want string }{
		{"DELETE FROM fixes", "DELETE statements are refused"},
		{"  delete from fixes where 1", "DELETE statements are refused"},
		{"DROP TABLE fixes", "DROP statements are refused"},
		{"/* comment; first */\n DROP VIEW v_fixes", "DROP statements are refused"},
		{"ATTACH DATABASE '" + other + "' AS o", "ATTACH statements are refused"},
		{"PRAGMA query_only = 0", "PRAGMA query_only = … sets a value"},
		{"PRAGMA main.journal_mode=DELETE", "PRAGMA journal_mode = … sets a value"},
		{"PRAGMA user_version(7)", "PRAGMA user_version(…) sets a value"},
		{"PRAGMA wal_checkpoint", "PRAGMA wal_checkpoint is not one of the read-only pragmas"},
		{"VACUUM INTO '" + other + "'", "VACUUM statements are refused"},
		{"SELECT 1; DELETE FROM fixes", "one statement at a time"},
		{"WITH x AS (SELECT 1) DELETE FROM fixes", "WITH … DELETE statement is refused"},
		{"EXPLAIN QUERY PLAN DELETE FROM fixes", "DELETE statements are refused"},
		{"WITH x AS (SELECT 1) REPLACE INTO runs (id, started_at, status) VALUES (99, 'x', 'ok')", "WITH … REPLACE statement is refused"},
	}
	for _, tc := range tests {
		code, out, errs := runCmd(t, "query", "--db", db, tc.sql)
		if code == 0 || out != "" || !strings.Contains(errs, "read-only") || !strings.Contains(errs, tc.want) {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want a refusal saying %q", tc.sql, code, out, errs, tc.want)
		}
	}
	if _, err := os.Stat(other); err == nil {
		t.Error("a refused statement created another database file")
	}
	after := queryRows(t, db, "SELECT (SELECT count(*) FROM fixes) AS fixes, (SELECT count(*) FROM patches) AS patches")
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("data changed (-before +after):\n%s", diff)
	}
	for _, sql := range []string{
		"SELECT ';' AS semi, 'DROP TABLE x' AS text",
		"PRAGMA table_info(fixes)",
		"PRAGMA journal_mode",
		"WITH n AS (SELECT count(*) AS c FROM fixes) SELECT c, replace('a', 'a', 'b') FROM n",
		"SELECT 1;  ",
		`SELECT "end" FROM (SELECT 1 AS "end")`,
	} {
		if code, _, errs := runCmd(t, "query", "--db", db, sql); code != 0 {
			t.Errorf("%q: exit %d: %s", sql, code, errs)
		}
	}
	code, _, errs := runCmd(t, "query", "--db", db, "SELEC nonsense")
	if code == 0 || !strings.Contains(errs, "syntax error") {
		t.Errorf("bad SQL: exit %d, stderr %q", code, errs)
	}
}

func TestQueryJSONL(t *testing.T) {
	db := buildAnalystDB(t)
	code, out, errs := runCmd(t, "query", "--db", db, "--format", "jsonl",
		"SELECT id, released, reboot_required, fix_count FROM v_patches WHERE id IN ('ESX-1002424', 'ESX-1001725') ORDER BY id")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	want := `{"id":"ESX-1001725","released":"2007-09-18","reboot_required":null,"fix_count":1}
{"id":"ESX-1002424","released":"2007-11-15","reboot_required":1,"fix_count":2}
`
	if diff := cmp.Diff(want, out); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestViews reads one row of each view and pins its columns: the views
// are the documented interface, so a change here must be deliberate.
func TestViews(t *testing.T) {
	db := buildAnalystDB(t)
	tests := []struct {
		sql  string
		want []map[string]any
	}{{
		`SELECT * FROM v_fixes WHERE id = 'ESX-1002424/2'`,
		[]map[string]any{{
			"id": "ESX-1002424/2", "vendor": "vmware", "product": "ESX", "versions": `["3.0.2"]`, "advisory_id": nil,
			"advisory_title": "", "patch_ids": "ESX-1002424", "released": "2007-11-15", "category": "vmm",
			"security": float64(0), "severity": "", "cves": "", "component": "VMware-esx-vmkernel", "summary": "vmklinux heap",
			"rule": "test", "evidence": "package VMware-esx-vmkernel",
		}},
	}, {
		`SELECT * FROM v_fixes WHERE id = 'XSA-130/1'`,
		[]map[string]any{{
			"id": "XSA-130/1", "vendor": "xen", "product": "Xen", "versions": `["Xen 4.5.x"]`, "advisory_id": "XSA-130",
			"advisory_title": "Guest triggerable qemu MSI-X pass-through error messages",
			"patch_ids":      "xsa130-qemut.patch xsa130-qemuu.patch", "released": "2015-06-02", "category": "vmm",
			"security": float64(1), "severity": "", "cves": "CVE-2015-4105", "component": "qemu device model",
			"summary": "Guest triggerable qemu MSI-X pass-through error messages", "rule": "xen-qemu",
			"evidence": `title: "Guest triggerable qemu MSI-X pass-through error messages"`,
		}},
	}, {
		`SELECT id, vendor, status, published, cves, fix_count, patch_count FROM v_advisories WHERE vendor = 'xen' ORDER BY id`,
		[]map[string]any{
			{"id": "XSA-130", "vendor": "xen", "status": "published", "published": "2015-06-02", "cves": "CVE-2015-4105", "fix_count": float64(1), "patch_count": float64(2)},
			{"id": "XSA-139", "vendor": "xen", "status": "published", "published": "2015-08-03", "cves": "CVE-2015-5166", "fix_count": float64(1), "patch_count": float64(1)},
		},
	}, {
		`SELECT id, released, classification, reboot_required, fix_count, categories, security FROM v_patches WHERE id IN ('ESX-1002087', 'ESX-1001725') ORDER BY id`,
		[]map[string]any{
			{"id": "ESX-1001725", "released": "2007-09-18", "classification": "Security", "reboot_required": nil, "fix_count": float64(1), "categories": "console-os", "security": float64(1)},
			{"id": "ESX-1002087", "released": "2007-10-08", "classification": "General", "reboot_required": float64(0), "fix_count": float64(1), "categories": "vmm", "security": float64(0)},
		},
	}}
	for _, tc := range tests {
		if diff := cmp.Diff(tc.want, queryRows(t, db, tc.sql)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.sql, diff)
		}
	}
}

func TestSearch(t *testing.T) {
	db := buildAnalystDB(t)
	tests := []struct {
		args []string
		want []map[string]any
	}{
		{[]string{"vmklinux"}, []map[string]any{{"kind": "fix", "id": "ESX-1002424/2"}}},
		{[]string{"--kind", "advisory", "XSA-139"}, []map[string]any{{"kind": "advisory", "id": "XSA-139"}}},
		// porter stemming: "messages" is indexed, "message" finds it.
		{[]string{"--vendor", "xen", "--kind", "fix", "pass-through", "message"}, []map[string]any{{"kind": "fix", "id": "XSA-130/1"}}},
		{[]string{"openss*"}, []map[string]any{{"kind": "fix", "id": "ESX-1002976/5"}}},
		{[]string{"--raw", "--limit", "10", "samba OR krb5"}, []map[string]any{
			// bm25: krb5 is the rarer word, so its match ranks first.
			{"kind": "fix", "id": "ESX-1001727/3"}, {"kind": "fix", "id": "ESX-1001725/1"}, {"kind": "fix", "id": "ESX-1002970/2"}}},
	}
	for _, tc := range tests {
		code, out, errs := runCmd(t, append([]string{"search", "--db", db, "--format", "json"}, tc.args...)...)
		if code != 0 {
			t.Fatalf("%q: exit %d: %s", tc.args, code, errs)
		}
		var rows []map[string]any
		if err := json.Unmarshal([]byte(out), &rows); err != nil {
			t.Fatal(err)
		}
		var got []map[string]any
		for _, r := range rows {
			got = append(got, map[string]any{"kind": r["kind"], "id": r["id"]})
			if !strings.Contains(r["snippet"].(string), "[") {
				t.Errorf("%q: snippet %q marks no match", tc.args, r["snippet"])
			}
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%q (-want +got):\n%s", tc.args, diff)
		}
	}
	code, out, errs := runCmd(t, "search", "--db", db, "vmklinux")
	if code != 0 || !strings.Contains(out, "[vmklinux] heap") || !strings.Contains(out, "2007-11-15") {
		t.Errorf("table output: exit %d, %q %s", code, out, errs)
	}
	if code, _, errs := runCmd(t, "search", "--db", db, "--raw", "samba AND ("); code != 2 || !strings.Contains(errs, "not valid FTS5") {
		t.Errorf("bad raw query: exit %d, %q", code, errs)
	}
	// From SQL, too.
	rows := queryRows(t, db, `SELECT kind, ref FROM search_text WHERE search_text MATCH 'vixie' ORDER BY rank`)
	if diff := cmp.Diff([]map[string]any{{"kind": "fix", "ref": "ESX-1001728/4"}}, rows); diff != "" {
		t.Errorf("SQL MATCH (-want +got):\n%s", diff)
	}
}

// TestReport writes the report for the analyst test database and checks
// that it is well-formed, self-contained and carries the figures of each
// chart in its tables.
func TestReport(t *testing.T) {
	db := buildAnalystDB(t)
	out := filepath.Join(t.TempDir(), "report.html")
	code, stdout, errs := runCmd(t, "report", "--db", db, "--out", out)
	if code != 0 || stdout != "" {
		t.Fatalf("exit %d, stdout %q: %s", code, stdout, errs)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	page := string(b)
	// Self-contained: no scripts and nothing fetched at view time.
	if m := regexp.MustCompile(`(?i)<script|<link|<img|@import|\b(src|href)\s*=|url\(`).FindString(page); m != "" {
		t.Errorf("report refers to something outside itself: %q", m)
	}
	// Every SVG parses as XML.
	svgs := regexp.MustCompile(`(?s)<svg.*?</svg>`).FindAllString(page, -1)
	// The timeline, one bar chart per vendor with dated fixes (testvendor,
	// vmware, xen), the histogram.
	if len(svgs) != 5 {
		t.Errorf("%d charts, want 5", len(svgs))
	}
	for i, s := range svgs {
		if err := xml.Unmarshal([]byte(s), new(struct{})); err != nil {
			t.Errorf("svg %d is not well-formed: %v", i, err)
		}
	}
	for _, want := range []string{
		// timeline table: ESX, all versions, the 3.0.1 day first
		"<tr><td class=\"nw\">vmware ESX</td><td class=\"nw\">2007-09-06</td><td class=\"num\">–</td><td class=\"num\">2</td>",
		"<tr><td class=\"nw\">vmware ESX</td><td class=\"nw\">2007-09-18</td><td class=\"num\">12</td><td class=\"num\">7</td>",
		"<tr><td class=\"nw\">xen Xen</td><td class=\"nw\">2015-08-03</td><td class=\"num\">62</td>",
		// fixes per year: vmware 2007 = console-os 1 (3.0.1) + 7 + 1, vmm 1 + 2,
		// hardware-compat 1 (3.0.1); 2008 = 5, all console-os
		"<tr><td>vmware</td><td>2007</td><td class=\"num\">9</td><td class=\"num\">3</td><td class=\"num\">1</td><td class=\"num\">0</td><td class=\"num\">0</td><td class=\"num\">13</td></tr>",
		"<tr><td>vmware</td><td>2008</td><td class=\"num\">5</td>",
		// gaps: ESX 12, 20, 38, 53 → mean 30.75, median 29; bins 8–14, 15–30, 31–60 ×2
		"<tr><td>vmware ESX</td><td class=\"num\">5</td><td class=\"num\">30.75</td><td class=\"num\">29.00</td><td class=\"num\">0</td><td class=\"num\">1</td><td class=\"num\">1</td><td class=\"num\">2</td>",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("report lacks %q", want)
		}
	}
}
