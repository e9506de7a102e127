package store

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/patchwatch/patchwatch/normalize"
)

// A fix's release date follows whichever page arrives last: its advisory's
// date until its patch's page says when the patch came out, and the
// patch's date after that, in batches too.
func TestFixReleaseDateFollowsPages(t *testing.T) {
	for _, every := range []int{1, 50} {
		s, _ := openTest(t)
		s.CommitEvery = every
		ctx := context.Background()
		released := func() [][]any {
			t.Helper()
			return query(t, s.DB(), `SELECT id, released FROM v_fixes ORDER BY id`)
		}
		advisory := Document{URL: "https://www.vmware.com/security/advisories/VMSA-2007-0006.html", Source: "vmware", Status: 200, Body: []byte("a")}
		adv := normalize.Result{
			Advisories: []normalize.Advisory{{ID: "VMSA-2007-0006", Vendor: "vmware", Status: normalize.StatusPublished, Published: "2007-09-05"}},
			Fixes: []normalize.Fix{{ID: "VMSA-2007-0006/a", AdvisoryID: "VMSA-2007-0006", PatchIDs: []string{"ESX-1001725"},
				Vendor: "vmware", Category: normalize.ConsoleOS, Rule: "vmware-service-console", Evidence: "samba (service console)"}},
		}
		if err := s.SavePage(ctx, advisory, adv); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([][]any{{"VMSA-2007-0006/a", "2007-09-05"}}, released()); diff != "" {
			t.Errorf("commit-every %d, before the patch page (-want +got):\n%s", every, diff)
		}
		kb := Document{URL: "http://kb.vmware.com/kb/1001725", Source: "vmware", Status: 200, Body: []byte("kb")}
		if err := s.SavePage(ctx, kb, normalize.Result{Patches: []normalize.Patch{{ID: "ESX-1001725", Vendor: "vmware", Released: "2007-09-18"}}}); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([][]any{{"VMSA-2007-0006/a", "2007-09-18"}}, released()); diff != "" {
			t.Errorf("commit-every %d, after the patch page (-want +got):\n%s", every, diff)
		}
		// The patch page is re-dated by the vendor: the fix follows.
		kb.Body = []byte("kb v2")
		if err := s.SavePage(ctx, kb, normalize.Result{Patches: []normalize.Patch{{ID: "ESX-1001725", Vendor: "vmware", Released: "2007-09-17"}}}); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([][]any{{"VMSA-2007-0006/a", "2007-09-17"}}, released()); diff != "" {
			t.Errorf("commit-every %d, after the re-dated patch (-want +got):\n%s", every, diff)
		}
		// A fix stored before its advisory: undated until the advisory's page.
		early := Document{URL: "https://www.vmware.com/security/advisories/VMSA-2008-0001-fixes.html", Source: "vmware", Status: 200, Body: []byte("f")}
		if err := s.SavePage(ctx, early, normalize.Result{Fixes: []normalize.Fix{{ID: "VMSA-2008-0001/a", AdvisoryID: "VMSA-2008-0001",
			Vendor: "vmware", Category: normalize.VMM, Rule: "vmware-vmm", Evidence: "vmx"}}}); err != nil {
			t.Fatal(err)
		}
		later := Document{URL: "https://www.vmware.com/security/advisories/VMSA-2008-0001.html", Source: "vmware", Status: 200, Body: []byte("a")}
		if err := s.SavePage(ctx, later, normalize.Result{Advisories: []normalize.Advisory{{ID: "VMSA-2008-0001", Vendor: "vmware",
			Status: normalize.StatusPublished, Published: "2008-01-07"}}}); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([][]any{{"VMSA-2007-0006/a", "2007-09-17"}, {"VMSA-2008-0001/a", "2008-01-07"}}, released()); diff != "" {
			t.Errorf("commit-every %d, a fix stored before its advisory (-want +got):\n%s", every, diff)
		}
	}
}
