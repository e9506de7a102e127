package normalize

import "regexp"

// xenRules classify Xen fixes by what the flawed code is (TAXONOMY.md).
// The hypervisor and the qemu device model that emulates a guest's
// hardware are the VMM, wherever qemu runs. dom0 — the Linux kernel of
// dom0 and driver domains with its backends ("Linux: …" advisories), the
// toolstacks (xl/libxl/libxc, xend, XAPI), xenstored and pygrub — is Xen's
// console OS. CPU side channels, errata and IOMMU handling are hardware
// compatibility work even though the fix lands in the hypervisor. A Linux
// guest's frontend drivers are not on the host: that rule tags them
// unclassified with its reason. Order matters: side channels before
// everything; frontends before the dom0 kernel (both are "Linux: …");
// the hypervisor's own names before the toolstack, because a hypervisor
// advisory titled only "x86: …" often says what the toolstack may do,
// while a toolstack advisory names its tool in the title; the toolstack
// before qemu (a libxl bug in how it starts qemu is libxl's). The "Linux"
// patterns that are not a component's name look only at a field's first
// line, a title's place: a description may mention Linux dom0 in passing.
var xenRules = []Rule{
	{"xen-cpu-speculation", "xen", HardwareCompat, "CPU speculative execution",
		regexp.MustCompile(`(?i)` + speculationWords + `|spectre|meltdown|L1 Terminal Fault|\bL1TF\b|microarchitectural|side[- ]channel|transient execution|\bMDS\b|store bypass|branch target injection|Branch History Injection|\bBHI\b|Data Sampling|Stale Data|\bGDS\b|\bTAA\b|\bSRBDS\b|\bSRSO\b|retbleed|Zenbleed|Indirect Target Selection|Transient Scheduler|\bXPTI\b|\berrat(?:um|a)\b|microcode`)},
	{"xen-iommu", "xen", HardwareCompat, "IOMMU",
		regexp.MustCompile(`(?i)\bIOMMUs?\b|\bVT-d\b|\bAMD-Vi\b|\bSMMU\b|\bRMRRs?\b`)},
	{"xen-linux-frontend", "xen", Unclassified, "Linux guest frontend (not on the host)",
		regexp.MustCompile(`(?i)\b(?:blk|net|pci|scsi|usb|kbd|fb|9p|pv)front\b|^[^.\n]*\bLinux\b[^.\n]*\bfrontends?\b`)},
	{"xen-dom0-kernel", "xen", ConsoleOS, "dom0 / driver domain Linux kernel",
		regexp.MustCompile(`(?i)^Linux\b|^[^.\n]*\bLinux (?:kernel|dom0|event)\b|^[^.\n]*\bLinux\b[^.\n]*\b(?:dom0|backends?|driver domains?)\b|\b(?:net|blk|pci|scsi|usb|9p)back\b|\bprivcmd\b|\bgntdev\b|\bgntalloc\b|\bxen-balloon\b|\bdom0 (?:Linux )?kernel\b|\bbackend Linux domains?\b`)},
	{"xen-hypervisor", "xen", VMM, "hypervisor",
		regexp.MustCompile(`(?i)\bhypervisor\b|\bhypercalls?\b|grant[- ]tables?|event channels?|\bevtchn\b|page[- ]tables?|\bshadow (?:paging|mode)\b|\bx86 (?:instruction )?emulator\b|\binstruction emulation\b|\bXen emulates\b|\bTLB flush(?:es|ing)?\b|\bPV MM\b|\bvCPUs?\b|\bcrash(?:es)? Xen\b|\bXen (?:to )?crash|\bmemory (?:sharing|paging|exchange)\b|\bvGIC\b|\bMSRs?\b|\b(?:XENMEM|XEN_DOMCTL|XEN_SYSCTL|GNTTABOP|EVTCHNOP|HVMOP|PHYSDEVOP)_\w+`)},
	{"xen-xenstored", "xen", ConsoleOS, "xenstored",
		regexp.MustCompile(`(?i)\bo?xenstored?\b|\bc?xenstored\b|\bXen ?store\b`)},
	{"xen-pygrub", "xen", ConsoleOS, "pygrub",
		regexp.MustCompile(`(?i)\bpygrub\b|\blibfsimage\b`)},
	{"xen-toolstack", "xen", ConsoleOS, "toolstack (libxl/xl, XAPI)",
		regexp.MustCompile(`(?i)\blibxl\b|\blibxc\b|\blibxenlight\b|\btoolstacks?\b|\bxl\b|\bxend\b|\bXAPI\b|\bXenAPI\b|\bxenopsd\b|\bxenconsoled\b|\bblktap2?\b|\bdom0 user(?:land|space)\b`)},
	{"xen-qemu", "xen", VMM, "qemu device model",
		regexp.MustCompile(`(?i)\bqemu(?:-xen|-trad(?:itional)?|-upstream)?\b|device model|\bioemu\b|emulated (?:floppy|network|NIC|IDE|disk|CD-ROM)|\b(?:pcnet|cirrus|e1000e?|rtl8139|ne2000|VGA|USB|IDE|floppy|SCSI|AHCI|EHCI|xHCI|megasas|vmxnet3?) (?:emulat(?:or|ion)|device)\b`)},
}

// xenGenericRules are the words that place a flaw in the hypervisor only
// in general: an architecture, a guest type, "crash the host". They decide
// only when no field names a component (see GenericRules).
var xenGenericRules = []Rule{
	{"xen-hypervisor-generic", "xen", VMM, "hypervisor",
		regexp.MustCompile(`(?i)\bx86\b|\bArm\b|\bPV(?:H)? guests?\b|\bHVM\b|\bcrash the host\b`)},
}
