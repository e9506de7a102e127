package oracle

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/patchwatch/patchwatch/normalize"
	"github.com/patchwatch/patchwatch/scrapers"
	"github.com/patchwatch/patchwatch/scrapers/scrapertest"
)

const (
	fixtures  = "../../fixtures"
	goldenDir = "../../fixtures/oracle/golden"
)

type recordedPage struct{ file, url, golden string }

// recordedPages lists the recorded Oracle pages with their canonical URLs.
func recordedPages(t *testing.T) []recordedPage {
	t.Helper()
	var out []recordedPage
	for _, dir := range []struct{ path, base, prefix string }{
		{"www.oracle.com/security-alerts", AlertsIndex, "alerts-"},
		{"linux.oracle.com/oval", OVALIndex, "oval-"},
	} {
		entries, err := os.ReadDir(filepath.Join(fixtures, dir.path))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			u := dir.base + e.Name()
			if e.Name() == "index.html" {
				u = dir.base
			}
			out = append(out, recordedPage{
				file:   filepath.Join(fixtures, dir.path, e.Name()),
				url:    u,
				golden: dir.prefix + strings.TrimSuffix(e.Name(), filepath.Ext(e.Name())),
			})
		}
	}
	return out
}

// TestGolden parses every recorded Oracle page and compares the result
// with its reviewed golden JSON.
func TestGolden(t *testing.T) {
	pages := recordedPages(t)
	if len(pages) < 11 {
		t.Fatalf("only %d recorded pages; want 2 indexes, 4 CPU pages and 5 OVMSA definitions", len(pages))
	}
	var golden []scrapertest.Page
	for _, pg := range pages {
		golden = append(golden, scrapertest.Page{File: pg.file, URL: pg.url, Golden: filepath.Join(goldenDir, pg.golden+".json")})
	}
	scrapertest.Golden(t, Source{}, golden)
}

// TestGoldenCoverage checks the corpus spans the CVSS eras and every
// Oracle VM Server category.
func TestGoldenCoverage(t *testing.T) {
	eras := map[string]bool{}
	categories := map[normalize.Category]int{}
	for _, pg := range recordedPages(t) {
		body, err := os.ReadFile(pg.file)
		if err != nil {
			t.Fatal(err)
		}
		p, err := scrapers.ParseFile(Source{}, pg.url, body)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range p.Fixes {
			categories[f.Category]++
			for _, era := range []string{"CVSS 2.0", "CVSS 3.0", "CVSS 3.1"} {
				if strings.Contains(f.Summary, era) {
					eras[era] = true
				}
			}
		}
	}
	if len(eras) != 3 {
		t.Errorf("CVSS eras covered: %v, want 2.0, 3.0 and 3.1", eras)
	}
	for _, c := range []normalize.Category{normalize.VMM, normalize.ConsoleOS, normalize.HardwareCompat} {
		if categories[c] == 0 {
			t.Errorf("no %s fix in the corpus: %v", c, categories)
		}
	}
	if categories[normalize.Unclassified] > 0 {
		t.Errorf("unclassified fixes: %v", categories)
	}
}
