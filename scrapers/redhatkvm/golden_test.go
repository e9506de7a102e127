package redhatkvm

import (
	"testing"

	"github.com/patchwatch/patchwatch/scrapers/scrapertest"
)

const (
	recorded  = "../../fixtures/security.access.redhat.com/data/csaf/v2/advisories"
	goldenDir = "../../fixtures/redhat-kvm/golden"
)

// TestGolden parses every recorded page and compares the result with its
// reviewed golden JSON, one parallel subtest per page.
func TestGolden(t *testing.T) {
	pages := scrapertest.Walk(t, recorded, func(rel string) string { return Base + rel }, goldenDir)
	if len(pages) < 8 {
		t.Fatalf("only %d recorded pages under %s; want the index and at least 7 advisories", len(pages), recorded)
	}
	scrapertest.Golden(t, Source{}, pages)
}
