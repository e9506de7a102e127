package main

import (
	"encoding/csv"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/patchwatch/patchwatch/export"
	"github.com/patchwatch/patchwatch/internal/schematest"
)

var update = flag.Bool("update", false, "rewrite the export golden files in testdata/")

// TestExportGolden exports the analyst test database in every format and
// compares each file with testdata/export/<format>/. Run with -update after
// a deliberate change, and read the diff before committing.
func TestExportGolden(t *testing.T) {
	db := buildAnalystDB(t)
	for _, format := range []string{"csv", "jsonl", "osv", "csaf"} {
		t.Run(format, func(t *testing.T) {
			dir := t.TempDir()
			code, out, errs := runCmd(t, "export", "--db", db, "--format", format, "--out", dir)
			if code != 0 || out != "" {
				t.Fatalf("exit %d, stdout %q, stderr %s", code, out, errs)
			}
			golden := filepath.Join("testdata", "export", format)
			got := readTree(t, dir)
			if *update {
				if err := os.RemoveAll(golden); err != nil {
					t.Fatal(err)
				}
				for name, body := range got {
					p := filepath.Join(golden, name)
					if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				return
			}
			if diff := cmp.Diff(readTree(t, golden), got); diff != "" {
				t.Errorf("export differs from %s (-want +got):\n%s", golden, diff)
			}
			// Same database, same bytes.
			again := t.TempDir()
			if code, _, errs := runCmd(t, "export", "--db", db, "--format", format, "--out", again); code != 0 {
				t.Fatalf("second export: %s", errs)
			}
			if diff := cmp.Diff(got, readTree(t, again)); diff != "" {
				t.Errorf("second export differs (-first +second):\n%s", diff)
			}
		})
	}
}

func readTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		files[filepath.ToSlash(rel)] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestExportCSVNeutralisesFormulas reads the CSV back with a CSV parser
// and checks that every cell a spreadsheet would evaluate starts with '
// while ordinary cells, quotes, commas and newlines survive intact.
func TestExportCSVNeutralisesFormulas(t *testing.T) {
	db := buildAnalystDB(t)
	tests := []struct {
		table, id string
		want      map[string]string
	}{
		{"advisories", "TEST-2024-0001", map[string]string{
			"title":    `'=HYPERLINK("http://evil.test","x")`,
			"affected": "'+all, \"every\" version\nsince 1.0 — ünïcode",
		}},
		{"advisories", "TEST-2024-0002", map[string]string{"title": "'@SUM(1+1)", "status": "withdrawn"}},
		{"fixes", "TEST-2024-0001/1", map[string]string{
			"component": "'-cmd|' /C calc'!A0", "summary": "'\tTab-led summary", "evidence": "'=1+2", "versions": `["1.0","1.1"]`,
		}},
		{"fixes", "ESX-1002424/1", map[string]string{"summary": "malformed IP packet hang", "released": "2007-11-15"}},
	}
	for _, tc := range tests {
		code, out, errs := runCmd(t, "export", "--db", db, "--format", "csv", "--out", "-", "--table", tc.table)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errs)
		}
		if !strings.HasSuffix(out, "\r\n") || strings.Count(out, "\r\n") < 2 {
			t.Errorf("%s: lines must end in CRLF (RFC 4180): %q", tc.table, out[:min(len(out), 200)])
		}
		recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
		if err != nil {
			t.Fatalf("%s: not valid CSV: %v", tc.table, err)
		}
		header := recs[0]
		var row []string
		for _, r := range recs[1:] {
			if r[0] == tc.id {
				row = r
			}
		}
		if row == nil {
			t.Fatalf("%s: no row %s", tc.table, tc.id)
		}
		got := map[string]string{}
		for i, h := range header {
			if _, ok := tc.want[h]; ok {
				got[h] = row[i]
			}
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s %s (-want +got):\n%s", tc.table, tc.id, diff)
		}
		for _, r := range recs {
			for i, c := range r {
				if c != "" && strings.ContainsRune("=+-@\t\r", rune(c[0])) {
					t.Errorf("%s %s column %s: cell %q would be evaluated as a formula", tc.table, r[0], header[i], c)
				}
			}
		}
	}
}

