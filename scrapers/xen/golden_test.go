package xen

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/patchwatch/patchwatch/normalize"
	"github.com/patchwatch/patchwatch/scrapers"
	"github.com/patchwatch/patchwatch/scrapers/scrapertest"
)

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
	pages := scrapertest.Walk(t, recorded, pageURL, goldenDir)
	if len(pages) < 27 {
		t.Fatalf("only %d recorded pages in %s; the corpus should hold the index, the feed and at least 25 advisories", len(pages), recorded)
	}
	scrapertest.Golden(t, Source{}, pages)
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
