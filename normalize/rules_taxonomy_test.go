package normalize

import "testing"

// vendorText is one vendor's way of naming a component: the field its
// parser gives the classifier and a real-looking text.
type vendorText struct {
	vendor, field, text string
}

// TestTaxonomyAcrossVendors pins the one taxonomy of ../shared/TAXONOMY.md:
// a component lands in the same category whoever ships it, or the shares
// that cadence and report compare across vendors mean different things.
// Each row is a component and how every vendor that ships it names it.
func TestTaxonomyAcrossVendors(t *testing.T) {
	cases := []struct {
		component string
		want      Category
		texts     []vendorText
	}{
		{"qemu device model", VMM, []vendorText{
			{"xen", "title", "QEMU: usb: out-of-bounds r/w access issue"},
			{"citrix", "issue", "The emulated floppy controller in qemu did not bound its buffer index."},
			{"oracle", "package", "qemu-kvm"},
			{"redhat-kvm", "title", "qemu: fdc: out-of-bounds fifo buffer memory access"},
			{"virtuozzo", "vulnerabilities", "qemu-kvm-vz: a guest could write past the VGA buffer."},
		}},
		{"hypervisor", VMM, []vendorText{
			{"xen", "title", "use after free in FIFO event channel code"},
			{"citrix", "issue", "A malicious guest could exhaust hypervisor memory through a hypercall."},
			{"oracle", "package", "xen"},
			{"redhat-kvm", "title", "Kernel: KVM: MMU potential stack buffer overrun during page walks"},
			{"microsoft", "title", "Windows Hyper-V Remote Code Execution Vulnerability"},
			{"vmware", "packages", "VMware-esx-vmkernel, VMware-esx-vmx"},
		}},
		// Virtuozzo's containers share its kernel, so vzkernel is the
		// virtualization layer itself (vmm): TAXONOMY.md lists it there.
		{"dom0 / host kernel", ConsoleOS, []vendorText{
			{"xen", "title", "Linux: No grant table and foreign mapping limits"},
			{"xen", "title", "Linux netback: unbounded guest receive queue"},
			{"citrix", "issue", "Mishandled grant mapping errors in the dom0 network backend (netback) let a guest crash the host."},
			{"oracle", "package", "kernel-uek"},
			{"redhat-kvm", "title", "kernel: net: use-after-free in the TCP stack"},
			{"microsoft", "title", "Windows Kernel Elevation of Privilege Vulnerability"},
			{"vmware", "packages", "kernel-vmnix"},
		}},
		{"toolstacks", ConsoleOS, []vendorText{
			{"xen", "title", "libxl leaks data to PVH guests via ACPI tables"},
			{"xen", "title", "XAPI: guest-controlled VDI paths are trusted"},
			{"xen", "title", "oxenstored memory leak in reset_watches"},
			{"citrix", "issue", "Restarting XAPI in a pool with many VDIs could leave members stuck."},
			{"oracle", "package", "xen-tools"},
			{"redhat-kvm", "title", "libvirt: wrong permissions in systemd admin-sock"},
			{"virtuozzo", "vulnerabilities", "A flaw in vzctl lets a container user read host files."},
		}},
		{"management agents", ConsoleOS, []vendorText{
			{"oracle", "package", "ovs-agent"},
			{"microsoft", "title", "Windows Hyper-V Virtual Machine Management Service Denial of Service"},
			{"vmware", "title", "ESXi OpenSLP heap-overflow vulnerability"},
			{"vmware", "title", "hostd denial of service"},
			{"virtuozzo", "vulnerabilities", "A flaw in prl-disp-service lets a container user query other containers' settings."},
		}},
		{"CPU side channels", HardwareCompat, []vendorText{
			{"xen", "title", "x86/Intel: Gather Data Sampling"},
			{"xen", "title", "x86: Native Branch History Injection"},
			{"citrix", "issue", "CVE-2017-5715 (branch target injection): one guest could read another's memory."},
			{"oracle", "cve", "CVE-2017-5754"},
			{"redhat-kvm", "title", "hardware: Microarchitectural Fill Buffer Data Sampling through a speculative side channel"},
			{"virtuozzo", "vulnerabilities", "Speculative loads can expose stale data from the CPU's fill buffer."},
			{"microsoft", "title", "Windows Speculative Execution Side Channel Information Disclosure"},
			{"vmware", "description", "CPU data cache timing after speculative execution can be used to read memory."},
		}},
	}
	for _, c := range cases {
		for _, v := range c.texts {
			got := Classify(v.vendor, Field{Name: v.field, Text: v.text})
			if got.Category != c.want {
				t.Errorf("%s for %s (%q): %s by %s, want %s as for every vendor", c.component, v.vendor, v.text, got.Category, got.Rule, c.want)
			}
		}
	}
}
