package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the export golden files in testdata/")

// TestExportGolden exports the analyst test database in every format and
// compares each file with testdata/export/<format>/. Run with -update after
// a deliberate change, and read the diff before committing.
func TestExportGolden(t *testing.T) {
	db := buildAnalystDB(t)
	for _, format := range []string{"csv", "jsonl", "osv"} {
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

// osvIDPattern is what this project promises for ids: the vendor's own,
// printable and without spaces or slashes (RHSA-2015:0999 keeps its colon).
var osvIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:-]*$`)

func TestOSVFileName(t *testing.T) {
	for id, want := range map[string]string{"XSA-355": "XSA-355.json", "RHSA-2015:0999": "RHSA-2015_0999.json", "a/../b": "a_.._b.json"} {
		if got, err := osvFileName(id); err != nil || got != want {
			t.Errorf("osvFileName(%q) = %q, %v; want %q", id, got, err, want)
		}
	}
	if _, err := osvFileName("../x"); err == nil {
		t.Error(`osvFileName("../x") succeeded`)
	}
}

// validateOSV checks a record against the OSV schema's rules
// (ossf/osv-schema validation/schema.json, read through the project's
// search tool; the schema file is not vendored): required id and modified,
// RFC 3339 date-times, string arrays, affected entries with a package of
// ecosystem and name and, lacking SEMVER/ECOSYSTEM ranges, a versions list,
// references with a known type and an absolute URL, and objects for every
// database_specific.
func validateOSV(rec map[string]any) []string {
	var errs []string
	bad := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	str := func(v any) (string, bool) { s, ok := v.(string); return s, ok }
	strList := func(field string, v any) {
		l, ok := v.([]any)
		if !ok {
			bad("%s: not an array", field)
			return
		}
		for _, x := range l {
			if _, ok := x.(string); !ok {
				bad("%s: item %v is not a string", field, x)
			}
		}
	}
	dateTime := func(field string) {
		v, ok := rec[field]
		if !ok {
			return
		}
		s, _ := str(v)
		if _, err := time.Parse(time.RFC3339, s); err != nil || !strings.HasSuffix(s, "Z") {
			bad("%s: %q is not an RFC 3339 UTC date-time", field, s)
		}
	}
	known := map[string]bool{"schema_version": true, "id": true, "modified": true, "published": true, "withdrawn": true,
		"aliases": true, "related": true, "summary": true, "details": true, "severity": true, "affected": true,
		"references": true, "credits": true, "database_specific": true}
	for k := range rec {
		if !known[k] {
			bad("unknown top-level field %q", k)
		}
	}
	if id, ok := str(rec["id"]); !ok || !osvIDPattern.MatchString(id) {
		bad("id: missing or malformed: %v", rec["id"])
	}
	if _, ok := rec["modified"]; !ok {
		bad("modified: required")
	}
	for _, f := range []string{"modified", "published", "withdrawn"} {
		dateTime(f)
	}
	for _, f := range []string{"schema_version", "summary", "details"} {
		if v, ok := rec[f]; ok {
			if _, ok := str(v); !ok {
				bad("%s: not a string", f)
			}
		}
	}
	if v, ok := rec["aliases"]; ok {
		strList("aliases", v)
	}
	if v, ok := rec["database_specific"]; ok {
		if _, ok := v.(map[string]any); !ok {
			bad("database_specific: not an object")
		}
	}
	if v, ok := rec["affected"]; ok {
		l, ok := v.([]any)
		if !ok {
			bad("affected: not an array")
		}
		for i, a := range l {
			am, ok := a.(map[string]any)
			if !ok {
				bad("affected[%d]: not an object", i)
				continue
			}
			pkg, ok := am["package"].(map[string]any)
			if !ok {
				bad("affected[%d].package: missing", i)
			} else {
				for _, f := range []string{"ecosystem", "name"} {
					if s, ok := str(pkg[f]); !ok || s == "" {
						bad("affected[%d].package.%s: required string", i, f)
					}
				}
			}
			if _, hasRanges := am["ranges"]; hasRanges {
				bad("affected[%d]: ranges not expected from patchwatch", i)
			}
			if v, ok := am["versions"]; !ok {
				bad("affected[%d].versions: required without SEMVER/ECOSYSTEM ranges", i)
			} else {
				strList(fmt.Sprintf("affected[%d].versions", i), v)
			}
			if ds, ok := am["database_specific"]; ok {
				if _, ok := ds.(map[string]any); !ok {
					bad("affected[%d].database_specific: not an object", i)
				}
			}
		}
	}
	refTypes := map[string]bool{"ADVISORY": true, "ARTICLE": true, "DETECTION": true, "REPORT": true, "FIX": true,
		"INTRODUCED": true, "GIT": true, "PACKAGE": true, "EVIDENCE": true, "WEB": true}
	if v, ok := rec["references"]; ok {
		l, _ := v.([]any)
		for i, r := range l {
			rm, _ := r.(map[string]any)
			typ, _ := str(rm["type"])
			u, _ := str(rm["url"])
			if !refTypes[typ] {
				bad("references[%d].type: %q", i, typ)
			}
			if pu, err := url.Parse(u); err != nil || !pu.IsAbs() || pu.Host == "" {
				bad("references[%d].url: %q is not an absolute URI", i, u)
			}
		}
	}
	return errs
}

// TestValidateOSVCatchesBadRecords proves the validator fails on what it
// is meant to catch, so a pass below means something.
func TestValidateOSVCatchesBadRecords(t *testing.T) {
	bad := map[string]any{
		"id": "XSA 1/../x", "modified": "2020-01-02", "aliases": []any{1.0},
		"affected":   []any{map[string]any{"package": map[string]any{"name": "Xen"}}},
		"references": []any{map[string]any{"type": "LINK", "url": "/relative"}},
		"extra":      true,
	}
	got := validateOSV(bad)
	sort.Strings(got)
	want := []string{
		"affected[0].package.ecosystem: required string",
		"affected[0].versions: required without SEMVER/ECOSYSTEM ranges",
		"aliases: item 1 is not a string",
		"id: missing or malformed: XSA 1/../x",
		`modified: "2020-01-02" is not an RFC 3339 UTC date-time`,
		`references[0].type: "LINK"`,
		`references[0].url: "/relative" is not an absolute URI`,
		`unknown top-level field "extra"`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestExportOSVValid exports the recorded Xen corpus and the analyst test
// database as OSV and validates every record; it also checks the ids, the
// affected versions, and that unused numbers are skipped and withdrawn ones
// marked.
func TestExportOSVValid(t *testing.T) {
	xen := filepath.Join(t.TempDir(), "xen.db")
	if code, _, errs := runCmd(t, "harvest", "--db", xen, "--replay", fixtures, "--quiet", "--source", "xen"); code != 0 {
		t.Fatalf("harvest: %s", errs)
	}
	byID := map[string]map[string]any{}
	for _, db := range []string{xen, buildAnalystDB(t)} {
		code, out, errs := runCmd(t, "export", "--db", db, "--format", "osv", "--out", "-")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errs)
		}
		var recs []map[string]any
		dec := json.NewDecoder(bytes.NewReader([]byte(out)))
		if err := dec.Decode(&recs); err != nil {
			t.Fatal(err)
		}
		if len(recs) == 0 {
			t.Fatal("no OSV records")
		}
		for _, r := range recs {
			for _, e := range validateOSV(r) {
				t.Errorf("%v: %s", r["id"], e)
			}
			byID[r["id"].(string)] = r
		}
	}
	for _, id := range []string{"XSA-26", "XSA-355", "TEST-2024-0001"} {
		if byID[id] == nil {
			t.Errorf("no OSV record %s", id)
		}
	}
	for _, id := range []string{"XSA-79", "XSA-81", "TEST-2024-0003"} {
		if byID[id] != nil {
			t.Errorf("unused number %s exported", id)
		}
	}
	if w := byID["XSA-161"]; w == nil || w["withdrawn"] == nil {
		t.Errorf("withdrawn XSA-161: %v", w)
	}
	aff := byID["XSA-26"]["affected"].([]any)[0].(map[string]any)
	got := map[string]any{"package": aff["package"], "versions": aff["versions"],
		"categories": aff["database_specific"].(map[string]any)["categories"], "aliases": byID["XSA-26"]["aliases"]}
	want := map[string]any{
		"package":    map[string]any{"ecosystem": "xen", "name": "Xen"},
		"versions":   []any{"4.1.x", "4.2.x", "xen-unstable"},
		"categories": []any{"vmm"},
		"aliases":    []any{"CVE-2012-5510"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("XSA-26 (-want +got):\n%s", diff)
	}
	// Remedy rows give versions: fixed 1.0 counts, not-affected 0.9 does not.
	testAff := byID["TEST-2024-0001"]["affected"].([]any)[0].(map[string]any)
	if diff := cmp.Diff([]any{"1.0"}, testAff["versions"]); diff != "" {
		t.Errorf("TEST-2024-0001 versions (-want +got):\n%s", diff)
	}
}
