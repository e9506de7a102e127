package main

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/patchwatch/patchwatch/normalize"
	"github.com/patchwatch/patchwatch/store"
)

// esxFacts are the real 2007–2008 ESX 3.0.x patches from
// ../shared/SOURCES.md (release date, patch IDs, version, classification,
// what they touched). Categories, components and reboot flags are this
// test's choices where the table does not say; the cadence figures only
// depend on the dates, versions and classifications, which are real.
var esxFacts = []struct {
	released, version, class, advisory string
	reboot                             *bool
	ids                                []string
	// One fix per entry of fixes: category, component, summary.
	fixes [][3]string
}{
	{"2007-09-06", "3.0.1", "Critical", "", ptr(true), []string{"ESX-1000075"},
		[][3]string{{"hardware-compat", "VMware-esx-drivers-scsi-mptscsi_2xx", "LSI MPT SAS driver"}}},
	{"2007-09-06", "3.0.1", "Critical", "", ptr(true), []string{"ESX-9287937"},
		[][3]string{{"console-os", "kernel-vmnix", "console OS kernel, same LSI fix"}}},
	{"2007-09-18", "3.0.2", "Security", "VMSA-2007-0006", nil,
		[]string{"ESX-1001725", "ESX-1001726", "ESX-1001727", "ESX-1001728", "ESX-1001729", "ESX-1001730", "ESX-1001731"},
		[][3]string{{"console-os", "samba", "samba"}, {"console-os", "bind", "bind"}, {"console-os", "krb5", "krb5"},
			{"console-os", "vixie-cron", "vixie-cron"}, {"console-os", "shadow-utils", "shadow-utils"},
			{"console-os", "openldap", "openldap"}, {"console-os", "pam", "pam, gcc, gdb"}}},
	{"2007-10-08", "3.0.2", "General", "", ptr(false), []string{"ESX-1002087"},
		[][3]string{{"vmm", "VMware-esx-vmx", "Windows guest clock gains time"}}},
	{"2007-10-08", "3.0.2", "General", "", ptr(false), []string{"ESX-1002090"},
		[][3]string{{"console-os", "VMware-esx-backuptools", "VCB backup tools"}}},
	{"2007-11-15", "3.0.2", "Critical", "", ptr(true), []string{"ESX-1002424"},
		[][3]string{{"vmm", "VMware-esx-vmkernel", "malformed IP packet hang"}, {"vmm", "VMware-esx-vmkernel", "vmklinux heap"}}},
	{"2008-01-07", "3.0.2", "Security", "VMSA-2008-0001", nil,
		[]string{"ESX-1002969", "ESX-1002970", "ESX-1002971", "ESX-1002975", "ESX-1002976"},
		[][3]string{{"console-os", "OpenPegasus", "OpenPegasus"}, {"console-os", "samba", "samba"},
			{"console-os", "util-linux", "util-linux"}, {"console-os", "perl", "perl"}, {"console-os", "openssl", "openssl"}}},
}

func ptr[T any](v T) *T { return &v }

