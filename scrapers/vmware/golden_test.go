package vmware

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/patchwatch/patchwatch/normalize"
	"github.com/patchwatch/patchwatch/scrapers"
	"github.com/patchwatch/patchwatch/scrapers/scrapertest"
)

const (
	fixturesDir = "../../fixtures"
	goldenDir   = "../../fixtures/vmware/golden"
)

// recordedHosts are the fixture directories of this source.
var recordedHosts = []string{hostLists, hostWWW, hostKB, hostDocs, hostBroadcom}

// recordedPage is one fixture file and the URL it was fetched from.
type recordedPage struct{ file, url, golden string }

// recordedPages lists every recorded page of the source. The archive and
// the VI3 patch list were served over http, everything else over https.
func recordedPages(t *testing.T) []recordedPage {
	t.Helper()
	var out []recordedPage
	for _, host := range recordedHosts {
		root := filepath.Join(fixturesDir, host)
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel, err := filepath.Rel(root, path)
			if err != nil {
				return err
			}
			rel = filepath.ToSlash(rel)
			scheme := "https://"
			if host == hostLists || rel == "download/vi/vi3_patches.html" {
				scheme = "http://"
			}
			name := host + "_" + strings.NewReplacer("/", "_", "?", "_").Replace(strings.TrimSuffix(rel, filepath.Ext(rel)))
			u := scheme + host + "/" + rel
			if strings.Contains(rel, ".POST-") {
				u = requestKey(t, path)
			}
			out = append(out, recordedPage{file: path, url: u, golden: filepath.Join(goldenDir, name+".json")})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// requestKey is the key of the seed request recorded at path: a POST is
// recorded under a hash of its body, so the file name alone cannot say.
func requestKey(t *testing.T, path string) string {
	t.Helper()
	for _, q := range (Source{}).SeedRequests() {
		if p, err := q.RecordedPath(fixturesDir); err == nil && p == path {
			return q.Key()
		}
	}
	t.Fatalf("%s is not the recording of any seed request", path)
	return ""
}

// TestGolden parses every recorded VMware page and compares the result with
// its reviewed golden JSON, one parallel subtest per page.
func TestGolden(t *testing.T) {
	pages := recordedPages(t)
	if len(pages) < 33 {
		t.Fatalf("only %d recorded pages; the corpus should hold the indexes, 10 advisories, 17 KB pages, 2 bulletin pages, the build table and the Broadcom list", len(pages))
	}
	var golden []scrapertest.Page
	for _, p := range pages {
		golden = append(golden, scrapertest.Page{File: p.file, URL: p.url, Golden: p.golden})
	}
	scrapertest.Golden(t, Source{}, golden)
}

// TestGoldenCoverage checks that the corpus holds what the analyses need:
// every category, every advisory layout, patches from KBs and bulletins
// whose facts agree with the advisories naming them, and hosted-product
// fixes that are not counted as ESX.
func TestGoldenCoverage(t *testing.T) {
	categories := map[normalize.Category]int{}
	advisories := map[string]bool{}
	patches := map[string]normalize.Patch{}
	hosted := 0
	for _, p := range recordedPages(t) {
		body, err := os.ReadFile(p.file)
		if err != nil {
			t.Fatal(err)
		}
		got, err := scrapers.ParseFile(Source{}, p.url, body)
		if err != nil {
			t.Fatalf("%s: %v", p.url, err)
		}
		for _, a := range got.Advisories {
			advisories[a.ID] = true
		}
		for _, f := range got.Fixes {
			categories[f.Category]++
			if f.Product == "Workstation" || f.Product == "Player" || f.Product == "Fusion" {
				hosted++
			}
		}
		for _, np := range got.Patches {
			old, seen := patches[np.ID]
			if seen && (old.Product != np.Product || old.Version != np.Version) {
				t.Errorf("patch %s is %s %s on one page and %s %s on %s", np.ID, old.Product, old.Version, np.Product, np.Version, p.url)
			}
			if !seen || np.Released != "" {
				patches[np.ID] = np
			}
		}
	}
	for _, c := range []normalize.Category{normalize.ConsoleOS, normalize.VMM, normalize.HardwareCompat, normalize.Feature, normalize.Unclassified} {
		if categories[c] == 0 {
			t.Errorf("no %s fix in the corpus: %v", c, categories)
		}
	}
	if len(advisories) < 10 {
		t.Errorf("%d advisories, want at least 10: %v", len(advisories), advisories)
	}
	if hosted == 0 {
		t.Error("no hosted-product fix in the corpus")
	}
	// The seed's host: ESX 3.0.2, patched from July to December 2007.
	for _, id := range []string{"ESX-1001725", "ESX-1001731", "ESX-1002087", "ESX-1002090", "ESX-1002424", "ESX-1002969", "ESX-1002976"} {
		p := patches[id]
		if p.Product != "ESX" || p.Version != "3.0.2" || p.Released == "" || p.Classification == "" {
			t.Errorf("patch %s: %+v, want an ESX 3.0.2 patch with date and classification", id, p)
		}
	}
}