func TestExportFiltersAndStdout(t *testing.T) {
	db := buildAnalystDB(t)
	ids := func(out string) []string {
		var got []string
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			var r struct{ Record, ID string }
			if err := json.Unmarshal([]byte(line), &r); err != nil {
				t.Fatalf("line %q: %v", line, err)
			}
			got = append(got, r.Record+" "+r.ID)
		}
		return got
	}
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"--vendor", "xen", "--table", "advisories,fixes"}, []string{"advisory XSA-130", "advisory XSA-139", "fix XSA-130/1", "fix XSA-139/1"}},
		{[]string{"--vendor", "vmware", "--since", "2007-11-15", "--table", "patches"}, []string{
			"patch ESX-1002424", "patch ESX-1002969", "patch ESX-1002970", "patch ESX-1002971", "patch ESX-1002975", "patch ESX-1002976"}},
		{[]string{"--since", "2015-08-01", "--table", "advisories"}, []string{"advisory TEST-2024-0001", "advisory XSA-139"}},
	}
	for _, tc := range tests {
		code, out, errs := runCmd(t, append([]string{"export", "--db", db, "--format", "jsonl", "--out", "-"}, tc.args...)...)
		if code != 0 {
			t.Fatalf("%q: exit %d: %s", tc.args, code, errs)
		}
		if diff := cmp.Diff(tc.want, ids(out)); diff != "" {
			t.Errorf("%q (-want +got):\n%s", tc.args, diff)
		}
	}
	for _, args := range [][]string{
		{"export", "--db", db, "--format", "xml", "--out", "-"},
		{"export", "--db", db, "--format", "csv"},
		{"export", "--db", db, "--format", "csv", "--out", "-", "--table", "fixes,patches"},
		{"export", "--db", db, "--format", "csv", "--out", "-", "--table", "runs"},
		{"export", "--db", db, "--format", "osv", "--out", "-", "--since", "yesterday"},
	} {
		if code, out, errs := runCmd(t, args...); code != 2 || out != "" || errs == "" {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want exit 2", args[3:], code, out, errs)
		}
	}
}

// exportDBs harvests the whole recorded corpus (every vendor, as make demo
// does) and returns it with the analyst test database.
func exportDBs(t *testing.T) []string {
	t.Helper()
	return []string{harvestFixtures(t), buildAnalystDB(t)}
}

// exportDir runs export --format format --out DIR and returns every file.
func exportDir(t *testing.T, db, format string) map[string]string {
	t.Helper()
	dir := t.TempDir()
	code, _, errs := runCmd(t, "export", "--db", db, "--format", format, "--out", dir)
	if code != 0 {
		t.Fatalf("export %s: exit %d: %s", format, code, errs)
	}
	files := readTree(t, dir)
	if len(files) == 0 {
		t.Fatalf("export %s wrote nothing", format)
	}
	return files
}

