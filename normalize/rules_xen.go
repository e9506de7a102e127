package normalize

import "regexp"

// xenRules classify Xen fixes. The hypervisor is the VMM; dom0's toolstack
// (xl/libxl/libxc), xenstored, pygrub and the qemu device model run in dom0
// and are Xen's console OS; CPU side channels, errata and IOMMU handling are
// hardware compatibility work even though the fix lands in the hypervisor.
var xenRules = []Rule{
	{"xen-cpu-speculation", "xen", HardwareCompat, "CPU speculative execution",
		regexp.MustCompile(`(?i)speculative|spectre|meltdown|L1 Terminal Fault|\bL1TF\b|microarchitectural|side[- ]channel|\bMDS\b|store bypass|branch target injection|\bTAA\b|\bSRBDS\b|retbleed|\bXPTI\b|\bCPU errat(?:um|a)\b|microcode`)},
	{"xen-iommu", "xen", HardwareCompat, "IOMMU",
		regexp.MustCompile(`(?i)\bIOMMUs?\b|\bVT-d\b|\bAMD-Vi\b|\bSMMU\b|\bRMRRs?\b`)},
	{"xen-qemu", "xen", ConsoleOS, "qemu device model",
		regexp.MustCompile(`(?i)\bqemu(?:-xen|-trad)?\b|device model|\bioemu\b|emulated (?:floppy|network|NIC|IDE|disk|CD-ROM)`)},
	{"xen-xenstored", "xen", ConsoleOS, "xenstored",
		regexp.MustCompile(`(?i)\bo?xenstored?\b|\bc?xenstored\b|\bxenstore\b`)},
	{"xen-pygrub", "xen", ConsoleOS, "pygrub",
		regexp.MustCompile(`(?i)\bpygrub\b`)},
	{"xen-toolstack", "xen", ConsoleOS, "toolstack (libxl/xl)",
		regexp.MustCompile(`(?i)\blibxl\b|\blibxc\b|\blibxenlight\b|\btoolstack\b|\bxl\b|\bxend\b|\bxenconsoled\b|\bblktap2?\b|\bdom0 user(?:land|space)\b`)},
	{"xen-hypervisor", "xen", VMM, "hypervisor",
		regexp.MustCompile(`(?i)\bhypervisor\b|\bhypercalls?\b|grant[- ]table|event channel|\bPV(?:H)? guests?\b|\bHVM\b|page[- ]table|\bshadow (?:paging|mode)\b|x86 (?:instruction )?emulator|\bvCPUs?\b|\bcrash(?:es)? Xen\b|\bXen (?:to )?crash|\bmemory (?:sharing|paging|exchange)\b|\bx86\b|\bArm\b|\bvGIC\b|\bMSR\b|\b(?:XENMEM|XEN_DOMCTL|XEN_SYSCTL|GNTTABOP|EVTCHNOP|HVMOP|PHYSDEVOP)_\w+|\bcrash the host\b`)},
}