// buildAnalystDB writes the ESX facts, plus two real Xen advisories (XSA-130
// and XSA-139 with their release days) and one advisory with hostile text,
// through store.SavePage into a file database, with the store clock fixed.
func buildAnalystDB(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "analyst.db")
	s, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	fixed := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	s.Now = func() time.Time { return fixed }
	ctx := context.Background()
	save := func(url string, res normalize.Result) {
		t.Helper()
		doc := store.Document{URL: url, Source: "test", FetchedAt: fixed, Status: 200, ContentType: "text/plain", Body: []byte(url)}
		if err := s.SavePage(ctx, doc, res); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range esxFacts {
		var res normalize.Result
		n := 0
		for i, id := range f.ids {
			res.Patches = append(res.Patches, normalize.Patch{
				ID: id, Vendor: "vmware", Product: "ESX", Version: f.version, Released: f.released,
				Classification: f.class, RebootRequired: f.reboot, AdvisoryID: f.advisory,
				URL: "https://kb.vmware.com/kb/" + id[len("ESX-"):],
			})
			// Fixes are spread over the patches in order; the last patch
			// takes the remainder.
			for ; n < len(f.fixes) && (n <= i || i == len(f.ids)-1); n++ {
				fx := f.fixes[n]
				res.Fixes = append(res.Fixes, normalize.Fix{
					ID: fmt.Sprintf("%s/%d", id, n+1), AdvisoryID: f.advisory, PatchIDs: []string{id},
					Vendor: "vmware", Product: "ESX", Versions: []string{f.version}, Component: fx[1],
					Category: normalize.Category(fx[0]), Security: f.class == "Security", Summary: fx[2],
					Rule: "test", Evidence: "package " + fx[1],
				})
			}
		}
		save("https://kb.vmware.com/test/"+f.ids[0], res)
	}
	for _, a := range []struct {
		n, date, title, cve, component string
		patches                        []string
	}{
		{"130", "2015-06-02", "Guest triggerable qemu MSI-X pass-through error messages", "CVE-2015-4105", "qemu device model",
			[]string{"xsa130-qemut.patch", "xsa130-qemuu.patch"}},
		{"139", "2015-08-03", "Use after free in QEMU/Xen block unplug protocol", "CVE-2015-5166", "qemu device model",
			[]string{"xsa139-qemuu-4.5.patch"}},
	} {
		id := "XSA-" + a.n
		res := normalize.Result{Advisories: []normalize.Advisory{{
			ID: id, Vendor: "xen", Status: normalize.StatusPublished, Title: a.title, Published: a.date, Updated: a.date,
			Version: 2, URL: "https://xenbits.xen.org/xsa/advisory-" + a.n + ".html", Affected: "Xen 4.5.x is vulnerable.",
			CVEs:     []string{a.cve},
			Sections: []normalize.Section{{Title: "ISSUE DESCRIPTION", Text: "The device model " + a.title + "."}},
		}}, Fixes: []normalize.Fix{{
			ID: id + "/1", AdvisoryID: id, PatchIDs: a.patches, Vendor: "xen", Product: "Xen", Versions: []string{"Xen 4.5.x"},
			Component: a.component, Category: normalize.VMM, Security: true, CVEs: []string{a.cve},
			Summary: a.title, Rule: "xen-qemu", Evidence: `title: "` + a.title + `"`,
		}}}
		for _, p := range a.patches {
			res.Patches = append(res.Patches, normalize.Patch{ID: p, Vendor: "xen", Product: "Xen", Version: "xen-unstable, 4.5.x",
				Released: a.date, Classification: "Security", URL: "https://xenbits.xen.org/xsa/" + p, AdvisoryID: id})
		}
		save("https://xenbits.xen.org/xsa/advisory-"+a.n+".txt", res)
	}
	// Hostile text for the CSV and OSV tests: formula starts, quotes, a
	// comma, a newline, non-ASCII, and a withdrawn advisory without dates.
	save("https://example.test/evil", normalize.Result{
		Advisories: []normalize.Advisory{
			{ID: "TEST-2024-0001", Vendor: "testvendor", Status: normalize.StatusPublished, Title: `=HYPERLINK("http://evil.test","x")`,
				Published: "2024-01-01", URL: "https://example.test/TEST-2024-0001", Affected: "+all, \"every\" version\nsince 1.0 — ünïcode"},
			{ID: "TEST-2024-0002", Vendor: "testvendor", Status: normalize.StatusWithdrawn, Title: "@SUM(1+1)"},
			{ID: "TEST-2024-0003", Vendor: "testvendor", Status: normalize.StatusUnused},
		},
		Fixes: []normalize.Fix{{
			ID: "TEST-2024-0001/1", AdvisoryID: "TEST-2024-0001", Vendor: "testvendor", Product: "Box", Versions: []string{"1.0", "1.1"},
			Component: "-cmd|' /C calc'!A0", Category: normalize.Feature, Summary: "\tTab-led summary", Rule: "test", Evidence: "=1+2",
			Remedies: []normalize.Remedy{
				{Product: "Box", Version: "1.0", Status: normalize.RemedyFixed, PatchID: "BOX-1"},
				{Product: "Box", Version: "0.9", Status: normalize.RemedyNotAffected},
			},
		}},
	})
	return path
}
