package store

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/patchwatch/patchwatch/normalize"
)

const (
	kbURL   = "https://kb.vmware.com/kb/1002424"
	mailURL = "http://lists.vmware.com/pipermail/security-announce/2007/000001.html"
)

// capture is a KB page read from the archive at ts.
func capture(url string, ts time.Time, body string) Document {
	return Document{URL: url, Source: "vmware", Status: 200, ContentType: "text/html", Body: []byte(body),
		CapturedAt: ts, ArchiveURL: "https://web.archive.org/web/" + ts.Format("20060102150405") + "id_/" + url,
		ArchiveDigest: "D" + ts.Format("20060102150405")}
}

// kbResult is what a KB page yields: one patch and one fix.
func kbResult(classification, summary string, packages []string) normalize.Result {
	return normalize.Result{
		Patches: []normalize.Patch{{ID: "ESX-1002424", Vendor: "vmware", Product: "ESX", Version: "3.0.2",
			Released: "2007-11-15", Classification: classification, Packages: packages}},
		Fixes: []normalize.Fix{{ID: "ESX-1002424/1", PatchIDs: []string{"ESX-1002424"}, Vendor: "vmware", Product: "ESX",
			Component: "vmkernel", Category: normalize.VMM, Summary: summary, Rule: "vmware-vmkernel", Evidence: "VMware-esx-vmkernel"}},
	}
}

func patchAndFix(t *testing.T, s *Store) [][]any {
	t.Helper()
	return query(t, s.DB(), `SELECT p.classification, p.packages, p.document_url, f.summary
		FROM patches p JOIN fixes f ON f.vendor = p.vendor WHERE p.id = 'ESX-1002424'`)
}

// TestCaptureMergeRules: records from the live site and from captures
// merge by age. A later capture overwrites an older one; an older capture
// never overwrites what a later one or a live fetch stored, though it fills
// a field they left empty; a live page, the latest of all, wins.
func TestCaptureMergeRules(t *testing.T) {
	ctx := context.Background()
	nov30 := time.Date(2007, 11, 30, 18, 12, 7, 0, time.UTC)
	dec10 := time.Date(2007, 12, 10, 9, 0, 0, 0, time.UTC)

	t.Run("later capture overwrites older", func(t *testing.T) {
		s, _ := openTest(t)
		if err := s.SavePage(ctx, capture(kbURL, nov30, "a"), kbResult("General", "old summary", nil)); err != nil {
			t.Fatal(err)
		}
		if err := s.SavePage(ctx, capture(kbURL, dec10, "b"), kbResult("Critical", "new summary", nil)); err != nil {
			t.Fatal(err)
		}
		want := [][]any{{"Critical", "[]", kbURL, "new summary"}}
		if diff := cmp.Diff(want, patchAndFix(t, s)); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})

	t.Run("older capture never overwrites a later one", func(t *testing.T) {
		s, _ := openTest(t)
		if err := s.SavePage(ctx, capture(kbURL, dec10, "b"), kbResult("Critical", "new summary", nil)); err != nil {
			t.Fatal(err)
		}
		// Read later (a second run, a wider --from) but captured earlier.
		if err := s.SavePage(ctx, capture(kbURL, nov30, "a"), kbResult("General", "old summary", []string{"VMware-esx-vmkernel"})); err != nil {
			t.Fatal(err)
		}
		// The packages the later copy lacked are filled; nothing it had changes.
		want := [][]any{{"Critical", `["VMware-esx-vmkernel"]`, kbURL, "new summary"}}
		if diff := cmp.Diff(want, patchAndFix(t, s)); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})

	t.Run("older capture of another page never overwrites", func(t *testing.T) {
		s, _ := openTest(t)
		mail := capture(mailURL, dec10, "mail")
		fromMail := normalize.Result{Patches: []normalize.Patch{{ID: "ESX-1002424", Vendor: "vmware", Product: "ESX", Version: "3.0.2", Classification: "Security"}}}
		if err := s.SavePage(ctx, mail, fromMail); err != nil {
			t.Fatal(err)
		}
		if err := s.SavePage(ctx, capture(kbURL, nov30, "a"), kbResult("Critical", "summary", nil)); err != nil {
			t.Fatal(err)
		}
		want := [][]any{{"Security", "2007-11-15", mailURL}}
		if diff := cmp.Diff(want, query(t, s.DB(), `SELECT classification, released, document_url FROM patches`)); diff != "" {
			t.Errorf("the mail's classification stays, the KB's date fills in (-want +got):\n%s", diff)
		}
	})

	t.Run("live page wins over capture, capture after live changes nothing", func(t *testing.T) {
		s, _ := openTest(t)
		if err := s.SavePage(ctx, capture(kbURL, dec10, "b"), kbResult("General", "captured summary", nil)); err != nil {
			t.Fatal(err)
		}
		live := Document{URL: kbURL, Source: "vmware", FetchedAt: t0, Status: 200, ContentType: "text/html", Body: []byte("live")}
		if err := s.SavePage(ctx, live, kbResult("Critical", "live summary", nil)); err != nil {
			t.Fatal(err)
		}
		want := [][]any{{"Critical", "[]", kbURL, "live summary"}}
		if diff := cmp.Diff(want, patchAndFix(t, s)); diff != "" {
			t.Errorf("after the live page (-want +got):\n%s", diff)
		}
		if err := s.SavePage(ctx, capture(kbURL, nov30, "a"), normalize.Result{}); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, patchAndFix(t, s)); diff != "" {
			t.Errorf("an older capture yielding no fix dropped the live one (-want +got):\n%s", diff)
		}
	})
}

