package corpus

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/patchwatch/patchwatch/scrapers"
	_ "github.com/patchwatch/patchwatch/scrapers/redhatkvm"
	"github.com/patchwatch/patchwatch/scrapers/xen"
)

// Every generated page must parse as its real counterpart does, with the
// identity it was given, or the benchmarks would measure error paths.
func TestGeneratedPagesParse(t *testing.T) {
	dir := t.TempDir()
	st, err := Generate("../../fixtures", dir, 300)
	if err != nil {
		t.Fatal(err)
	}
	if st.Pages != 307 {
		t.Fatalf("wrote %d pages, want 300 detail pages, 3 indexes and Red Hat's archive, pointer and 2 change lists", st.Pages)
	}
	feed, err := os.ReadFile(filepath.Join(dir, "xenbits.xen.org", "xsa", "xsa.json"))
	if err != nil {
		t.Fatal(err)
	}
	idx, err := scrapers.ParseFile(xen.Source{}, xen.Base+"xsa.json", feed)
	if err != nil {
		t.Fatal(err)
	}
	if len(idx.Advisories) != 60 || len(idx.Follow) != 60 {
		t.Fatalf("feed lists %d advisories and %d links", len(idx.Advisories), len(idx.Follow))
	}
	for i, a := range idx.Advisories {
		name := strings.TrimPrefix(idx.Follow[i], xen.Base)
		body, err := os.ReadFile(filepath.Join(dir, "xenbits.xen.org", "xsa", name))
		if err != nil {
			t.Fatal(err)
		}
		p, err := scrapers.ParseFile(xen.Source{}, idx.Follow[i], body)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got := p.Advisories[0]
		if got.ID != a.ID || got.Title != a.Title || strings.Join(got.CVEs, ",") != strings.Join(a.CVEs, ",") {
			t.Errorf("%s: text says %s %q %v, feed says %s %q %v", name, got.ID, got.Title, got.CVEs, a.ID, a.Title, a.CVEs)
		}
	}
}

func TestGeneratedCSAFParse(t *testing.T) {
	dir := t.TempDir()
	if _, err := Generate("../../fixtures", dir, 50); err != nil {
		t.Fatal(err)
	}
	src, err := scrapers.Lookup("redhat-kvm")
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(dir, filepath.FromSlash(csafRoot))
	index, err := os.ReadFile(filepath.Join(root, "index.txt"))
	if err != nil {
		t.Fatal(err)
	}
	idx, err := scrapers.ParseFile(src, "https://"+csafRoot+"/index.txt", index)
	if err != nil {
		t.Fatal(err)
	}
	if len(idx.Follow) != 40 {
		t.Fatalf("index lists %d documents, want 40", len(idx.Follow))
	}
	changes, err := os.ReadFile(filepath.Join(root, "changes.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if c, err := scrapers.ParseFile(src, "https://"+csafRoot+"/changes.csv", changes); err != nil || len(c.Follow) != 40 {
		t.Fatalf("changes.csv lists %d documents (%v), want 40", len(c.Follow), err)
	}
	records := 0
	for _, u := range idx.Follow {
		body, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(strings.TrimPrefix(u, "https://"))))
		if err != nil {
			t.Fatal(err)
		}
		p, err := scrapers.ParseFile(src, u, body)
		if err != nil {
			t.Fatalf("%s: %v", u, err)
		}
		records += len(p.Advisories)
	}
	if records < 30 {
		t.Errorf("only %d of 40 generated documents yielded an advisory", records)
	}
}
