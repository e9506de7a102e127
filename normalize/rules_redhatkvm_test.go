package normalize

import "testing"

// Real Red Hat vulnerability titles from KVM-related errata
// (RHSA-2015:0999, 2016:0724, 2018:0395, 2018:1318, 2019:1185, 2019:1268).
func TestRedHatKVMRules(t *testing.T) {
	runClassify(t, "redhat-kvm", "title", []classifyCase{
		{"qemu: fdc: out-of-bounds fifo buffer memory access", "vmm", "rhkvm-qemu"},
		{"qemu: incorrect banked access bounds checking in vga module", "vmm", "rhkvm-qemu"},
		{"Kernel: KVM: MMU potential stack buffer overrun during page walks", "vmm", "rhkvm-kernel-kvm"},
		{"Kernel: KVM: nVMX: use-after-free of the hrtimer for emulation of the preemption timer", "vmm", "rhkvm-kernel-kvm"},
		{"Kernel: error in exception handling leads to DoS", "console-os", "rhkvm-host-kernel"},
		{"hardware: Microarchitectural Fill Buffer Data Sampling (MFBDS) through a speculative side channel", "hardware-compat", "rhkvm-cpu-speculation"},
		{"hw: cpu: AMD CPUs may transiently execute beyond unconditional direct branch", "hardware-compat", "rhkvm-cpu-speculation"},
		{"kernel: Gather Data Sampling (GDS) side channel vulnerability", "hardware-compat", "rhkvm-cpu-speculation"},
		{"kernel: x86/speculation: add RSB VM exit protections", "hardware-compat", "rhkvm-cpu-speculation"},
		{"kernel: x86/kvm: fix a use-after-free in the pvclock", "vmm", "rhkvm-kernel-kvm"},
		{"libslirp: heap buffer overflow in the tftp server", "vmm", "rhkvm-qemu"},
		{"libvirt: wrong permissions in systemd admin-sock due to missing SocketMode parameter", "console-os", "rhkvm-libvirt"},
		{"qemu-kvm packages updated", "vmm", "rhkvm-qemu"},
		{"python-urllib3: Cookie request header isn't stripped during cross-origin redirects", "unclassified", "none"},
	})
}