// TestExportOSVValid exports the whole recorded corpus and the analyst test
// database as OSV files and validates every file against the official OSV
// schema (internal/schematest); it also checks the mapping: ids, aliases,
// affected versions, unused numbers skipped and withdrawn ones marked.
func TestExportOSVValid(t *testing.T) {
	byAdvisory := map[string]map[string]any{}
	for _, db := range exportDBs(t) {
		files := exportDir(t, db, "osv")
		for name, body := range files {
			if err := schematest.Validate(schematest.OSV, []byte(body)); err != nil {
				t.Errorf("%s fails the OSV schema: %v", name, err)
			}
			var r map[string]any
			if err := json.Unmarshal([]byte(body), &r); err != nil {
				t.Fatal(err)
			}
			ds := r["database_specific"].(map[string]any)
			byAdvisory[ds["advisory_id"].(string)] = r
			if want := "x_patchwatch-" + ds["vendor"].(string) + "-" + ds["advisory_id"].(string); r["id"] != want {
				t.Errorf("%s: id %v, want %s", name, r["id"], want)
			}
			if aliases, _ := r["aliases"].([]any); len(aliases) == 0 || aliases[0] != ds["advisory_id"] {
				t.Errorf("%s: aliases %v do not start with the vendor's ID", name, r["aliases"])
			}
		}
	}
	if len(byAdvisory) < 70 {
		t.Errorf("only %d OSV records from the demo corpus and the test database", len(byAdvisory))
	}
	for _, id := range []string{"XSA-26", "XSA-355", "TEST-2024-0001", "CPUJan2018"} {
		if byAdvisory[id] == nil {
			t.Errorf("no OSV record for %s", id)
		}
	}
	for _, id := range []string{"XSA-79", "XSA-81", "TEST-2024-0003"} {
		if byAdvisory[id] != nil {
			t.Errorf("unused number %s exported", id)
		}
	}
	if w := byAdvisory["XSA-161"]; w == nil || w["withdrawn"] == nil {
		t.Errorf("withdrawn XSA-161: %v", w)
	}
	aff := byAdvisory["XSA-26"]["affected"].([]any)[0].(map[string]any)
	ds := aff["database_specific"].(map[string]any)
	got := map[string]any{"package": aff["package"], "vendor": ds["vendor"], "product": ds["product"], "versions": aff["versions"],
		"categories": ds["categories"], "aliases": byAdvisory["XSA-26"]["aliases"]}
	want := map[string]any{
		"package":    nil, // no OSV ecosystem covers Xen
		"vendor":     "xen",
		"product":    "Xen",
		"versions":   []any{"4.1.x", "4.2.x", "xen-unstable"},
		"categories": []any{"vmm"},
		"aliases":    []any{"XSA-26", "CVE-2012-5510"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("XSA-26 (-want +got):\n%s", diff)
	}
	// Remedy rows give versions: fixed 1.0 counts, not-affected 0.9 does not.
	testAff := byAdvisory["TEST-2024-0001"]["affected"].([]any)[0].(map[string]any)
	if diff := cmp.Diff([]any{"1.0"}, testAff["versions"]); diff != "" {
		t.Errorf("TEST-2024-0001 versions (-want +got):\n%s", diff)
	}
}

// TestExportCSAFValid exports the whole recorded corpus and the analyst
// test database as CSAF and validates every document against the OASIS
// CSAF 2.0 schema with the FIRST CVSS schemas it references; it also checks
// what the issue asks each document to hold.
func TestExportCSAFValid(t *testing.T) {
	byTracking := map[string]map[string]any{}
	for _, db := range exportDBs(t) {
		for name, body := range exportDir(t, db, "csaf") {
			if err := schematest.Validate(schematest.CSAF, []byte(body)); err != nil {
				t.Errorf("%s fails the CSAF 2.0 schema: %v", name, err)
			}
			var d map[string]any
			if err := json.Unmarshal([]byte(body), &d); err != nil {
				t.Fatal(err)
			}
			id := d["document"].(map[string]any)["tracking"].(map[string]any)["id"].(string)
			if want, _ := export.CSAFFileName(id); name != want {
				t.Errorf("file %s holds tracking id %s; CSAF names it %s", name, id, want)
			}
			byTracking[id] = d
		}
	}
	if len(byTracking) < 70 {
		t.Errorf("only %d CSAF documents", len(byTracking))
	}
	xsa26 := byTracking["patchwatch-xen-XSA-26"]
	if xsa26 == nil {
		t.Fatal("no CSAF document for XSA-26")
	}
	var products []string
	var walk func(bs []any)
	walk = func(bs []any) {
		for _, b := range bs {
			b := b.(map[string]any)
			if p, ok := b["product"].(map[string]any); ok {
				products = append(products, p["product_id"].(string)+" "+p["name"].(string))
			}
			if sub, ok := b["branches"].([]any); ok {
				walk(sub)
			}
		}
	}
	walk(xsa26["product_tree"].(map[string]any)["branches"].([]any))
	if diff := cmp.Diff([]string{"CSAFPID-0001 xen Xen 4.1.x", "CSAFPID-0002 xen Xen 4.2.x", "CSAFPID-0003 xen Xen xen-unstable"}, products); diff != "" {
		t.Errorf("XSA-26 products (-want +got):\n%s", diff)
	}
	v := xsa26["vulnerabilities"].([]any)[0].(map[string]any)
	rem := v["remediations"].([]any)[0].(map[string]any)
	note := v["notes"].([]any)[0].(map[string]any)
	tracking := xsa26["document"].(map[string]any)["tracking"].(map[string]any)
	got := map[string]any{
		"cve": v["cve"], "affected": v["product_status"].(map[string]any)["known_affected"],
		"remedy":  rem["category"].(string) + ": " + rem["details"].(string),
		"note":    strings.SplitN(note["text"].(string), ":", 2)[0],
		"dates":   tracking["initial_release_date"].(string) + " " + tracking["current_release_date"].(string),
		"version": tracking["version"],
	}
	want := map[string]any{
		"cve": "CVE-2012-5510", "affected": []any{"CSAFPID-0001", "CSAFPID-0002", "CSAFPID-0003"},
		"remedy":  "vendor_fix: Apply xsa26-4.1.patch, xsa26-4.2.patch, xsa26-unstable.patch.",
		"note":    `vmm (component "hypervisor", security true, rule xen-hypervisor)`,
		"dates":   "2012-12-03T00:00:00Z 2012-12-03T00:00:00Z",
		"version": "3",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("XSA-26 (-want +got):\n%s", diff)
	}
}

// TestExportOSVSkipsBadRecords: an advisory that cannot be exported no
// longer stops the export halfway (issue 15). Two IDs that map to one file
// name and a fix whose stored versions are not a list are each skipped and
// named on stderr, every other advisory (including the Xen ones, which sort
// after them) is written, and the exit code is 1.
func TestExportOSVSkipsBadRecords(t *testing.T) {
	db := buildAnalystDB(t)
	execSQL(t, db,
		`INSERT INTO advisories (id, vendor, status, published, document_url) VALUES
			('AB:1', 'testvendor', 'published', '2024-02-01', 'https://example.test/ab'),
			('AB_1', 'testvendor', 'published', '2024-02-01', 'https://example.test/ab'),
			('BAD-1', 'testvendor', 'published', '2024-02-01', 'https://example.test/bad')`,
		`INSERT INTO fixes (id, advisory_id, vendor, versions, category, security, rule, evidence, document_url)
			VALUES ('BAD-1/1', 'BAD-1', 'testvendor', '{"not": "a list"}', 'feature', 0, 'test', '', 'https://example.test/bad')`,
	)
	for _, format := range []string{"osv", "csaf"} {
		dir := t.TempDir()
		code, _, errs := runCmd(t, "export", "--db", db, "--format", format, "--out", dir)
		if code != exitPartial {
			t.Errorf("%s: exit %d, want %d (some advisories skipped): %s", format, code, exitPartial, errs)
		}
		for _, want := range []string{"AB_1", "BAD-1: fix BAD-1/1: versions"} {
			if !strings.Contains(errs, want) {
				t.Errorf("%s: stderr does not report %q:\n%s", format, want, errs)
			}
		}
		files := readTree(t, dir)
		var names []string
		for n := range files {
			names = append(names, strings.ToLower(n))
		}
		got := strings.Join(names, " ")
		for _, want := range []string{"ab_1", "xsa-130", "xsa-139", "test-2024-0001"} {
			if !strings.Contains(got, want) {
				t.Errorf("%s: no file for %s among %s", format, want, got)
			}
		}
		if len(files) != 5 {
			t.Errorf("%s: %d files, want 5 (4 good advisories and one of AB:1/AB_1): %s", format, len(files), got)
		}
	}
}
