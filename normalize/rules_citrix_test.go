package normalize

import "testing"

// classifyCase is one real fix text and the category and rule it must get.
type classifyCase struct {
	text, category, rule string
}

func runClassify(t *testing.T, vendor, field string, cases []classifyCase) {
	t.Helper()
	for _, c := range cases {
		got := Classify(vendor, Field{Name: field, Text: c.text})
		if string(got.Category) != c.category || got.Rule != c.rule {
			t.Errorf("%q: got %s by %s (%s), want %s by %s", c.text, got.Category, got.Rule, got.Evidence, c.category, c.rule)
		}
	}
}

// Real Citrix bulletin lines and hotfix issues (CTX231390, CTX306565,
// XS602E007, XS602E008, XS71ECU2058), in our words.
func TestCitrixRules(t *testing.T) {
	runClassify(t, "citrix", "issue", []classifyCase{
		{"CVE-2017-5715 (Variant 2, branch target injection): code in one guest could read memory of other guests.", "hardware-compat", "citrix-cpu-speculation"},
		{"CVE-2017-17565: a bug check in x86 log-dirty handling was wrong; a guest administrator could crash the host.", "vmm", "citrix-hypervisor"},
		{"CVE-2021-28038: mishandled grant mapping errors in the dom0 network backend (netback) let a guest crash the host.", "console-os", "citrix-dom0"},
		{"CVE-2020-35498: Open vSwitch in dom0 parsed some crafted packets into over-wide flows.", "console-os", "citrix-dom0"},
		{"Restarting XAPI in a pool with many VDIs could leave pool members stuck in maintenance mode.", "console-os", "citrix-dom0"},
		{"Users can now choose a VM's TimeStamp Counter (TSC) mode with xe vm-param-set platform:tsc_mode.", "feature", "citrix-feature"},
		{"Creating an SR on an iSL Dell EqualLogic storage array fails with newer array firmware.", "hardware-compat", "citrix-hardware"},
		{"Live migration of fully virtualized VMs occasionally fails. [CA-87350]", "vmm", "citrix-hypervisor"},
		{"The emulated floppy controller in qemu did not bound its buffer index.", "vmm", "citrix-qemu"},
		{"XenCenter could show a stale pool name after a rename.", "unclassified", "citrix-xencenter"},
		{"The installer shows a typo on the welcome screen.", "unclassified", "none"},
	})
	if got := Classify("xen", Field{Name: "issue", Text: "Restarting XAPI in a pool"}); got.Rule == "citrix-dom0" {
		t.Errorf("citrix rule applied to a xen fix: %+v", got)
	}
}
