package microsoft

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/patchwatch/patchwatch/normalize"
	"github.com/patchwatch/patchwatch/scrapers"
	"github.com/patchwatch/patchwatch/scrapers/scrapertest"
)

const (
	recorded  = "../../fixtures/api.msrc.microsoft.com/cvrf/v3.0"
	goldenDir = "../../fixtures/microsoft/golden"
)

// recordedPages lists every recorded page as (file, canonical URL, golden
// name): the updates index and each monthly document.
func recordedPages(t *testing.T) [][3]string {
	t.Helper()
	docs, err := os.ReadDir(filepath.Join(recorded, "cvrf"))
	if err != nil {
		t.Fatal(err)
	}
	pages := [][3]string{{filepath.Join(recorded, "updates"), Base + "updates", "updates"}}
	for _, d := range docs {
		pages = append(pages, [3]string{filepath.Join(recorded, "cvrf", d.Name()), documentURL(d.Name()), "cvrf-" + d.Name()})
	}
	return pages
}

// TestGolden parses every recorded MSRC page and compares the result with
// its reviewed golden JSON.
func TestGolden(t *testing.T) {
	pages := recordedPages(t)
	if len(pages) < 7 {
		t.Fatalf("only %d recorded pages; want the index and at least 6 monthly documents", len(pages))
	}
	var golden []scrapertest.Page
	for _, pg := range pages {
		golden = append(golden, scrapertest.Page{File: pg[0], URL: pg[1], Golden: filepath.Join(goldenDir, pg[2]+".json")})
	}
	scrapertest.Golden(t, Source{}, golden)
}

// TestGoldenCoverage checks that the corpus is what the analyses need:
// every month yields Hyper-V fixes, non-Hyper-V items are dropped, and the
// index links every recorded document.
func TestGoldenCoverage(t *testing.T) {
	categories := map[normalize.Category]int{}
	var follow []string
	for _, pg := range recordedPages(t) {
		body, err := os.ReadFile(pg[0])
		if err != nil {
			t.Fatal(err)
		}
		p, err := scrapers.ParseFile(Source{}, pg[1], body)
		if err != nil {
			t.Fatal(err)
		}
		if pg[2] == "updates" {
			follow = p.Follow
			continue
		}
		if len(p.Fixes) == 0 || len(p.Patches) == 0 {
			t.Errorf("%s: %d fixes and %d patches; every recorded month has Hyper-V fixes", pg[2], len(p.Fixes), len(p.Patches))
		}
		for _, f := range p.Fixes {
			categories[f.Category]++
			if f.Summary == "" {
				t.Errorf("%s: fix %s has no summary", pg[2], f.ID)
			}
		}
		for _, a := range p.Advisories {
			for _, dropped := range []string{"CVE-2016-0128", "CVE-2021-41337", "CVE-2021-42276", "CVE-2022-21984", "CVE-2024-21429", "CVE-2024-21392", "CVE-2025-21275"} {
				if a.ID == dropped {
					t.Errorf("%s: non-Hyper-V %s was kept", pg[2], dropped)
				}
			}
		}
	}
	if categories[normalize.VMM] < 8 || categories[normalize.HardwareCompat] < 1 || categories[normalize.Unclassified] > 0 {
		t.Errorf("categories %v: want ≥8 vmm, ≥1 hardware-compat, none unclassified", categories)
	}
	if len(follow) != len(recordedPages(t))-1 {
		t.Errorf("index links %d documents, %d are recorded", len(follow), len(recordedPages(t))-1)
	}
}
