package normalize

import "testing"

// Real VMware item titles, KB summary lines, packages and bulletin
// categories, and the part of an ESX/ESXi host each touches.
func TestClassifyVMware(t *testing.T) {
	cases := []struct {
		source, field, text string
		want                Category
		rule                string
	}{
		{"VMSA-2012-0008 a", "title", "ESX third party update for Service Console kernel", ConsoleOS, "vmware-cos-kernel"},
		{"ESX-9287937", "packages", "kernel-vmnix", ConsoleOS, "vmware-cos-kernel"},
		{"VMSA-2012-0008 b", "title", "Updated ESX Service Console package libxml2", ConsoleOS, "vmware-service-console"},
		{"VMSA-2007-0006 VI b", "title", "Updated bind package for the service console fixes a flaw with the way ISC BIND processed certain DNS query responses.", ConsoleOS, "vmware-service-console"},
		{"VMSA-2012-0005 g", "title", "ESXi update to third party component bzip2", ConsoleOS, "vmware-userland-package"},
		{"VMSA-2012-0018 c", "title", "Update to ESX glibc package", ConsoleOS, "vmware-userland-package"},
		{"VMSA-2008-0001 a", "title", "OpenPegasus PAM Authentication Buffer Overflow", ConsoleOS, "vmware-management-agent"},
		{"VMSA-2012-0005 f", "title", "vCenter Server Apache Tomcat update 6.0.35", ConsoleOS, "vmware-management-agent"},
		{"VMSA-2021-0002 b", "title", "ESXi OpenSLP heap-overflow vulnerability (CVE-2021-21974)", ConsoleOS, "vmware-management-agent"},
		{"ESX-1002090", "packages", "VMware-esx-backuptools", ConsoleOS, "vmware-management-agent"},
		{"ESX-1002424", "packages", "VMware-esx-vmkernel, VMware-esx-vmx, VMware-esx-apps", VMM, "vmware-vmm"},
		{"ESX-1002087", "packages", "VMware-esx-vmx", VMM, "vmware-vmm"},
		{"ESXi670-202102401-SG", "packages", "VMware_bootbank_esx-base", VMM, "vmware-vmm"},
		{"VMSA-2007-0006 I", "description", "A guest operating system user with administrative rights could corrupt memory in a host process and so run code on the host.", VMM, "vmware-vmm"},
		{"VMCI advisories", "title", "VMCI privilege escalation", VMM, "vmware-vmm"},
		{"VMSA-2012-0005 a", "title", "VMware Tools Display Driver Privilege Escalation", VMM, "vmware-tools"},
		{"ESX-1000075", "packages", "VMware-esx-drivers-scsi-mptscsi_2xx", HardwareCompat, "vmware-driver"},
		{"ESX-1000075", "summary", "A host with LSI MPT SAS controllers could panic when the driver was unloaded.", HardwareCompat, "vmware-driver"},
		{"ESXi driver VIB", "packages", "VMW_bootbank_ntg3_4.1.5.0-0vmw.670.3.116.16713306", HardwareCompat, "vmware-driver"},
		{"VMSA-2018-0002 a", "description", "CPU data cache timing after speculative execution can be used to read memory.", HardwareCompat, "vmware-cpu-speculation"},
		{"bulletin category", "category", "Enhancement", Feature, "vmware-feature"},
		{"ESX-1002424 SLP", "summary", "Adds support for OEM Windows System Locked Pre-installation (SLP) activation in virtual machines.", Feature, "vmware-feature"},
	}
	for _, c := range cases {
		got := Classify("vmware", Field{Name: c.field, Text: c.text})
		if got.Category != c.want || got.Rule != c.rule {
			t.Errorf("%s %q: got %s by %s (%s), want %s by %s", c.source, c.text, got.Category, got.Rule, got.Evidence, c.want, c.rule)
		}
		if got.Evidence == "" || got.Component == "" {
			t.Errorf("%s: no evidence or component: %+v", c.source, got)
		}
	}
}

