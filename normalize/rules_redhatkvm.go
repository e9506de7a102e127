package normalize

import "regexp"

// redhatKVMRules classify KVM fixes that reach users through Red Hat's
// errata. In KVM the hypervisor is split: kvm.ko in the host kernel runs
// guest code (CPU and MMU virtualization), and each guest's qemu-kvm
// process is the userspace VMM that emulates its devices. Both are the
// virtual machine monitor, so both are vmm — qemu with the component
// "qemu device model", the kernel module as "kvm.ko". libvirt manages
// guests from the host and is the management layer: console-os. Other
// host-kernel fixes that ship in the same kernel erratum touch the host OS
// beside the hypervisor: console-os, component "host kernel". CPU side
// channels are hardware compatibility, as for every vendor; Red Hat titles
// them "hw: cpu: …" or "hardware: …".
var redhatKVMRules = []Rule{
	{"rhkvm-cpu-speculation", "redhat-kvm", HardwareCompat, "CPU speculative execution",
		regexp.MustCompile(`(?i)(?:^|\s)(?:hw|hardware):|` + speculationWords + `|spectre|meltdown|side[- ]channel|transient execution|microcode|fill buffer|store buffer|load port|Data Sampling|Branch History|\bMDS\b|\bL1TF\b|\bGDS\b|\bSRSO\b|retbleed`)},
	{"rhkvm-kernel-kvm", "redhat-kvm", VMM, "kvm.ko",
		regexp.MustCompile(`(?i)(?:^|[\s:(/])KVM(?:$|[^-\w])|\bn(?:VMX|SVM)\b|\bkvm_\w+`)},
	{"rhkvm-qemu", "redhat-kvm", VMM, "qemu device model",
		regexp.MustCompile(`(?i)\bqemu\b|\b(?:lib)?slirp\b|device model|emulat(?:ion|ed|or)`)},
	{"rhkvm-libvirt", "redhat-kvm", ConsoleOS, "libvirt",
		regexp.MustCompile(`(?i)\blibvirtd?\b|\bvirsh\b`)},
	{"rhkvm-host-kernel", "redhat-kvm", ConsoleOS, "host kernel",
		regexp.MustCompile(`(?i)\bkernel\b`)},
}
