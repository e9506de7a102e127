package redhatkvm

import (
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/ulikunitz/xz"

	"github.com/patchwatch/patchwatch/normalize"
	"github.com/patchwatch/patchwatch/scrapers"
	"github.com/patchwatch/patchwatch/scrapers/scrapertest"
)

// realDir holds real Red Hat CSAF advisories, KVM-related and not, with
// facts read from them by hand (expected.json), beside the repository.
const realDir = "../../../shared/real/redhat-kvm"

// realRHSA is one entry of expected.json.
type realRHSA struct {
	File       string            `json:"file"`
	URL        string            `json:"url"`
	ID         string            `json:"id"`
	KVM        bool              `json:"kvm"`
	CVEs       []string          `json:"cves"`
	Patches    []string          `json:"patches"`
	Categories map[string]string `json:"categories"`
}

// readReal returns a document's bytes; "*.json.xz" files are xz copies,
// stored as the repository they came from stores them.
func readReal(t *testing.T, name string) []byte {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(name, ".xz") {
		if r, err = xz.NewReader(f); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return b
}

// TestRealAdvisories parses every real CSAF document of
// ../shared/real/redhat-kvm in place and checks the facts a careful reader
// took from it: whether it concerns KVM at all (one that does not, or
// that fixes nothing, yields no records and no error), and for those that
// do the RHSA ID, every CVE, the patch and each unambiguous category. It
// skips only when ../shared is absent; a missing real/redhat-kvm fails.
func TestRealAdvisories(t *testing.T) {
	for _, d := range scrapertest.RealDocs[realRHSA](t, realDir) {
		t.Run(d.ID, func(t *testing.T) {
			t.Parallel()
			got, err := scrapers.ParseFile(Source{}, d.URL, readReal(t, filepath.Join(realDir, d.File)))
			if err != nil {
				t.Fatal(err)
			}
			if !d.KVM {
				if n := len(got.Advisories) + len(got.Patches) + len(got.Fixes); n != 0 {
					t.Fatalf("not about KVM, yet %d records, e.g. %s", n, firstEvidence(got.Fixes))
				}
				return
			}
			if len(got.Advisories) != 1 {
				t.Fatalf("about KVM, yet %d advisories", len(got.Advisories))
			}
			a := got.Advisories[0]
			if a.ID != d.ID {
				t.Errorf("advisory %s, want %s", a.ID, d.ID)
			}
			if diff := cmp.Diff(slices.Sorted(slices.Values(d.CVEs)), a.CVEs); diff != "" {
				t.Errorf("CVEs (-want +got):\n%s", diff)
			}
			var patches []string
			for _, p := range got.Patches {
				patches = append(patches, p.ID)
			}
			for _, f := range got.Fixes {
				patches = append(patches, f.PatchIDs...)
			}
			for _, p := range d.Patches {
				if !slices.Contains(patches, p) {
					t.Errorf("patch %s not found in %q", p, patches)
				}
			}
			byCVE := map[string]normalize.Fix{}
			for _, f := range got.Fixes {
				for _, c := range f.CVEs {
					byCVE[c] = f
				}
			}
			for cve, want := range d.Categories {
				f, ok := byCVE[cve]
				if !ok {
					t.Errorf("%s: no fix", cve)
					continue
				}
				if f.Category != normalize.Category(want) {
					t.Errorf("%s: category %s by %s (%s), want %s", cve, f.Category, f.Rule, f.Evidence, want)
				}
			}
		})
	}
}

func firstEvidence(fs []normalize.Fix) string {
	if len(fs) == 0 {
		return "no fixes"
	}
	return fs[0].Evidence
}
