package xen

import (
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/patchwatch/patchwatch/normalize"
	"github.com/patchwatch/patchwatch/scrapers"
)

// samplesDir holds real vendor documents beside the repository; tests that
// read them skip when it is absent.
const samplesDir = "../../../shared/samples"

// textPart returns the text/plain part of a MIME mail: for an XSA
// announcement that is exactly what xenbits serves as advisory-N.txt.
func textPart(t *testing.T, name string) []byte {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// The archive dropped the transport headers; the MIME headers start
	// the file, which net/mail reads as the message header.
	msg, err := mail.ReadMessage(f)
	if err != nil {
		t.Fatalf("read %s: %v", name, err)
	}
	_, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatalf("%s content type: %v", name, err)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			t.Fatalf("%s: no text/plain part", name)
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if strings.HasPrefix(p.Header.Get("Content-Type"), "text/plain") {
			b, err := io.ReadAll(p)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
	}
}

// TestRealAdvisory355 parses the real XSA-355 v2 text, taken from the
// announcement mail in place, through the same path as `patchwatch parse`.
func TestRealAdvisory355(t *testing.T) {
	name := filepath.Join(samplesDir, "xen", "xsa-355-v2.announce-email.txt")
	if _, err := os.Stat(name); err != nil {
		t.Skipf("real samples not present: %v", err)
	}
	body := textPart(t, name)
	if !strings.HasPrefix(string(body), "-----BEGIN PGP SIGNED MESSAGE-----") {
		t.Fatalf("text part does not start with the PGP armour: %.60q", body)
	}
	got, err := scrapers.ParseFile(Source{}, "https://xenbits.xen.org/xsa/advisory-355.txt", body)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Advisories) != 1 || len(got.Fixes) != 1 {
		t.Fatalf("want 1 advisory and 1 fix, got %d and %d", len(got.Advisories), len(got.Fixes))
	}
	a, f := got.Advisories[0], got.Fixes[0]
	var titles []string
	for _, s := range a.Sections {
		titles = append(titles, s.Title)
	}
	wantAdv := normalize.Advisory{
		ID:       "XSA-355",
		Vendor:   "xen",
		Status:   normalize.StatusPublished,
		Title:    "stack corruption from XSA-346 change",
		Version:  2,
		URL:      "https://xenbits.xen.org/xsa/advisory-355.html",
		Affected: "All Xen versions which have the patches for XSA-346 applied are vulnerable.",
		CVEs:     []string{},
	}
	a.Sections = nil
	if diff := cmp.Diff(wantAdv, a); diff != "" {
		t.Errorf("advisory (-want +got):\n%s", diff)
	}
	wantTitles := []string{"UPDATES IN VERSION 2", "ISSUE DESCRIPTION", "IMPACT", "VULNERABLE SYSTEMS",
		"MITIGATION", "CREDITS", "RESOLUTION", "NOTE CONCERNING SHORT EMBARGO", "DEPLOYMENT DURING EMBARGO"}
	if diff := cmp.Diff(wantTitles, titles); diff != "" {
		t.Errorf("section titles (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"xsa355.patch"}, f.PatchIDs); diff != "" {
		t.Errorf("patch IDs (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"xen-unstable - Xen 4.10.x"}, f.Versions); diff != "" {
		t.Errorf("versions (-want +got):\n%s", diff)
	}
	if f.Category != normalize.VMM || f.Rule != "xen-hypervisor" {
		t.Errorf("classified %s by %s (%s), want vmm by xen-hypervisor", f.Category, f.Rule, f.Evidence)
	}
	if !strings.Contains(f.Evidence, "Xen to crash") {
		t.Errorf("evidence %q does not quote the impact", f.Evidence)
	}
}
