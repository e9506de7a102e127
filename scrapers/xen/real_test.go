package xen

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/patchwatch/patchwatch/normalize"
	"github.com/patchwatch/patchwatch/scrapers"
	"github.com/patchwatch/patchwatch/scrapers/scrapertest"
)

// realDir holds real Xen advisory texts with facts read from them by hand
// (expected.json), beside the repository.
const realDir = "../../../shared/real/xen"

// realXenDoc is one entry of expected.json.
type realXenDoc struct {
	File string `json:"file"`
	URL  string `json:"url"`
	ID   string `json:"id"`
	CVEs []string
	// Patches lists, per patch the RESOLUTION table names, the file names
	// that count as finding it (a glob's concrete files, or the glob).
	Patches  [][]string `json:"patches"`
	Category *string    `json:"category"`
}

// TestRealAdvisories parses every real advisory text of ../shared/real/xen
// in place and checks the facts a careful reader took from it: the XSA
// number, the CVEs the text names, the patch files of its RESOLUTION table
// and, where the text makes it unambiguous, the one category of its fix.
// It skips only when ../shared is absent; a missing real/xen is a failure.
func TestRealAdvisories(t *testing.T) {
	for _, d := range scrapertest.RealDocs[realXenDoc](t, realDir) {
		t.Run(d.ID, func(t *testing.T) {
			t.Parallel()
			body, err := os.ReadFile(filepath.Join(realDir, d.File))
			if err != nil {
				t.Fatal(err)
			}
			got, err := scrapers.ParseFile(Source{}, d.URL, body)
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Advisories) != 1 || len(got.Fixes) != 1 {
				t.Fatalf("want 1 advisory and 1 fix, got %d and %d", len(got.Advisories), len(got.Fixes))
			}
			a, f := got.Advisories[0], got.Fixes[0]
			if a.ID != d.ID || f.AdvisoryID != d.ID {
				t.Errorf("advisory %s, fix of %s; want %s", a.ID, f.AdvisoryID, d.ID)
			}
			cves := slices.Sorted(slices.Values(slices.Concat(a.CVEs, f.CVEs)))
			want := slices.Sorted(slices.Values(d.CVEs))
			if diff := cmp.Diff(want, slices.Compact(cves)); diff != "" {
				t.Errorf("CVEs (-want +got):\n%s", diff)
			}
			for _, alts := range d.Patches {
				if !slices.ContainsFunc(alts, func(p string) bool { return slices.Contains(f.PatchIDs, p) }) {
					t.Errorf("patch %s not found in %q", alts[0], f.PatchIDs)
				}
			}
			if len(d.Patches) == 0 && len(f.PatchIDs) != 0 {
				t.Errorf("patch IDs %q, want none", f.PatchIDs)
			}
			if d.Category != nil && f.Category != normalize.Category(*d.Category) {
				t.Errorf("category %s by %s (%s), want %s", f.Category, f.Rule, f.Evidence, *d.Category)
			}
		})
	}
}