// Management products off the host match nothing on purpose, and the
// evidence says what was looked at.
func TestClassifyVMwareUnclassified(t *testing.T) {
	for _, title := range []string{
		"vCenter Server Appliance directory traversal",
		"VMware vCenter Server out-of-bounds write vulnerability (CVE-2023-34048)",
		"vShield Manager Cross-Site Request Forgery vulnerability",
	} {
		got := Classify("vmware", Field{Name: "title", Text: title}, Field{Name: "category", Text: "BugFix"})
		if got.Category != Unclassified || got.Rule != "none" {
			t.Errorf("%q: got %s by %s (%s), want unclassified", title, got.Category, got.Rule, got.Evidence)
		}
		if got.Evidence != "no vmware rule matched the title, category" {
			t.Errorf("%q: evidence %q", title, got.Evidence)
		}
	}
}

// A service console package name is console-os on its own, but the words
// "service console" in the first field decide before a later field is read.
func TestClassifyVMwareFieldOrder(t *testing.T) {
	got := Classify("vmware",
		Field{Name: "summary", Text: "The vmkping command could fail."},
		Field{Name: "packages", Text: "kernel-vmnix"},
	)
	if got.Category != VMM || got.Rule != "vmware-vmm" {
		t.Errorf("got %s by %s, want the summary's vmm to win over the packages", got.Category, got.Rule)
	}
}

// The product decides before the text: real items whose text names a host
// component but whose fix is needed only off the host get no host
// category; management-plane items on the host are console-os; an item
// ESXi shares with the hosted products is in their common VMX.
func TestClassifyVMwareProducts(t *testing.T) {
	cases := []struct {
		source   string
		products []string
		title    string
		want     Category
		rule     string
	}{
		{"VMSA-2015-0003 a", []string{"Horizon View", "vCenter Server", "vRealize Automation"}, "Oracle JRE update", Unclassified, "vmware-not-host"},
		{"VMSA-2016-0005 b", []string{"Workstation", "Player"}, "VMware Workstation and Player SVGA memory corruption in the virtual hardware", Unclassified, "vmware-not-host"},
		{"VMSA-2012-0003 a", []string{"VirtualCenter", "ESX"}, "VirtualCenter and ESX, Oracle (Sun) JRE update 1.5.0_32", ConsoleOS, "vmware-management-agent"},
		{"VMSA-2016-0023 a", []string{"ESXi"}, "Host Client stored cross-site scripting issue", ConsoleOS, "vmware-management-agent"},
		{"VMSA-2013-0001 a", []string{"vCenter Server", "vSphere Client", "ESXi", "ESX"}, "ESX contain a vulnerability in the handling of the management authentication protocol.", ConsoleOS, "vmware-management-agent"},
		{"VMSA-2017-0013 d", []string{"VMware Tools"}, "VMware Tools local privilege escalation", VMM, "vmware-tools"},
		{"VMSA-2017-0006 c", []string{"ESXi", "Workstation", "Fusion"}, "ESXi, Workstation, and Fusion uninitialized memory usage", VMM, "vmware-shared-vmx"},
		{"VMSA-2017-0006 a", []string{"ESXi", "Workstation", "Fusion"}, "ESXi, Workstation, Fusion SVGA memory corruption", VMM, "vmware-vmm"},
		{"no table", nil, "Update to ESX service console bind packages", ConsoleOS, "vmware-service-console"},
		{"VMSA-2015-0001 c", []string{"ESXi", "Workstation", "Player"}, "VMware ESXi, Workstation, and Player contain an input validation issue in VMware Authorization process (vmware-authd).", ConsoleOS, "vmware-management-agent"},
		{"VMSA-2012-0009 b", []string{"ESXi", "ESX", "Workstation"}, "VMware floppy device out-of-bounds memory write", VMM, "vmware-vmm"},
		{"product name", []string{"ESXi"}, "VMware vSphere Hypervisor (ESXi) update for the Host Client", ConsoleOS, "vmware-management-agent"},
		{"hypervisor", []string{"ESXi"}, "A guest may crash the hypervisor.", VMM, "vmware-vmm"},
	}
	for _, c := range cases {
		got := ClassifyVMware(c.products, Field{Name: "title", Text: c.title})
		if got.Category != c.want || got.Rule != c.rule {
			t.Errorf("%s %q: got %s by %s (%s), want %s by %s", c.source, c.title, got.Category, got.Rule, got.Evidence, c.want, c.rule)
		}
		if got.Evidence == "" {
			t.Errorf("%s: no evidence", c.source)
		}
	}
}
