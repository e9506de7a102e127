package vmware

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/patchwatch/patchwatch/normalize"
	"github.com/patchwatch/patchwatch/scrapers"
)

// realDir holds real VMware advisories (pipermail mails and vmware.com
// pages of 2012–2017) with facts read from them by hand, beside the
// repository.
const realDir = "../../../shared/real/vmware"

// realCase is one entry of cases.json: a document and the URL it is parsed at.
type realCase struct {
	File string `json:"file"`
	URL  string `json:"url"`
	Form string `json:"form"`
}

// realFacts is one entry of expected.json.
type realFacts struct {
	ID       string   `json:"id"`
	Revision int      `json:"revision"`
	CVEs     []string `json:"cves"`
	// CVEsElsewhere are CVEs only the references or change log name; a
	// parser may or may not report them.
	CVEsElsewhere []string `json:"cves_only_outside_header_and_items"`
	PatchIDs      []string `json:"patch_ids"`
	// PatchIDsSolution are patch releases only the Solution names; a
	// parser may or may not report them.
	PatchIDsSolution []string `json:"patch_ids_solution_only"`
	Items            []struct {
		Letter string `json:"letter"`
		Title  string `json:"title"`
		Label  string `json:"label"`
	} `json:"items"`
}

// readReal decodes one JSON file of realDir, skipping the test when the
// folder is absent (a clone without ../shared).
func readReal(t *testing.T, name string, v any) {
	t.Helper()
	if _, err := os.Stat(realDir); errors.Is(err, fs.ErrNotExist) {
		t.Skipf("real VMware documents not present at %s", realDir)
	}
	b, err := os.ReadFile(filepath.Join(realDir, name))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

// TestRealAdvisories parses every real advisory as `patchwatch parse`
// would and checks the facts read from it by hand: advisory ID and
// revision, every CVE and patch ID it states (and nothing it does not),
// and the category of every item labelled: a host category where the
// label gives one, none for items that are not about the ESX/ESXi host.
func TestRealAdvisories(t *testing.T) {
	var cases []realCase
	var facts map[string]realFacts
	readReal(t, "cases.json", &cases)
	readReal(t, "expected.json", &facts)
	if len(cases) == 0 {
		t.Fatal("cases.json lists no documents")
	}
	host := []string{string(normalize.ConsoleOS), string(normalize.VMM), string(normalize.HardwareCompat)}
	for _, c := range cases {
		want, ok := facts[filepath.Base(c.File)]
		if !ok {
			t.Errorf("%s: no facts in expected.json", c.File)
			continue
		}
		t.Run(filepath.Base(c.File), func(t *testing.T) {
			t.Parallel()
			body, err := os.ReadFile(filepath.Join(realDir, c.File))
			if err != nil {
				t.Fatal(err)
			}
			got, err := scrapers.ParseFile(Source{}, c.URL, body)
			if err != nil {
				t.Fatalf("%s (%s): %v", c.File, c.Form, err)
			}
			if len(got.Advisories) != 1 {
				t.Fatalf("%d advisories, want 1", len(got.Advisories))
			}
			a := got.Advisories[0]
			if a.ID != want.ID || a.Version != want.Revision {
				t.Errorf("advisory %s revision %d, want %s revision %d", a.ID, a.Version, want.ID, want.Revision)
			}

			cves := slices.Clone(a.CVEs)
			var patches []string
			for _, p := range got.Patches {
				patches = append(patches, p.ID)
			}
			fixes := map[string]normalize.Fix{}
			for _, f := range got.Fixes {
				cves = append(cves, f.CVEs...)
				patches = append(patches, f.PatchIDs...)
				fixes[f.ID] = f
			}
			checkSet(t, "CVE", sortedUnique(cves), want.CVEs, want.CVEsElsewhere)
			checkSet(t, "patch", sortedUnique(patches), want.PatchIDs, want.PatchIDsSolution)

			for _, it := range want.Items {
				f, ok := fixes[want.ID+"/"+it.Letter]
				switch {
				case !ok:
					t.Errorf("item %s (%s): no fix", it.Letter, it.Title)
				case slices.Contains(host, it.Label) && string(f.Category) != it.Label:
					t.Errorf("item %s (%s): %s by %s (%s), want %s", it.Letter, it.Title, f.Category, f.Rule, f.Evidence, it.Label)
				case !slices.Contains(host, it.Label) && slices.Contains(host, string(f.Category)):
					t.Errorf("item %s (%s) is not about the host (%s) but got %s by %s (%s)", it.Letter, it.Title, it.Label, f.Category, f.Rule, f.Evidence)
				}
			}
		})
	}
}

// checkSet reports every wanted value missing from got and every value of
// got that is neither wanted nor allowed.
func checkSet(t *testing.T, what string, got, want, allowed []string) {
	t.Helper()
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("%s %s missing (got %v)", what, w, got)
		}
	}
	for _, g := range got {
		if !slices.Contains(want, g) && !slices.Contains(allowed, g) {
			t.Errorf("%s %s reported but not in the document's facts", what, g)
		}
	}
}
