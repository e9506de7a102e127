package oracle

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/patchwatch/patchwatch/normalize"
	"github.com/patchwatch/patchwatch/scrapers"
)

// samplesDir holds real Oracle documents beside the repository; tests that
// read them skip when it is absent.
const samplesDir = "../../../shared/samples/oracle"

func readSample(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(samplesDir, name))
	if err != nil {
		t.Skipf("real samples not present: %v", err)
	}
	return b
}

// TestRealOVMSA20250001 parses the real OVAL definition in place.
func TestRealOVMSA20250001(t *testing.T) {
	body := readSample(t, "com.oracle.ovmsa-20250001.xml")
	got, err := scrapers.ParseFile(Source{}, OVALIndex+"com.oracle.ovmsa-20250001.xml", body)
	if err != nil {
		t.Fatal(err)
	}
	wantPatch := normalize.Patch{
		ID: "OVMSA-2025-0001", Vendor: Vendor, Product: VMServer, Version: "Oracle Linux 6", Released: "2025-01-10",
		Classification: "Security Advisory", URL: "https://linux.oracle.com/errata/OVMSA-2025-0001.html",
		AdvisoryID: "OVMSA-2025-0001", Severity: "IMPORTANT",
		Packages: []string{"kernel-uek-4.1.12-124.93.1.el6uek", "kernel-uek-firmware-4.1.12-124.93.1.el6uek"},
	}
	if diff := cmp.Diff([]normalize.Patch{wantPatch}, got.Patches); diff != "" {
		t.Errorf("patch (-want +got):\n%s", diff)
	}
	a, f := got.Advisories[0], got.Fixes[0]
	if a.Title != "Unbreakable Enterprise kernel security update (IMPORTANT)" || a.Published != "2025-01-10" {
		t.Errorf("advisory %q published %s", a.Title, a.Published)
	}
	if diff := cmp.Diff([]string{"CVE-2024-26840"}, f.CVEs); diff != "" {
		t.Errorf("CVEs (-want +got):\n%s", diff)
	}
	if f.Category != normalize.ConsoleOS || f.Rule != "ovm-dom0-kernel" {
		t.Errorf("dom0 kernel fix classified %s by %s", f.Category, f.Rule)
	}
}

// TestRealOVALIndex follows only the OVMSA file of the real listing.
func TestRealOVALIndex(t *testing.T) {
	body := readSample(t, "oracle-vm-ovmsa-oval-indexof.html")
	got, err := scrapers.ParseFile(Source{}, OVALIndex, body)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{OVALIndex + "com.oracle.ovmsa-20250001.xml"}, got.Follow); diff != "" {
		t.Errorf("follow (-want +got):\n%s", diff)
	}
}
