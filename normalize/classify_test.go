package normalize

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Real XSA titles and the part of a Xen host each fix touches.
func TestClassifyXenTitles(t *testing.T) {
	cases := []struct {
		xsa, title string
		want       Category
		rule       string
	}{
		{"XSA-26", "Grant table version switch list corruption vulnerability", VMM, "xen-hypervisor"},
		{"XSA-148", "x86: Uncontrolled creation of large page mappings by PV guests", VMM, "xen-hypervisor"},
		{"XSA-159", "XENMEM_exchange error handling issues", VMM, "xen-hypervisor"},
		{"XSA-188", "use after free in FIFO event channel code", VMM, "xen-hypervisor"},
		{"XSA-133", "Privilege escalation via emulated floppy disk drive", ConsoleOS, "xen-qemu"},
		{"XSA-139", "Use after free in QEMU/Xen block unplug protocol", ConsoleOS, "xen-qemu"},
		{"XSA-198", "delimiter injection vulnerabilities in pygrub", ConsoleOS, "xen-pygrub"},
		{"XSA-160", "libxl leak of pv kernel and initrd on error", ConsoleOS, "xen-toolstack"},
		{"XSA-330", "oxenstored memory leak in reset_watches", ConsoleOS, "xen-xenstored"},
		{"XSA-324", "Xenstore: guests can crash xenstored via watchs", ConsoleOS, "xen-xenstored"},
		{"XSA-254", "Information leak via side effects of speculative execution", HardwareCompat, "xen-cpu-speculation"},
		{"XSA-273", "L1 Terminal Fault speculative side channel", HardwareCompat, "xen-cpu-speculation"},
		{"XSA-297", "Microarchitectural Data Sampling speculative side channel", HardwareCompat, "xen-cpu-speculation"},
		{"XSA-346", "undue deferral of IOMMU TLB flushes", HardwareCompat, "xen-iommu"},
		{"XSA-378", "IOMMU page mapping issues on x86", HardwareCompat, "xen-iommu"},
	}
	for _, c := range cases {
		got := Classify("xen", Field{Name: "title", Text: c.title})
		if got.Category != c.want || got.Rule != c.rule {
			t.Errorf("%s %q: got %s by %s, want %s by %s", c.xsa, c.title, got.Category, got.Rule, c.want, c.rule)
		}
		if got.Evidence != `title: "`+c.title+`"` {
			t.Errorf("%s: evidence %q does not quote the title", c.xsa, got.Evidence)
		}
	}
}

func TestClassifyFieldOrderAndEvidence(t *testing.T) {
	// XSA-355's title says nothing about the host; its impact does. The
	// description mentions qemu only in passing, after the title failed, so
	// field order decides: description before impact.
	got := Classify("xen",
		Field{Name: "title", Text: "stack corruption from XSA-346 change"},
		Field{Name: "issue description", Text: "One of the two changes for XSA-346 added an array.\nThe bounds check was\noff by one."},
		Field{Name: "impact", Text: "A malicious HVM or PVH guest can cause\nXen to crash.  Privilege escalation cannot be excluded."},
	)
	want := Tag{
		Category:  VMM,
		Component: "hypervisor",
		Rule:      "xen-hypervisor",
		Evidence:  `impact: "A malicious HVM or PVH guest can cause Xen to crash."`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestClassifyUnclassifiedSaysWhy(t *testing.T) {
	got := Classify("xen",
		Field{Name: "title", Text: "stack corruption from XSA-346 change"},
		Field{Name: "issue description", Text: "An off-by-one in a bounds check."},
	)
	want := Tag{Category: Unclassified, Rule: "none", Evidence: "no xen rule matched the title, issue description"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	// Another vendor's rules never apply.
	if got := Classify("vmware", Field{Name: "title", Text: "qemu heap overflow"}); got.Category != Unclassified {
		t.Errorf("xen rule fired for vmware: %+v", got)
	}
}

func TestRulesTable(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range Rules {
		if seen[r.Name] {
			t.Errorf("rule name %s used twice", r.Name)
		}
		seen[r.Name] = true
		if err := r.Category.Validate(); err != nil || r.Category == Unclassified {
			t.Errorf("rule %s: category %q", r.Name, r.Category)
		}
		if r.Vendor == "" || r.Component == "" || r.Pattern == nil {
			t.Errorf("rule %s lacks vendor, component or pattern", r.Name)
		}
	}
}

func TestSentenceAround(t *testing.T) {
	text := "Xen 4.10.x is affected. The x86 emulator\nmishandles far jumps, which lets a guest\nescalate.\n\nAnother paragraph."
	start := len("Xen 4.10.x is affected. The x86 ")
	got := sentenceAround(text, start, start+len("emulator"))
	if want := "The x86 emulator mishandles far jumps, which lets a guest escalate."; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