// TestCaptureProvenance: a capture is a document of its original URL
// dated by its capture time, with its archive address; the same body seen
// live keeps the earliest capture as provenance.
func TestCaptureProvenance(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	nov30 := time.Date(2007, 11, 30, 18, 12, 7, 0, time.UTC)
	c := capture(kbURL, nov30, "same body")
	if err := s.SavePage(ctx, c, kbResult("Critical", "s", nil)); err != nil {
		t.Fatal(err)
	}
	live := Document{URL: kbURL, Source: "vmware", FetchedAt: t0, Status: 200, ContentType: "text/html", Body: []byte("same body")}
	if err := s.SavePage(ctx, live, kbResult("Critical", "s", nil)); err != nil {
		t.Fatal(err)
	}
	want := [][]any{{kbURL, "2007-11-30T18:12:07Z", "2024-03-01T12:00:00Z", "2007-11-30T18:12:07Z", c.ArchiveURL}}
	if diff := cmp.Diff(want, query(t, s.DB(), `SELECT url, first_fetched_at, last_fetched_at, captured_at, archive_url FROM documents`)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	held, _, err := s.HaveCapture(ctx, kbURL, c.ArchiveDigest)
	if err != nil || !held {
		t.Errorf("HaveCapture = %v, %v; want the stored capture held", held, err)
	}
	if held, _, err := s.HaveCapture(ctx, kbURL, "OTHERDIGEST"); err != nil || held {
		t.Errorf("HaveCapture of another digest = %v, %v; want not held", held, err)
	}
}

// TestListingProgress: the ledger of a CDX listing round-trips, and an
// unknown listing has not started.
func TestListingProgress(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	const q = "https://web.archive.org/cdx/search/cdx?url=x"
	if l, err := s.ListingProgress(ctx, q); err != nil || l != (Listing{}) {
		t.Fatalf("unknown listing: %+v, %v", l, err)
	}
	for _, want := range []Listing{{ResumeKey: "k1", Captures: 500}, {Captures: 620, Complete: true}} {
		if err := s.SaveListingProgress(ctx, q, want); err != nil {
			t.Fatal(err)
		}
		got, err := s.ListingProgress(ctx, q)
		if err != nil || got != want {
			t.Errorf("got %+v (%v), want %+v", got, err, want)
		}
	}
}

// TestReparsedCaptureNeverOverwritesNewer: re-parsing a stored capture
// (after a parser fix) follows the capture's merge rules too.
func TestReparsedCaptureNeverOverwritesNewer(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	old := capture(kbURL, time.Date(2007, 11, 30, 18, 12, 7, 0, time.UTC), "a")
	if err := s.SaveDocument(ctx, old); err != nil {
		t.Fatal(err)
	}
	live := Document{URL: kbURL, Source: "vmware", FetchedAt: t0, Status: 200, ContentType: "text/html", Body: []byte("live")}
	if err := s.SavePage(ctx, live, kbResult("Critical", "live summary", nil)); err != nil {
		t.Fatal(err)
	}
	ids := query(t, s.DB(), `SELECT id FROM documents WHERE captured_at IS NOT NULL`)
	doc, err := s.Document(ctx, int64(ids[0][0].(int)))
	if err != nil {
		t.Fatal(err)
	}
	if !doc.CapturedAt.Equal(old.CapturedAt) || doc.ArchiveURL != old.ArchiveURL {
		t.Fatalf("loaded capture %v %q, want %v %q", doc.CapturedAt, doc.ArchiveURL, old.CapturedAt, old.ArchiveURL)
	}
	if err := s.SaveReparsed(ctx, doc, kbResult("General", "old summary", []string{"VMware-esx-vmkernel"})); err != nil {
		t.Fatal(err)
	}
	want := [][]any{{"Critical", `["VMware-esx-vmkernel"]`, kbURL, "live summary"}}
	if diff := cmp.Diff(want, patchAndFix(t, s)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestReparsedLiveCopyOfCapturedBody: a body first read from the archive
// and then fetched live is one stored document carrying both times. Its
// re-parse is as new as the live fetch, so a parser fix reaches its records
// instead of being taken for an old capture's and only filling gaps.
func TestReparsedLiveCopyOfCapturedBody(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	c := capture(kbURL, time.Date(2007, 11, 30, 18, 12, 7, 0, time.UTC), "same body")
	if err := s.SavePage(ctx, c, kbResult("General", "old summary", nil)); err != nil {
		t.Fatal(err)
	}
	live := Document{URL: kbURL, Source: "vmware", FetchedAt: t0, Status: 200, ContentType: "text/html", Body: []byte("same body")}
	if err := s.SavePage(ctx, live, kbResult("General", "old summary", nil)); err != nil {
		t.Fatal(err)
	}
	ids, err := s.LatestDocumentIDs(ctx, "vmware")
	if err != nil || len(ids) != 1 {
		t.Fatalf("LatestDocumentIDs = %v, %v; want one document", ids, err)
	}
	doc, err := s.Document(ctx, ids[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SaveReparsed(ctx, doc, kbResult("Critical", "fixed summary", nil)); err != nil {
		t.Fatal(err)
	}
	want := [][]any{{"Critical", "[]", kbURL, "fixed summary"}}
	if diff := cmp.Diff(want, patchAndFix(t, s)); diff != "" {
		t.Errorf("the re-parse of the live copy did not replace its records (-want +got):\n%s", diff)
	}
}

// TestUnparsedCaptureOfParsedBody: a capture judged unusable (HTML without
// </html> reads as truncated) whose bytes are those of a copy that parsed
// says nothing new about them: the stored copy keeps its links and stays
// parsed, and the capture's reason is kept with the capture.
func TestUnparsedCaptureOfParsedBody(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	live := Document{URL: kbURL, Source: "vmware", FetchedAt: t0, Status: 200, ContentType: "text/html",
		Body: []byte("<html>no closing tag"), Links: []string{"https://kb.vmware.com/kb/1"}}
	if err := s.SavePage(ctx, live, kbResult("Critical", "live summary", nil)); err != nil {
		t.Fatal(err)
	}
	c := capture(kbURL, time.Date(2007, 11, 30, 18, 12, 7, 0, time.UTC), "<html>no closing tag")
	c.ParseError = "capture is truncated: the HTML ends before </html>"
	if err := s.SaveDocument(ctx, c); err != nil {
		t.Fatal(err)
	}
	st, err := s.PageState(ctx, kbURL)
	if err != nil {
		t.Fatal(err)
	}
	if st.ParseError != "" || len(st.Links) != 1 {
		t.Errorf("page state after the unparsed capture: parse error %q, links %v; want the parsed copy's", st.ParseError, st.Links)
	}
	want := [][]any{{c.ParseError}}
	if diff := cmp.Diff(want, query(t, s.DB(), `SELECT parse_error FROM archive_captures`)); diff != "" {
		t.Errorf("the capture's own reason (-want +got):\n%s", diff)
	}
}
