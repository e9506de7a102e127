package normalize

import (
	"slices"
	"strings"
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
		{"XSA-148", "x86: Uncontrolled creation of large page mappings by PV guests", VMM, "xen-hypervisor-generic"},
		{"XSA-159", "XENMEM_exchange error handling issues", VMM, "xen-hypervisor"},
		{"XSA-188", "use after free in FIFO event channel code", VMM, "xen-hypervisor"},
		{"XSA-133", "Privilege escalation via emulated floppy disk drive", VMM, "xen-qemu"},
		{"XSA-139", "Use after free in QEMU/Xen block unplug protocol", VMM, "xen-qemu"},
		{"XSA-180", "Unrestricted qemu logging", VMM, "xen-qemu"},
		{"XSA-142", "libxl fails to honour readonly flag on disks with qemu-xen", ConsoleOS, "xen-toolstack"},
		{"XSA-300", "Linux: No grant table and foreign mapping limits", ConsoleOS, "xen-dom0-kernel"},
		{"XSA-216", "blkif responses leak backend stack data (Linux blkback)", ConsoleOS, "xen-dom0-kernel"},
		{"XSA-396", "Linux PV device frontends vulnerable to attacks by backends", Unclassified, "xen-linux-frontend"},
		{"XSA-435", "x86/Intel: Gather Data Sampling", HardwareCompat, "xen-cpu-speculation"},
		{"XSA-456", "x86: Native Branch History Injection", HardwareCompat, "xen-cpu-speculation"},
		{"XSA-452", "x86: Register File Data Sampling", HardwareCompat, "xen-cpu-speculation"},
		{"XSA-436", "arm: Guests can trigger a deadlock on Cortex-A77 (erratum 1508412)", HardwareCompat, "xen-cpu-speculation"},
		{"XSA-331", "Race condition in Linux event handler may crash dom0", ConsoleOS, "xen-dom0-kernel"},
		{"XSA-441", "Possible deadlock in Linux kernel event handling", ConsoleOS, "xen-dom0-kernel"},
		{"XSA-522", "Linux xen-netfront: backend can crash guest via malformed RX packets", Unclassified, "xen-linux-frontend"},
		{"XSA-498", "XAPI: Missing TLS verification in some SDKs", ConsoleOS, "xen-toolstack"},
		{"XSA-505", "evtchn: Race between FIFO expand and reset", VMM, "xen-hypervisor"},
		{"XSA-443", "Multiple vulnerabilities in libfsimage disk handling", ConsoleOS, "xen-pygrub"},
		{"XSA-465", "Xen Store: node permissions checked too late", ConsoleOS, "xen-xenstored"},
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
	for _, r := range slices.Concat(Rules, GenericRules) {
		if seen[r.Name] {
			t.Errorf("rule name %s used twice", r.Name)
		}
		seen[r.Name] = true
		if err := r.Category.Validate(); err != nil {
			t.Errorf("rule %s: category %q", r.Name, r.Category)
		}
		// A rule that leaves a fix unclassified exists only to say why:
		// the flawed code is not on the host.
		if r.Category == Unclassified && !strings.Contains(r.Component, "not on the host") {
			t.Errorf("rule %s tags unclassified without saying the code is off the host: %q", r.Name, r.Component)
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

// A generic word in the title ("x86") must not outrank what the
// description names; it decides only when nothing else does.
func TestClassifyGenericWordsLast(t *testing.T) {
	cases := []struct {
		name   string
		fields []Field
		want   Tag
	}{
		{"the description's side channel beats the title's x86", []Field{
			{"title", "x86/Intel: stale vector register contents"},
			{"issue description", "A researcher found a transient execution\nside-channel whereby stale data leaks.  Details follow."},
		}, Tag{HardwareCompat, "CPU speculative execution", "xen-cpu-speculation",
			`issue description: "A researcher found a transient execution side-channel whereby stale data leaks."`}},
		{"the description names the hypervisor's emulator", []Field{
			{"title", "x86: mishandled interrupt injection"},
			{"issue description", "When Xen emulates the instruction it reads the wrong table."},
		}, Tag{VMM, "hypervisor", "xen-hypervisor",
			`issue description: "When Xen emulates the instruction it reads the wrong table."`}},
		{"a hypervisor advisory that mentions the toolstack stays the hypervisor's", []Field{
			{"title", "x86: missing bounds check"},
			{"issue description", "The toolstack may issue XEN_DOMCTL_set_foo with an index that Xen does not check."},
		}, Tag{VMM, "hypervisor", "xen-hypervisor",
			`issue description: "The toolstack may issue XEN_DOMCTL_set_foo with an index that Xen does not check."`}},
		{"nothing specific: the title's x86 decides", []Field{
			{"title", "x86: mishandled interrupt injection"},
			{"issue description", "An off-by-one in a bounds check."},
		}, Tag{VMM, "hypervisor", "xen-hypervisor-generic",
			`title: "x86: mishandled interrupt injection"`}},
	}
	for _, c := range cases {
		if diff := cmp.Diff(c.want, Classify("xen", c.fields...)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", c.name, diff)
		}
	}
}

// Words in a quoted crash log are not evidence: the machine the reporter
// used ("Hardware name: QEMU KVM Virtual Machine") and the functions on the
// stack say nothing about where the flaw is.
func TestClassifyIgnoresQuotedLogs(t *testing.T) {
	description := "bonding: fix xfrm real_dev null pointer dereference\n\n" +
		" Example trace:\n" +
		" kernel: BUG: unable to handle page fault for address: 0000000000001030\n" +
		" kernel: Hardware name: QEMU Standard PC (Q35 + ICH9, 2009), BIOS 1.16.3-2.fc40 04/01/2014\n" +
		" kernel:  ? kvm_read_and_reset_apf_flags+0x3b/0x50\n" +
		"[  472.075308] Hardware name: QEMU KVM Virtual Machine, BIOS edk2-20240524-1.el9 05/24/2024\n" +
		"  ? kvm_read_and_reset_apf_flags+0x3b/0x50\n" +
		"Hardware name: QEMU KVM Virtual Machine, BIOS edk2-20240524-1.el9 05/24/2024\n"
	got := Classify("redhat-kvm", Field{"description", description})
	if got.Category != Unclassified {
		t.Errorf("a crash log decided the category: %+v", got)
	}
	if left := WithoutQuotedLogs(description); strings.Contains(left, "KVM") || strings.Contains(left, "kvm_") || strings.Contains(left, "QEMU") {
		t.Errorf("log words left in %q", left)
	}
	// A one-line title is never taken for a log line, "kernel:" or not.
	if got := WithoutQuotedLogs("kernel: KVM: s390: fix setting of fpc register"); got != "kernel: KVM: s390: fix setting of fpc register" {
		t.Errorf("title changed to %q", got)
	}
}
