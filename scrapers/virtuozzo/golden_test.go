package virtuozzo

import (
	"encoding/json"
	"flag"
	"io/fs"
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
	recorded  = "../../fixtures/docs.virtuozzo.com/vza"
	goldenDir = "../../fixtures/virtuozzo/golden"
)

// recordedPages maps each recorded file to the URL it was fetched from.
func recordedPages(t *testing.T) map[string]string {
	t.Helper()
	pages := map[string]string{}
	err := filepath.WalkDir(recorded, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(recorded, p)
		if err != nil {
			return err
		}
		if rel == "index.html" {
			pages[p] = Base
			return nil
		}
		pages[p] = Base + filepath.ToSlash(rel)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return pages
}

// TestGolden parses every recorded page and compares the result with its
// reviewed golden JSON, one parallel subtest per page.
func TestGolden(t *testing.T) {
	pages := recordedPages(t)
	if len(pages) < 8 {
		t.Fatalf("only %d recorded pages under %s; want the index and at least 7 advisories", len(pages), recorded)
	}
	for file, pageURL := range pages {
		name := filepath.Base(file)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			body, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			got, err := scrapers.ParseFile(Source{}, pageURL, body)
			if err != nil {
				t.Fatalf("parse %s: %v", name, err)
			}
			golden := filepath.Join(goldenDir, strings.TrimSuffix(name, filepath.Ext(name))+".json")
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
				t.Errorf("%s (-want +got):\n%s", name, diff)
			}
		})
	}
}
