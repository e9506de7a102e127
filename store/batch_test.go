package store

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/patchwatch/patchwatch/normalize"
)

// In a batch each page is still all or nothing: a failing page rolls the
// batch back and the pages before it are committed again on their own.
// Pages of the open batch are invisible to other connections before the
// commit, and the store's own reads see them.
func TestBatchedPagesStayAtomic(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "pw.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.DB().Exec(`CREATE TRIGGER fail_bad BEFORE INSERT ON fixes WHEN new.id = 'XSA-2/1'
		BEGIN SELECT RAISE(ABORT, 'refused by test trigger'); END`); err != nil {
		t.Fatal(err)
	}
	s.CommitEvery = 3
	page := func(n string) (Document, normalize.Result) {
		doc := Document{URL: "https://xenbits.xen.org/xsa/advisory-" + n + ".txt", Source: "xen", Status: 200, Body: []byte("text " + n)}
		res := normalize.Result{
			Advisories: []normalize.Advisory{{ID: "XSA-" + n, Vendor: "xen", Status: normalize.StatusPublished, Title: "t" + n}},
			Fixes: []normalize.Fix{{ID: "XSA-" + n + "/1", AdvisoryID: "XSA-" + n, Vendor: "xen", Category: normalize.VMM,
				Rule: "xen-hypervisor", Evidence: "e"}},
		}
		return doc, res
	}
	for _, n := range []string{"1", "2", "3"} {
		doc, res := page(n)
		err := s.SavePage(ctx, doc, res)
		if n == "2" {
			if err == nil || !strings.Contains(err.Error(), "refused by test trigger") {
				t.Fatalf("page 2: err = %v, want the trigger's refusal", err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("page %s: %v", n, err)
		}
	}
	// Page 3 is in the open batch: the store sees it, others do not.
	st, err := s.PageState(ctx, "https://xenbits.xen.org/xsa/advisory-3.txt")
	if err != nil || !st.Known {
		t.Errorf("PageState inside the batch = %+v, %v; want known", st, err)
	}
	// Page 1, committed, is read outside the batch (by the reader connection).
	if st, err := s.PageState(ctx, "https://xenbits.xen.org/xsa/advisory-1.txt"); err != nil || !st.Known {
		t.Errorf("PageState of a committed page during a batch = %+v, %v; want known", st, err)
	}
	if st, err := s.PageState(ctx, "https://xenbits.xen.org/xsa/advisory-2.txt"); err != nil || st.Known {
		t.Errorf("PageState of the refused page = %+v, %v; want unknown", st, err)
	}
	if n, err := s.RecordsFrom(ctx, "https://xenbits.xen.org/xsa/advisory-3.txt"); err != nil || n != 2 {
		t.Errorf("RecordsFrom inside the batch = %d, %v; want 2", n, err)
	}
	ro, err := OpenReadOnly(path)
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	before := [][]any{{"https://xenbits.xen.org/xsa/advisory-1.txt"}}
	if diff := cmp.Diff(before, query(t, ro, `SELECT url FROM documents ORDER BY url`)); diff != "" {
		t.Errorf("documents another connection sees before the commit (-want +got): page 1 committed when page 2 failed, page 3 still open\n%s", diff)
	}
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	got := query(t, ro, `SELECT url FROM documents ORDER BY url`)
	want := [][]any{{"https://xenbits.xen.org/xsa/advisory-1.txt"}, {"https://xenbits.xen.org/xsa/advisory-3.txt"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("committed documents (-want +got): page 2 must be absent whole\n%s", diff)
	}
	if diff := cmp.Diff([][]any{{"XSA-1"}, {"XSA-3"}}, query(t, ro, `SELECT id FROM advisories ORDER BY id`)); diff != "" {
		t.Errorf("committed advisories (-want +got):\n%s", diff)
	}
}
