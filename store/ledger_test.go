package store

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestLedgerReads writes two runs through the store's ledger calls and
// reads them back through the read-only queries `patchwatch runs` uses.
func TestLedgerReads(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "l.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	s.Now = func() time.Time { return at }
	first, err := s.StartRun(ctx, []string{"xen"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.FinishRun(ctx, first, "ok", RunStats{Pages: 3}); err != nil {
		t.Fatal(err)
	}
	second, err := s.StartRun(ctx, []string{"xen", "vmware"})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"https://b.example/2", "https://a.example/1"} {
		if err := s.RecordError(ctx, second, "vmware", u, "HTTP 500"); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.FinishSource(ctx, second, SourceRun{Source: "vmware", StartedAt: at, FinishedAt: at, Status: "partial", Requests: 4, HTTP5xx: 2, New: 2, Failed: 2}); err != nil {
		t.Fatal(err)
	}
	if err := s.FinishRun(ctx, second, "partial", RunStats{Pages: 2, Failed: 2}); err != nil {
		t.Fatal(err)
	}
	s.Close()

	db, err := OpenReadOnly(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	runs, err := ListRuns(ctx, db, 10)
	if err != nil {
		t.Fatal(err)
	}
	stamp := "2024-05-06T07:08:09Z"
	want := []RunSummary{
		{ID: second, StartedAt: stamp, FinishedAt: stamp, Status: "partial", Sources: "xen,vmware", Pages: 2, Failed: 2, Errors: 2},
		{ID: first, StartedAt: stamp, FinishedAt: stamp, Status: "ok", Sources: "xen", Pages: 3},
	}
	if diff := cmp.Diff(want, runs); diff != "" {
		t.Errorf("ListRuns (-want +got):\n%s", diff)
	}
	if runs, _ := ListRuns(ctx, db, 1); len(runs) != 1 || runs[0].ID != second {
		t.Errorf("ListRuns limit 1 = %+v; want only the newest", runs)
	}
	lines, err := ReadRunSources(ctx, db, second)
	if err != nil {
		t.Fatal(err)
	}
	wantLines := []RunSourceLine{{Source: "vmware", StartedAt: stamp, FinishedAt: stamp, Status: "partial", Requests: 4, HTTP5xx: 2, New: 2, Failed: 2}}
	if diff := cmp.Diff(wantLines, lines); diff != "" {
		t.Errorf("ReadRunSources (-want +got):\n%s", diff)
	}
	errs, err := ReadRunErrors(ctx, db, second)
	if err != nil {
		t.Fatal(err)
	}
	wantErrs := []RunError{{"vmware", "https://b.example/2", "HTTP 500"}, {"vmware", "https://a.example/1", "HTTP 500"}}
	if diff := cmp.Diff(wantErrs, errs); diff != "" {
		t.Errorf("ReadRunErrors, in recorded order (-want +got):\n%s", diff)
	}
}
