package store

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/patchwatch/patchwatch/normalize"
)

// searchRows returns (kind, ref) of every search_text row matching q, and
// the number of rows in the index and its key table.
func searchRows(t *testing.T, s *Store, q string) ([][]any, [][]any) {
	t.Helper()
	hits := query(t, s.DB(), `SELECT kind, ref FROM search_text WHERE search_text MATCH ? ORDER BY kind, ref`, q)
	sizes := query(t, s.DB(), `SELECT (SELECT count(*) FROM search_text), (SELECT count(*) FROM search_keys)`)
	return hits, sizes
}

// TestSearchIndexFollowsSaves checks that the store keeps the full-text
// index in step with its writes: inserts, merging upserts (the same
// advisory from two pages), re-parsed fixes that change, and fixes a page
// no longer yields.
func TestSearchIndexFollowsSaves(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	fix := func(id, summary string) normalize.Fix {
		return normalize.Fix{ID: id, AdvisoryID: "XSA-1", Vendor: "xen", Product: "Xen", Component: "pygrub",
			Category: normalize.ConsoleOS, Summary: summary, Rule: "r", Evidence: "e"}
	}
	adv := normalize.Advisory{ID: "XSA-1", Vendor: "xen", Status: normalize.StatusPublished, Title: "bootloader escape",
		Sections: []normalize.Section{{Title: "IMPACT", Text: "A guest can read dom0 files."}}}
	page := Document{URL: "https://example.test/xsa-1", Body: []byte("v1")}

	steps := []struct {
		name     string
		doc      Document
		res      normalize.Result
		query    string
		wantHits [][]any
		wantSize [][]any
	}{{
		name:     "first save indexes advisory sections and fixes",
		doc:      page,
		res:      normalize.Result{Advisories: []normalize.Advisory{adv}, Fixes: []normalize.Fix{fix("XSA-1/1", "delimiter injection"), fix("XSA-1/2", "kernel leak")}},
		query:    "dom0",
		wantHits: [][]any{{"advisory", "XSA-1"}},
		wantSize: [][]any{{3, 3}},
	}, {
		name: "a merge from another page keeps the sections and adds the title",
		doc:  Document{URL: "https://example.test/index", Body: []byte("idx")},
		res: normalize.Result{Advisories: []normalize.Advisory{{ID: "XSA-1", Vendor: "xen", Status: normalize.StatusPublished,
			Title: "pygrub bootloader escape", Published: "2016-11-22"}}},
		query:    "pygrub AND dom0",
		wantHits: [][]any{{"advisory", "XSA-1"}},
		wantSize: [][]any{{3, 3}},
	}, {
		name:     "a re-parsed fix replaces its text",
		doc:      Document{URL: page.URL, Body: []byte("v2")},
		res:      normalize.Result{Fixes: []normalize.Fix{fix("XSA-1/1", "quoting injection"), fix("XSA-1/2", "kernel leak")}},
		query:    "delimiter OR quoting",
		wantHits: [][]any{{"fix", "XSA-1/1"}},
		wantSize: [][]any{{3, 3}},
	}, {
		name:     "a fix the page no longer yields leaves the index",
		doc:      Document{URL: page.URL, Body: []byte("v3")},
		res:      normalize.Result{Fixes: []normalize.Fix{fix("XSA-1/1", "quoting injection")}},
		query:    "kernel",
		wantHits: nil,
		wantSize: [][]any{{2, 2}},
	}}
	for _, st := range steps {
		if err := s.SavePage(ctx, st.doc, st.res); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		hits, size := searchRows(t, s, st.query)
		if diff := cmp.Diff(st.wantHits, hits); diff != "" {
			t.Errorf("%s: MATCH %q (-want +got):\n%s", st.name, st.query, diff)
		}
		if diff := cmp.Diff(st.wantSize, size); diff != "" {
			t.Errorf("%s: index rows, key rows (-want +got):\n%s", st.name, diff)
		}
	}
}

// TestAnalystMigrationRebuildsIndex applies migration 0004 to a database
// that already holds records (as an upgraded installation would) and
// checks the rebuild indexed them.
func TestAnalystMigrationRebuildsIndex(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	res := normalize.Result{
		Advisories: []normalize.Advisory{{ID: "XSA-2", Vendor: "xen", Status: normalize.StatusPublished, Title: "grant table corruption"}},
		Fixes: []normalize.Fix{{ID: "XSA-2/1", AdvisoryID: "XSA-2", Vendor: "xen", Component: "hypervisor",
			Category: normalize.VMM, Summary: "grant status pages freed", Rule: "r", Evidence: "e"}},
	}
	if err := s.SavePage(ctx, Document{URL: "https://example.test/xsa-2", Body: []byte("x")}, res); err != nil {
		t.Fatal(err)
	}
	// Undo 0004 (its triggers are gone since 0011) and its record, then
	// migrate again.
	for _, q := range []string{
		`DROP TABLE search_text`, `DROP TABLE search_keys`,
		`DROP VIEW v_advisories`, `DROP VIEW v_patches`, `DROP VIEW v_fixes`,
		`DELETE FROM migrations WHERE version = 4`,
	} {
		if _, err := s.DB().ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := s.migrate(ctx); err != nil {
		t.Fatal(err)
	}
	hits, _ := searchRows(t, s, "grant")
	if diff := cmp.Diff([][]any{{"advisory", "XSA-2"}, {"fix", "XSA-2/1"}}, hits); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// Counting one vendor's fixes of a year by category, the analysts' core
// question, must be answered from one index, without visiting fix or
// advisory rows (migration 0012).
func TestFixCountByCategoryReadsOneIndex(t *testing.T) {
	s, _ := openTest(t)
	plan := query(t, s.DB(), `EXPLAIN QUERY PLAN
		SELECT count(*), category FROM v_fixes
		WHERE vendor = 'xen' AND released >= '2015-01-01' AND released < '2016-01-01' GROUP BY category`)
	var steps []string
	for _, row := range plan {
		steps = append(steps, row[len(row)-1].(string))
	}
	want := "SEARCH f USING COVERING INDEX fixes_vendor_released_category (vendor=? AND released>? AND released<?)"
	if !slices.Contains(steps, want) || slices.ContainsFunc(steps, func(s string) bool { return strings.Contains(s, "advisories") }) {
		t.Errorf("plan %q: want %q and no advisory lookups", steps, want)
	}
}

// The harvest reads every URL's latest fetch before requesting it; the read
// must go through an index on url, not a scan of the stored pages
// (migration 0014 dropped the index made for it).
func TestPageStateReadUsesURLIndex(t *testing.T) {
	s, _ := openTest(t)
	plan := query(t, s.DB(), "EXPLAIN QUERY PLAN "+sqlPageState, "https://xenbits.xen.org/xsa/advisory-1.txt")
	var steps []string
	for _, row := range plan {
		steps = append(steps, row[len(row)-1].(string))
	}
	if !slices.ContainsFunc(steps, func(s string) bool {
		return strings.HasPrefix(s, "SEARCH documents USING INDEX") && strings.Contains(s, "(url=?)")
	}) {
		t.Errorf("plan %q: want a search of documents by url", steps)
	}
}
