package virtuozzo

import (
	"testing"

	"github.com/patchwatch/patchwatch/scrapers/scrapertest"
)

const (
	recorded  = "../../fixtures/docs.virtuozzo.com/vza"
	goldenDir = "../../fixtures/virtuozzo/golden"
)

// pageURL is the canonical URL of a recorded file, given its path
// relative to recorded.
func pageURL(rel string) string {
	if rel == "index.html" {
		return Base
	}
	return Base + rel
}

// TestGolden parses every recorded page and compares the result with its
// reviewed golden JSON, one parallel subtest per page.
func TestGolden(t *testing.T) {
	pages := scrapertest.Walk(t, recorded, pageURL, goldenDir)
	if len(pages) < 8 {
		t.Fatalf("only %d recorded pages under %s; want the index and at least 7 advisories", len(pages), recorded)
	}
	scrapertest.Golden(t, Source{}, pages)
}
