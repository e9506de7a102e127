package xen

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/patchwatch/patchwatch/normalize"
	"github.com/patchwatch/patchwatch/scrapers"
)

var update = flag.Bool("update", false, "rewrite the golden files from the parser's output")

const (
	recorded  = "../../fixtures/xenbits.xen.org/xsa"
	goldenDir = "../../fixtures/xen/golden"
)

// pageURL is the canonical URL a recorded file was fetched from.
func pageURL(name string) string {
	if name == "index.html" {
		return Base
	}
	return Base + name
}

// TestGolden parses every recorded xenbits page and compares the result
// with its reviewed golden JSON, one parallel subtest per page.
func TestGolden(t *testing.T) {
	entries, err := os.ReadDir(recorded)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) < 27 {
		t.Fatalf("only %d recorded pages in %s; the corpus should hold the index, the feed and at least 25 advisories", len(entries), recorded)
	}
	for _, e := range entries {
		name := e.Name()
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			body, err := os.ReadFile(filepath.Join(recorded, name))
			if err != nil {
				t.Fatal(err)
			}
			got, err := scrapers.ParseFile(Source{}, pageURL(name), body)
			if err != nil {
				t.Fatalf("parse %s: %v", name, err)
			}
			golden := filepath.Join(goldenDir, strings.TrimSuffix(name, filepath.Ext(name))+".json")
			if *update {
				out, err := json.MarshalIndent(got, "", "  ")
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, append(out, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			raw, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("no golden file (run make golden and review it): %v", err)
			}
			var want scrapers.Parsed
			if err := json.Unmarshal(raw, &want); err != nil {
				t.Fatalf("%s: %v", golden, err)
			}
			if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("%s (-want +got):\n%s", name, diff)
			}
		})
	}
}

// TestGoldenCoverage checks that the recorded corpus covers what the
// analyses need: every kind of fix, a multi-CVE advisory, a revised one and
// a number that carries no advisory.
func TestGoldenCoverage(t *testing.T) {
	entries, err := filepath.Glob(filepath.Join(recorded, "advisory-*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) < 25 {
		t.Fatalf("%d recorded advisories, want at least 25", len(entries))
	}
	categories := map[normalize.Category]int{}
	components := map[string]int{}
	multiCVE, revised := 0, 0
	for _, name := range entries {
		body, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		p, err := scrapers.ParseFile(Source{}, pageURL(filepath.Base(name)), body)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		f := p.Fixes[0]
		categories[f.Category]++
		components[f.Component]++
		if len(f.CVEs) > 1 {
			multiCVE++
		}
		if p.Advisories[0].Version >= 2 {
			revised++
		}
	}
	for _, c := range []normalize.Category{normalize.VMM, normalize.ConsoleOS, normalize.HardwareCompat} {
		if categories[c] < 3 {
			t.Errorf("only %d %s fixes in the corpus: %v", categories[c], c, categories)
		}
	}
	if components["qemu device model"] < 3 {
		t.Errorf("only %d qemu fixes: %v", components["qemu device model"], components)
	}
	if categories[normalize.Unclassified] > 0 {
		t.Errorf("%d fixes left unclassified: %v", categories[normalize.Unclassified], categories)
	}
	if multiCVE < 3 || revised < 5 {
		t.Errorf("multi-CVE advisories %d (want ≥3), revised advisories %d (want ≥5)", multiCVE, revised)
	}
	body, err := os.ReadFile(filepath.Join(recorded, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	idx, err := scrapers.ParseFile(Source{}, Base, body)
	if err != nil {
		t.Fatal(err)
	}
	gaps := map[normalize.Status]int{}
	for _, a := range idx.Advisories {
		gaps[a.Status]++
	}
	if gaps[normalize.StatusWithdrawn]+gaps[normalize.StatusUnused] < 2 {
		t.Errorf("index lists %v; want at least two unused or withdrawn numbers", gaps)
	}
}
