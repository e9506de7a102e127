package redhatkvm

import (
	"strings"
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
	var pages []scrapertest.Page
	for _, p := range scrapertest.Walk(t, recorded, func(rel string) string { return Base + rel }, goldenDir) {
		// The archive is streamed by the harvest, not parsed as a page
		// (archive_test.go reads it).
		if !strings.HasSuffix(p.File, ".tar.zst") {
			pages = append(pages, p)
		}
	}
	if len(pages) < 8 {
		t.Fatalf("only %d recorded pages under %s; want the index and at least 7 advisories", len(pages), recorded)
	}
	scrapertest.Golden(t, Source{}, pages)
}
