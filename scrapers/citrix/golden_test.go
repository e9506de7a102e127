package citrix

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/patchwatch/patchwatch/scrapers/scrapertest"
)

const (
	recorded  = "../../fixtures/support.citrix.com"
	goldenDir = "../../fixtures/citrix/golden"
)

// bulletinListFile is where the bulletin listing is recorded: its URL's
// query string stays in the file name, as in the replay layout.
var bulletinListFile = "support-home/" + strings.TrimPrefix(BulletinIndex, "https://support.citrix.com/support-home/")

// recordedPages lists the bulletin listing and every recorded article.
func recordedPages(t *testing.T) []scrapertest.Page {
	t.Helper()
	pages := []scrapertest.Page{{
		File:   filepath.Join(recorded, filepath.FromSlash(bulletinListFile)),
		URL:    BulletinIndex,
		Golden: filepath.Join(goldenDir, "security-bulletin-list.json"),
	}}
	articles, err := os.ReadDir(filepath.Join(recorded, "article"))
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range articles {
		pages = append(pages, scrapertest.Page{
			File:   filepath.Join(recorded, "article", a.Name()),
			URL:    ArticleBase + a.Name(),
			Golden: filepath.Join(goldenDir, a.Name()+".json"),
		})
	}
	return pages
}

// TestGolden parses every recorded page and compares the result with its
// reviewed golden JSON, one parallel subtest per page.
func TestGolden(t *testing.T) {
	pages := recordedPages(t)
	if len(pages) < 8 {
		t.Fatalf("only %d recorded pages under %s; want both listings and at least 6 articles", len(pages), recorded)
	}
	scrapertest.Golden(t, Source{}, pages)
}
