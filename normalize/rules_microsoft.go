package normalize

import "regexp"

// microsoftRules classify Hyper-V fixes from MSRC. Hyper-V's own stack is
// the VMM: the hypervisor, VMBus, the virtualization service providers
// (VSPs) in the root partition that serve guests, the virtual switch, vSMB
// and the emulated and synthetic devices; a guest-to-host escape lands
// here. The Windows parent (root) partition plays the console OS's part:
// its management stack (VMMS, WMI provider, Hyper-V Manager) and the
// ordinary Windows components it runs (kernel, SMB, RDP, DNS…) are
// console-os when Microsoft tags such a flaw Hyper-V. Device assignment
// and CPU side channels are hardware compatibility.
var microsoftRules = []Rule{
	{"ms-cpu-side-channel", "microsoft", HardwareCompat, "CPU speculative execution",
		regexp.MustCompile(`(?i)` + speculationWords + `|side[- ]channel|microarchitectural|\bL1TF\b|L1 Terminal Fault|spectre|meltdown`)},
	{"ms-device-assignment", "microsoft", HardwareCompat, "device assignment",
		regexp.MustCompile(`(?i)Discrete Device Assignment|\bDDA\b|\bSR-IOV\b|GPU partitioning|device pass-?through`)},
	{"ms-hyperv-management", "microsoft", ConsoleOS, "Hyper-V management stack",
		regexp.MustCompile(`(?i)Virtual Machine Management Service|\bVMMS\b|Hyper-V Manager|Hyper-V WMI|Windows Admin Center`)},
	{"ms-parent-partition", "microsoft", ConsoleOS, "Windows parent partition",
		regexp.MustCompile(`(?i)^(?:Microsoft |Windows )?(?:Kernel|Win32k|SMB(?:v[123])?|Server Message Block|Remote Desktop|DNS Server|Common Log File System|NTFS|TCP/IP|Print Spooler|Local Security Authority|LSASS|Network File System|Storage Spaces|Installer)\b`)},
	{"ms-hyperv-vmm", "microsoft", VMM, "Hyper-V hypervisor and virtual devices",
		regexp.MustCompile(`(?i)guest[- ](?:to[- ])?host|guest (?:operating system|virtual machine|VM)|hypervisor|\bVMBus\b|\bvSMB\b|virtual switch|\bvmswitch\b|\bVSP\b|synthetic|virtual (?:device|machine IDE|hard disk)|Hyper-V`)},
}
