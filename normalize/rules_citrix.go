package normalize

import "regexp"

// citrixRules classify Citrix XenServer / Citrix Hypervisor fixes, from a
// bulletin's CVE lines and a hotfix's "Issues Resolved" bullets. Citrix
// ships the Xen hypervisor plus a CentOS-based control domain (dom0) that
// runs XAPI, the storage manager, Open vSwitch, qemu and the Linux backend
// drivers. As for every vendor (TAXONOMY.md), the category follows what the
// flawed code is, not where it runs: qemu emulates a guest's hardware and
// is the VMM with the Xen hypervisor and what it does for guests
// (migration, paging, hypercalls); the rest of dom0 (its kernel and
// backends, XAPI, the storage manager, Open vSwitch) is the console OS; CPU
// side channels, microcode, device drivers and storage-array support are
// hardware compatibility; "can now" items are features. qemu sits above
// dom0 because qemu runs in dom0 and its items often say so; dom0 sits
// above the hypervisor because Citrix describes dom0 backend bugs as "a
// guest can crash the host" too. XenCenter, the Windows management
// client, is not on the host: its items stay unclassified with that reason.
var citrixRules = []Rule{
	{"citrix-cpu-speculation", "citrix", HardwareCompat, "CPU speculative execution",
		regexp.MustCompile(`(?i)` + speculationWords + `|spectre|meltdown|side[- ]channel|microcode|branch target injection|rogue data cache load|bounds check bypass|\bL1TF\b|\bMDS\b`)},
	{"citrix-hardware", "citrix", HardwareCompat, "drivers and hardware",
		regexp.MustCompile(`(?i)\bdriver disks?\b|\bdrivers?\b|\bfirmware\b|\bHBAs?\b|storage arrays?|\bNetApp\b|\bEqualLogic\b|\bon (?:Intel|AMD) hardware\b`)},
	{"citrix-feature", "citrix", Feature, "new capability",
		regexp.MustCompile(`(?i)\bcan now\b|\bnow supports?\b|\badds? support\b|\benables? (?:rolling pool|support)|\bnew (?:feature|capability|option)\b`)},
	{"citrix-qemu", "citrix", VMM, "qemu device model",
		regexp.MustCompile(`(?i)\bqemu\b|device model|emulated (?:floppy|network|NIC|IDE|disk|VGA)`)},
	{"citrix-xencenter", "citrix", Unclassified, "XenCenter (management client, not on the host)",
		regexp.MustCompile(`\bXenCenter\b`)},
	{"citrix-dom0", "citrix", ConsoleOS, "control domain (dom0)",
		regexp.MustCompile(`(?i)\bdom0\b|control domain|\bXAPI\b|XenAPI|toolstack|open ?vswitch|\bSRs?\b|\bVDIs?\b|storage repositor|tapdisk|\bxenstored?\b|pool master|netback|blkback|backend drivers?|\bLinux kernel\b|\bVBDs?\b|NIC bond|\bVLANs?\b|Linux bridge`)},
	{"citrix-hypervisor", "citrix", VMM, "Xen hypervisor",
		regexp.MustCompile(`(?i)\bhypervisor\b|\bhypercalls?\b|shadow (?:mode|paging)|log-dirty|grant (?:pages?|tables?)|live migration|\bXentrace\b|event channel|\bMMIO\b|\bPHYSDEVOP\w*`)},
}

// citrixGenericRules hold the words that place a flaw in the hypervisor
// only in general; they decide only when nothing names a component (see
// GenericRules).
var citrixGenericRules = []Rule{
	{"citrix-hypervisor-generic", "citrix", VMM, "Xen hypervisor",
		regexp.MustCompile(`(?i)\bx86\b|\bPV guests?\b|\bHVM\b|fully virtualized|crash the host`)},
}
