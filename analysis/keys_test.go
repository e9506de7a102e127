package analysis

import (
	"cmp"
	"context"
	"database/sql"
	"slices"
	"strings"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/patchwatch/patchwatch/internal/storetest"
	"github.com/patchwatch/patchwatch/normalize"
	"github.com/patchwatch/patchwatch/store"
)

// sameIDsDB stores, for two vendors, an advisory, a patch and a fix with the
// same IDs (Microsoft's IDs are CVE IDs) and returns the database read-only.
func sameIDsDB(t *testing.T) *sql.DB {
	t.Helper()
	return storetest.ReadOnly(t, func(s *store.Store) {
		for _, v := range []struct {
			vendor, published string
			category          normalize.Category
		}{{"microsoft", "2024-03-12", normalize.VMM}, {"othervendor", "2024-03-20", normalize.ConsoleOS}} {
			res := normalize.Result{
				Advisories: []normalize.Advisory{{ID: "CVE-2024-21407", Vendor: v.vendor, Status: normalize.StatusPublished,
					Title: v.vendor + " escape", Published: v.published}},
				Patches: []normalize.Patch{{ID: "KB5035849", Vendor: v.vendor, Product: "host", Released: v.published}},
				Fixes: []normalize.Fix{{ID: "CVE-2024-21407/1", AdvisoryID: "CVE-2024-21407", PatchIDs: []string{"KB5035849"},
					Vendor: v.vendor, Product: "host", Component: "escape", Category: v.category, Rule: "r", Evidence: "e"}},
			}
			doc := store.Document{URL: "https://" + v.vendor + ".example/CVE-2024-21407", Source: v.vendor, Status: 200, Body: []byte(v.vendor)}
			if err := s.SavePage(context.Background(), doc, res); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// Search and cadence match records by vendor and ID: each vendor's hit has
// its own date and title, each vendor's patch its own fixes.
func TestSameIDsFromTwoVendorsAnalysis(t *testing.T) {
	db := sameIDsDB(t)
	ctx := context.Background()
	_, rows, err := Search(ctx, db, SearchQuery{Terms: []string{"escape"}, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	var got [][]any
	for _, r := range rows {
		got = append(got, r[:5]) // kind, id, vendor, date, title
	}
	want := [][]any{
		{"advisory", "CVE-2024-21407", "microsoft", "2024-03-12", "microsoft escape"},
		{"advisory", "CVE-2024-21407", "othervendor", "2024-03-20", "othervendor escape"},
		{"fix", "CVE-2024-21407/1", "microsoft", "2024-03-12", "vmm: escape"},
		{"fix", "CVE-2024-21407/1", "othervendor", "2024-03-20", "console-os: escape"},
	}
	sortRows(got)
	if diff := gocmp.Diff(want, got); diff != "" {
		t.Errorf("search (-want +got):\n%s", diff)
	}

	data, err := LoadPatchData(ctx, db, Scope{})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for vendor, category := range map[string]string{"microsoft": "vmm", "othervendor": "console-os"} {
		r := data.Cadence(Query{Vendor: vendor, Product: "host", Start: start, End: start.AddDate(1, 0, 0)})
		if diff := gocmp.Diff([]CategoryCount{{Category: category, Fixes: 1, Share: 1}}, r.Categories); diff != "" {
			t.Errorf("%s cadence categories (-want +got):\n%s", vendor, diff)
		}
	}
}

// sortRows orders search rows by kind, then vendor: rank ties between the
// two vendors' identical texts may come in either order.
func sortRows(rows [][]any) {
	slices.SortFunc(rows, func(a, b []any) int {
		return cmp.Or(strings.Compare(a[0].(string), b[0].(string)), strings.Compare(a[2].(string), b[2].(string)))
	})
}
