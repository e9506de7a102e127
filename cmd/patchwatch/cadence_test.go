package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/patchwatch/patchwatch/analysis"
	"github.com/patchwatch/patchwatch/store"
)

func f64(v float64) *float64 { return &v }

// TestCadenceESX302 checks the figures for an ESX 3.0.2 host built on
// 2007-07-02 against the real 2007–2008 patch dates, worked out by hand:
//
//	2007-07-02 → 09-18: 29 (rest of July) + 31 + 18 = 78 days
//	09-18 → 10-08: 12 + 8 = 20;  10-08 → 11-15: 23 + 15 = 38
//	11-15 → 2008-01-07: 15 + 31 + 7 = 53;  09-18 → 2008-01-07: 111
//	window to 2007-12-02: 29 + 31 + 30 + 31 + 30 + 2 = 153 days
//	window to 2008-02-01: 153 + 29 + 31 + 1 = 214 days
//
// The 2007-09-06 patches are for 3.0.1 and must not count.
func TestCadenceESX302(t *testing.T) {
	db := buildAnalystDB(t)
	tests := []struct {
		name string
		args []string
		want analysis.Result
	}{{
		name: "seed window",
		args: []string{"--until", "2007-12-02"},
		want: analysis.Result{
			Vendor: "vmware", Product: "ESX", Version: "3.0.2", Built: "2007-07-02", Until: "2007-12-02", WindowDays: 153,
			Events: []analysis.Event{
				{Date: "2007-09-18", DaysSincePrevious: 78, PatchIDs: []string{"ESX-1001725", "ESX-1001726", "ESX-1001727", "ESX-1001728", "ESX-1001729", "ESX-1001730", "ESX-1001731"},
					Classification: "Security", Categories: []analysis.CategoryCount{{Category: "console-os", Fixes: 7, Share: 1}}},
				{Date: "2007-10-08", DaysSincePrevious: 20, PatchIDs: []string{"ESX-1002087", "ESX-1002090"},
					Classification: "General", RebootRequired: ptr(false), Categories: []analysis.CategoryCount{{Category: "console-os", Fixes: 1, Share: 0.5}, {Category: "vmm", Fixes: 1, Share: 0.5}}},
				{Date: "2007-11-15", DaysSincePrevious: 38, PatchIDs: []string{"ESX-1002424"},
					Classification: "Critical", RebootRequired: ptr(true), Categories: []analysis.CategoryCount{{Category: "vmm", Fixes: 2, Share: 1}}},
			},
			Count: 3, Patches: 10, MeanDaysBetween: f64(29), MedianDaysBetween: f64(29), DaysPerEvent: f64(51),
			Fixes: 11, Categories: []analysis.CategoryCount{{Category: "console-os", Fixes: 8, Share: 0.7273}, {Category: "vmm", Fixes: 3, Share: 0.2727}},
		},
	}, {
		name: "into 2008",
		args: []string{"--until", "2008-02-01"},
		want: analysis.Result{
			Vendor: "vmware", Product: "ESX", Version: "3.0.2", Built: "2007-07-02", Until: "2008-02-01", WindowDays: 214,
			Count: 4, Patches: 15, MeanDaysBetween: f64(37), MedianDaysBetween: f64(38), DaysPerEvent: f64(53.5),
			Fixes: 16, Categories: []analysis.CategoryCount{{Category: "console-os", Fixes: 13, Share: 0.8125}, {Category: "vmm", Fixes: 3, Share: 0.1875}},
		},
	}, {
		name: "security only",
		args: []string{"--until", "2008-02-01", "--security-only"},
		want: analysis.Result{
			Vendor: "vmware", Product: "ESX", Version: "3.0.2", Built: "2007-07-02", Until: "2008-02-01", WindowDays: 214, SecurityOnly: true,
			Count: 2, Patches: 12, MeanDaysBetween: f64(111), MedianDaysBetween: f64(111), DaysPerEvent: f64(107),
			Fixes: 12, Categories: []analysis.CategoryCount{{Category: "console-os", Fixes: 12, Share: 1}},
		},
	}, {
		name: "one event has no gap",
		args: []string{"--until", "2007-09-30"},
		want: analysis.Result{
			Vendor: "vmware", Product: "ESX", Version: "3.0.2", Built: "2007-07-02", Until: "2007-09-30", WindowDays: 90,
			Count: 1, Patches: 7, DaysPerEvent: f64(90), Fixes: 7, Categories: []analysis.CategoryCount{{Category: "console-os", Fixes: 7, Share: 1}},
		},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"cadence", "--db", db, "--vendor", "vmware", "--product", "ESX", "--version", "3.0.2",
				"--built", "2007-07-02", "--format", "json"}, tc.args...)
			code, out, errs := runCmd(t, args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errs)
			}
			var got analysis.Result
			if err := json.Unmarshal([]byte(out), &got); err != nil {
				t.Fatalf("%v in %s", err, out)
			}
			if tc.want.Events == nil { // only the figures are checked
				got.Events = nil
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestCadenceJSONFields pins the JSON field names the issue promises.
func TestCadenceJSONFields(t *testing.T) {
	db := buildAnalystDB(t)
	code, out, errs := runCmd(t, "cadence", "--db", db, "--vendor", "VMware", "--product", "esx", "--version", "3.0.2",
		"--built", "2007-07-02", "--until", "2007-12-02", "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"events", "count", "mean_days_between", "median_days_between", "days_per_event", "categories"} {
		if _, ok := got[k]; !ok {
			t.Errorf("JSON lacks %q: %s", k, out)
		}
	}
	if got["count"] != float64(3) {
		t.Errorf("case-insensitive vendor/product: count = %v, want 3", got["count"])
	}
}

// TestCadenceTable checks the human output's lines for the seed window.
func TestCadenceTable(t *testing.T) {
	db := buildAnalystDB(t)
	code, out, errs := runCmd(t, "cadence", "--db", db, "--vendor", "vmware", "--product", "ESX", "--version", "3.0.2",
		"--built", "2007-07-02", "--until", "2007-12-02")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{
		"vmware ESX 3.0.2, host built 2007-07-02, window to 2007-12-02 (153 days), all patches",
		"2007-09-18  78    ESX-1001725 ESX-1001726 ESX-1001727 ESX-1001728 ESX-1001729 ESX-1001730 ESX-1001731  Security        unknown  console-os 7",
		"2007-11-15  38    ESX-1002424",
		"days per event              51.00 (153 days / 3 events)",
		"fixes by category           console-os 8 (72.7%), vmm 3 (27.3%)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// TestCadenceCompare puts Xen beside ESX over the same 153 days: Xen's
// window starts the day before its first patch (2015-06-01) and holds its
// two events, 62 days apart (06-02 → 08-03).
func TestCadenceCompare(t *testing.T) {
	db := buildAnalystDB(t)
	code, out, errs := runCmd(t, "cadence", "--db", db, "--vendor", "vmware", "--product", "ESX", "--version", "3.0.2",
		"--built", "2007-07-02", "--until", "2007-12-02", "--compare", "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var got struct {
		WindowDays int               `json:"window_days"`
		Rows       []analysis.Result `json:"rows"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	type row struct {
		Vendor, Product, Built, Until string
		Count                         int
		Mean, PerEvent                *float64
	}
	var rows []row
	for _, r := range got.Rows {
		rows = append(rows, row{r.Vendor, r.Product, r.Built, r.Until, r.Count, r.MeanDaysBetween, r.DaysPerEvent})
	}
	want := []row{
		{"vmware", "ESX", "2007-07-02", "2007-12-02", 3, f64(29), f64(51)},
		{"xen", "Xen", "2015-06-01", "2015-11-01", 2, f64(62), f64(76.5)},
	}
	if got.WindowDays != 153 {
		t.Errorf("window_days = %d, want 153", got.WindowDays)
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestCadenceUsageErrors(t *testing.T) {
	db := buildAnalystDB(t)
	for _, args := range [][]string{
		{"cadence", "--db", db},
		{"cadence", "--db", db, "--vendor", "vmware", "--product", "ESX"},
		{"cadence", "--db", db, "--vendor", "vmware", "--product", "ESX", "--built", "2007-13-01"},
		{"cadence", "--db", db, "--vendor", "vmware", "--product", "ESX", "--built", "2007-07-02", "--until", "2007-07-01"},
		{"cadence", "--db", db, "--vendor", "vmware", "--product", "ESX", "--built", "2007-07-02", "--until", "2007-12-02", "--months", "5"},
		{"cadence", "--db", db, "--vendor", "vmware", "--built", "2007-07-02"},
		{"cadence", "--db", db, "--compare"},
		{"cadence", "--db", db, "--vendor", "vmware", "--product", "ESX", "--built", "2007-07-02", "--format", "xml"},
	} {
		code, out, errs := runCmd(t, args...)
		if code != 2 || out != "" || errs == "" {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want 2 with a message", args[3:], code, out, errs)
		}
	}
}

// cadence works out whether a patch is a security patch itself rather than
// through v_patches; it must agree with the view on every dated patch, both
// for the fixtures harvested from the vendors and for the analyst data.
func TestCadenceSecurityMatchesView(t *testing.T) {
	harvested := filepath.Join(t.TempDir(), "pw.db")
	if code, _, errs := runCmd(t, "harvest", "--db", harvested, "--replay", fixtures, "--quiet"); code > 1 {
		t.Fatalf("harvest: exit %d: %s", code, errs)
	}
	fromFixes := 0
	for _, path := range []string{harvested, buildAnalystDB(t)} {
		db, err := store.OpenReadOnly(path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		data, err := analysis.LoadPatchData(context.Background(), db, analysis.Scope{})
		if err != nil {
			t.Fatal(err)
		}
		got := data.Security()
		want := map[string]bool{}
		for _, r := range queryRows(t, path, `SELECT id, security, lower(classification) = 'security' AS classified FROM v_patches WHERE released IS NOT NULL`) {
			want[r["id"].(string)] = r["security"] == float64(1)
			if r["security"] == float64(1) && r["classified"] != float64(1) {
				fromFixes++
			}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: security by patch, v_patches (-) and cadence (+):\n%s", path, diff)
		}
	}
	if fromFixes == 0 {
		t.Error("no patch is a security patch through its fixes alone; the test would not notice that path breaking")
	}
}
