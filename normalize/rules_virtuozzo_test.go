package normalize

import "testing"

// Real Virtuozzo advisory contents (VZA-2017-021, VZA-2018-089,
// VZA-2019-037) in our words, plus the host userland the rules must keep
// apart from the container kernel.
func TestVirtuozzoRules(t *testing.T) {
	runClassify(t, "virtuozzo", "vulnerabilities", []classifyCase{
		{"A NULL-pointer dereference in the kernel's keyring search lets a local user crash the host, also from inside a container.", "vmm", "vz-kernel"},
		{"When NFS v4.1 shares are mounted in several network namespaces at once, a user in a container can corrupt host kernel memory.", "vmm", "vz-kernel"},
		{"Speculative loads can expose stale data from the CPU's fill buffer through a timing side channel.", "hardware-compat", "vz-cpu-speculation"},
		{"readykernel-patch-64.7-69.0-1.vl7", "vmm", "vz-kernel"},
		{"A flaw in prl-disp-service lets a container user query other containers' settings.", "console-os", "vz-userland"},
		{"openssl: 0-byte record padding oracle", "console-os", "vz-userland"},
		{"The documentation index was reorganised.", "unclassified", "none"},
	})
}
