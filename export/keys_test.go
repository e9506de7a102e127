package export

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/patchwatch/patchwatch/internal/storetest"
	"github.com/patchwatch/patchwatch/normalize"
	"github.com/patchwatch/patchwatch/store"
)

// Two vendors may use the same advisory, fix and patch IDs (Microsoft's are
// CVE IDs); each exported advisory carries only its own vendor's fixes,
// patches and remedies.
func TestLoadAdvisoriesKeepsVendorsApart(t *testing.T) {
	ctx := context.Background()
	db := storetest.ReadOnly(t, func(s *store.Store) {
		for _, vendor := range []string{"microsoft", "othervendor"} {
			res := normalize.Result{
				Advisories: []normalize.Advisory{{ID: "CVE-2024-21407", Vendor: vendor, Status: normalize.StatusPublished,
					Title: vendor + " advisory", Published: "2024-03-12", CVEs: []string{"CVE-2024-21407"}}},
				Patches: []normalize.Patch{{ID: "KB5035849", Vendor: vendor, Product: vendor + " host", Version: vendor + " 1", Released: "2024-03-12"}},
				Fixes: []normalize.Fix{{ID: "CVE-2024-21407/1", AdvisoryID: "CVE-2024-21407", PatchIDs: []string{"KB5035849"},
					Vendor: vendor, Product: vendor + " host", Category: normalize.VMM, Summary: vendor + " fix", Rule: "r", Evidence: "e",
					Remedies: []normalize.Remedy{{Product: vendor + " host", Version: vendor + " 1", Status: normalize.RemedyFixed, PatchID: "KB5035849"}}}},
			}
			doc := store.Document{URL: "https://" + vendor + ".example/CVE-2024-21407", Source: vendor, Status: 200, Body: []byte(vendor)}
			if err := s.SavePage(ctx, doc, res); err != nil {
				t.Fatal(err)
			}
		}
	})
	good, bad, err := LoadAdvisories(ctx, db, Filter{})
	if err != nil || len(bad) > 0 {
		t.Fatalf("LoadAdvisories: %v %v", err, bad)
	}
	type row struct{ Vendor, Title, Fix, Summary, Patch, PatchProduct, Remedy string }
	var got []row
	for _, a := range good {
		for _, f := range a.Fixes {
			r := row{Vendor: a.Vendor, Title: a.Title, Fix: f.ID, Summary: f.Summary}
			for _, p := range f.Patches {
				r.Patch += p.ID
				r.PatchProduct += p.Product
			}
			for _, rem := range f.Remedies {
				r.Remedy += rem.Product
			}
			got = append(got, r)
		}
	}
	want := []row{
		{"microsoft", "microsoft advisory", "CVE-2024-21407/1", "microsoft fix", "KB5035849", "microsoft host", "microsoft host"},
		{"othervendor", "othervendor advisory", "CVE-2024-21407/1", "othervendor fix", "KB5035849", "othervendor host", "othervendor host"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("advisories' fixes (-want +got):\n%s", diff)
	}
}
