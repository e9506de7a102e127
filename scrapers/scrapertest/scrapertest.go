// Package scrapertest holds what the vendor packages' golden tests share,
// so that each vendor's golden_test.go only lists its recorded pages: the
// one -update flag that `make golden` passes, and the loop that parses each
// recorded page and compares the result with its reviewed golden JSON.
//
// It is imported only by tests, so the -update flag is registered only in
// test binaries. Every package under scrapers/ that has tests must import it
// (a blank import will do) or `go test ./scrapers/... -update` fails there
// with "flag provided but not defined".
package scrapertest

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

// Page is one recorded page of a golden test: the recorded file's path,
// the canonical URL it was fetched from, and the path of its golden JSON.
type Page struct {
	File, URL, Golden string
}

// Golden parses every page with src and compares the result with the
// page's reviewed golden JSON, one parallel subtest per page named after
// the golden file (without .json). With -update it rewrites the golden
// files from the parser's output instead, creating their directory if
// needed.
func Golden(t *testing.T, src scrapers.Source, pages []Page) {
	t.Helper()
	for _, p := range pages {
		t.Run(strings.TrimSuffix(filepath.Base(p.Golden), ".json"), func(t *testing.T) {
			t.Parallel()
			body, err := os.ReadFile(p.File)
			if err != nil {
				t.Fatal(err)
			}
			got, err := scrapers.ParseFile(src, p.URL, body)
			if err != nil {
				t.Fatalf("parse %s: %v", p.URL, err)
			}
			if *update {
				out, err := json.MarshalIndent(got, "", "  ")
				if err != nil {
					t.Fatal(err)
				}
				if err := os.MkdirAll(filepath.Dir(p.Golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p.Golden, append(out, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			raw, err := os.ReadFile(p.Golden)
			if err != nil {
				t.Fatalf("no golden file (run make golden and review it): %v", err)
			}
			var want scrapers.Parsed
			if err := json.Unmarshal(raw, &want); err != nil {
				t.Fatalf("%s: %v", p.Golden, err)
			}
			if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("%s (-want +got):\n%s", p.URL, diff)
			}
		})
	}
}

// Walk lists every file below dir (recursively, in lexical order) as a
// Page: its URL is urlFor of its slash-separated path relative to dir, and
// its golden file is goldenDir/<base name without extension>.json.
func Walk(t *testing.T, dir string, urlFor func(rel string) string, goldenDir string) []Page {
	t.Helper()
	var pages []Page
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		name := d.Name()
		pages = append(pages, Page{
			File:   path,
			URL:    urlFor(filepath.ToSlash(rel)),
			Golden: filepath.Join(goldenDir, strings.TrimSuffix(name, filepath.Ext(name))+".json"),
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return pages
}

// RealDocs returns the "docs" list of dir's expected.json: the facts a
// careful reader took from the real documents ../shared/real/<vendor>
// holds beside the repository, one entry of type T per document. It skips
// the test only when ../shared (dir's grandparent) is absent; a missing
// dir, a broken expected.json or an empty list fails it.
func RealDocs[T any](t *testing.T, dir string) []T {
	t.Helper()
	if _, err := os.Stat(filepath.Dir(filepath.Dir(dir))); err != nil {
		t.Skipf("../shared is not beside the repository: %v", err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var exp struct {
		Docs []T `json:"docs"`
	}
	if err := json.Unmarshal(raw, &exp); err != nil {
		t.Fatalf("expected.json: %v", err)
	}
	if len(exp.Docs) == 0 {
		t.Fatal("expected.json lists no documents")
	}
	return exp.Docs
}
