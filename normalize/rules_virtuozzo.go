package normalize

import "regexp"

// virtuozzoRules classify Virtuozzo (formerly SWsoft / Parallels) fixes.
// Containers share the host's kernel, so the Virtuozzo kernel (vzkernel and
// its ReadyKernel live patches) is the virtualization layer itself: its
// fixes are vmm, and so is qemu-kvm-vz, the device model of Virtuozzo's
// virtual machines (qemu is vmm for every vendor). Host userland beside
// them — the dispatcher (prl-disp), libvirt, vzctl, OpenSSL, OpenSSH — is
// the management OS and so console-os. CPU side channels count as hardware compatibility even when
// the fix ships in vzkernel, as for the other vendors.
var virtuozzoRules = []Rule{
	{"vz-cpu-speculation", "virtuozzo", HardwareCompat, "CPU speculative execution",
		regexp.MustCompile(`(?i)` + speculationWords + `|spectre|meltdown|side[- ]channel|microcode|fill buffer|store buffer|load port|\bMDS\b|\bL1TF\b`)},
	{"vz-qemu", "virtuozzo", VMM, "qemu device model",
		regexp.MustCompile(`(?i)\bqemu(?:-kvm)?(?:-vz)?\b`)},
	{"vz-userland", "virtuozzo", ConsoleOS, "host userland",
		regexp.MustCompile(`(?i)\bprl-disp\w*|\bdispatcher\b|\blibvirt\b|\bvzctl\b|\bopenssl\b|\bopenssh\b|\bsudo\b|\bglibc\b|\bsystemd\b`)},
	{"vz-kernel", "virtuozzo", VMM, "container kernel (vzkernel)",
		regexp.MustCompile(`(?i)\bvzkernel\b|\breadykernel\b|\bkernel\b|\bsystem calls?\b|\bsyscalls?\b|inside (?:a )?containers?`)},
}
