package export

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/patchwatch/patchwatch/internal/schematest"
)

// edgeAdvisories are shapes the demo data may not hold: no CVE, a CVE the
// vendor misspelt, no date but a first fetch, a withdrawn advisory, a fix
// without product or versions, a product both fixed and not affected, text
// with invalid UTF-8, an ID with characters a file system dislikes.
var edgeAdvisories = []Advisory{
	{ID: "NOCVE-1", Vendor: "v", Status: "published", Title: "", Published: "2020-01-01", FirstSeen: "2024-01-02T03:04:05Z",
		Fixes: []Fix{{ID: "NOCVE-1/1", Category: "vmm", Rule: "r", AffectedVersions: nil}}},
	{ID: "ODD:2", Vendor: "v", Status: "withdrawn", Title: "odd \xff title", FirstSeen: "2024-01-02T03:04:05Z", Version: 4,
		CVEs: []string{"CVE-2020-1234", "CVE 2020 99"}, URL: "https://example.test/odd",
		Fixes: []Fix{
			{ID: "ODD:2/1", Product: "Box", Category: "console-os", CVEs: []string{"CVE-2020-1234"}, PatchIDs: []string{"P-1"},
				Patches: []Patch{{ID: "P-1", URL: "https://example.test/p1"}}, AffectedVersions: []string{"1.0", "2.0"}, NotAffectedVersions: []string{"0.9", "2.0"}},
			{ID: "ODD:2/2", Product: "Box", Category: "feature", Evidence: "bad \xfe evidence"},
		}},
}

// TestEdgeCasesValidate maps each edge case to OSV and CSAF and validates
// both against the official schemas.
func TestEdgeCasesValidate(t *testing.T) {
	for _, a := range edgeAdvisories {
		osv, err := marshal(OSV(a))
		if err != nil {
			t.Fatal(err)
		}
		if err := schematest.Validate(schematest.OSV, osv); err != nil {
			t.Errorf("%s: OSV fails the schema: %v\n%s", a.ID, err, osv)
		}
		doc, err := CSAF(a)
		if err != nil {
			t.Fatalf("%s: %v", a.ID, err)
		}
		b, err := marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		if err := schematest.Validate(schematest.CSAF, b); err != nil {
			t.Errorf("%s: CSAF fails the schema: %v\n%s", a.ID, err, b)
		}
	}
}

// TestCSAFMapping checks the parts of the mapping the schema cannot judge.
func TestCSAFMapping(t *testing.T) {
	doc, err := CSAF(edgeAdvisories[1])
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, v := range doc.Vulnerabilities {
		line := v.CVE
		for _, id := range v.IDs {
			line += id.SystemName + "=" + id.Text
		}
		if v.ProductStatus != nil {
			line += " affected " + strings.Join(v.ProductStatus.KnownAffected, ",") + " not " + strings.Join(v.ProductStatus.KnownNotAffected, ",")
		}
		for _, r := range v.Remediations {
			line += " | " + r.Details
		}
		got = append(got, line)
	}
	// Products in tree order: Box with no version (the second fix lists
	// none) 0001, 0.9 0002, 1.0 0003, 2.0 0004. 2.0 is both fixed and not
	// affected: it stays affected. The misspelt CVE is named by no fix, so
	// only the fix that names no CVE belongs to it.
	want := []string{
		"CVE (as spelled by v)=CVE 2020 99 affected CSAFPID-0001 not  | See v's advisory ODD:2; no patch ID is recorded for this fix.",
		"CVE-2020-1234 affected CSAFPID-0001,CSAFPID-0003,CSAFPID-0004 not CSAFPID-0002 | Apply P-1. | See v's advisory ODD:2; no patch ID is recorded for this fix.",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("vulnerabilities (-want +got):\n%s", diff)
	}
	tr := doc.Document.Tracking
	if tr.Version != "4" || len(tr.RevisionHistory) != 2 || tr.InitialReleaseDate != "2024-01-02T03:04:05Z" {
		t.Errorf("tracking %+v; want version 4 with two revisions dated from the first fetch", tr)
	}
	if !strings.Contains(doc.Document.Notes[len(doc.Document.Notes)-1].Text, "withdrawn") {
		t.Errorf("withdrawn advisory without a note saying so: %+v", doc.Document.Notes)
	}
	if _, err := CSAF(Advisory{ID: "X", Vendor: "v"}); err == nil {
		t.Error("an advisory without any date mapped to CSAF, which requires release dates")
	}
}

func TestFileNames(t *testing.T) {
	for id, want := range map[string]string{
		"x_patchwatch-xen-XSA-355": "x_patchwatch-xen-XSA-355.json", "RHSA-2015:0999": "RHSA-2015_0999.json", "a/../b": "a_.._b.json",
	} {
		if got, err := FileName(id); err != nil || got != want {
			t.Errorf("FileName(%q) = %q, %v; want %q", id, got, err, want)
		}
	}
	if _, err := FileName("../x"); err == nil {
		t.Error(`FileName("../x") succeeded`)
	}
	for id, want := range map[string]string{
		"patchwatch-redhat-kvm-RHSA-2015:0999": "patchwatch-redhat-kvm-rhsa-2015_0999.json", "patchwatch-xen-XSA-355": "patchwatch-xen-xsa-355.json",
	} {
		if got, err := CSAFFileName(id); err != nil || got != want {
			t.Errorf("CSAFFileName(%q) = %q, %v; want %q", id, got, err, want)
		}
	}
	if _, err := CSAFFileName("::"); err == nil {
		t.Error(`CSAFFileName("::") succeeded`)
	}
}
