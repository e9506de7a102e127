package citrix

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/patchwatch/patchwatch/scrapers"
)

var update = flag.Bool("update", false, "rewrite the golden files from the parser's output")

const (
	recorded  = "../../fixtures/support.citrix.com"
	goldenDir = "../../fixtures/citrix/golden"
)

// bulletinListFile is where the bulletin listing is recorded: its URL's
// query string stays in the file name, as in the replay layout.
var bulletinListFile = "support-home/" + strings.TrimPrefix(BulletinIndex, "https://support.citrix.com/support-home/")

// recordedPages maps each recorded file (relative to recorded) to its URL
// and its golden file name.
func recordedPages(t *testing.T) map[string][2]string {
	t.Helper()
	pages := map[string][2]string{
		bulletinListFile: {BulletinIndex, "security-bulletin-list.json"},
	}
	articles, err := os.ReadDir(filepath.Join(recorded, "article"))
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range articles {
		pages["article/"+a.Name()] = [2]string{ArticleBase + a.Name(), a.Name() + ".json"}
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
	for file, p := range pages {
		pageURL, goldenName := p[0], p[1]
		t.Run(goldenName, func(t *testing.T) {
			t.Parallel()
			body, err := os.ReadFile(filepath.Join(recorded, filepath.FromSlash(file)))
			if err != nil {
				t.Fatal(err)
			}
			got, err := scrapers.ParseFile(Source{}, pageURL, body)
			if err != nil {
				t.Fatalf("parse %s: %v", file, err)
			}
			golden := filepath.Join(goldenDir, goldenName)
			if *update {
				out, err := json.MarshalIndent(got, "", "  ")
				if err != nil {
					t.Fatal(err)
				}
				if err := os.MkdirAll(goldenDir, 0o755); err != nil {
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
				t.Errorf("%s (-want +got):\n%s", file, diff)
			}
		})
	}
}
