package normalize

import "regexp"

// oracleRules classify Oracle's virtualization fixes. For VirtualBox, a
// type-2 hypervisor, the host OS is not Oracle's: its Core component (the
// VMM, guest memory and CPU virtualization), the emulated devices and the
// host services guests talk to (shared folders, clipboard, 3D) are the
// VMM. For Oracle VM Server (Xen), an advisory is classified by its primary
// RPM: the xen package is the hypervisor and the qemu device model
// packages are VMM too (qemu emulates the guests' hardware, the same
// category it has for every vendor); microcode and firmware packages are
// hardware compatibility; the dom0 kernel, the toolstack (xen-tools), the
// management agent (ovs-agent) and dom0 userland (openssl, dhclient…) are
// its console OS.
var oracleRules = []Rule{
	{"oracle-cpu-side-channel", "oracle", HardwareCompat, "CPU speculative execution",
		regexp.MustCompile(`(?i)CVE-2017-5715|CVE-2017-5753|CVE-2017-5754|` + speculationWords + `|spectre|meltdown|\bL1TF\b`)},
	{"ovm-microcode", "oracle", HardwareCompat, "CPU microcode and firmware",
		regexp.MustCompile(`(?i)^(?:microcode_ctl|linux-firmware|[\w-]+-firmware)$`)},
	{"ovm-xen", "oracle", VMM, "Xen hypervisor",
		regexp.MustCompile(`^xen$`)},
	{"ovm-qemu", "oracle", VMM, "qemu device model",
		regexp.MustCompile(`^qemu(?:-kvm|-xen|-system-x86|-img)?$`)},
	{"ovm-dom0-kernel", "oracle", ConsoleOS, "dom0 kernel",
		regexp.MustCompile(`^kernel(?:-uek)?$`)},
	{"ovm-dom0-userland", "oracle", ConsoleOS, "dom0 userland",
		regexp.MustCompile(`^(?:xen-tools|openssl|openssh|dhclient|dhcp|dhcp-common|glibc|bash|sudo|nss|curl|libxml2|python|ntp|krb5-libs|samba|rpm|tzdata|ovs-agent)$`)},
	{"vbox-core", "oracle", VMM, "VirtualBox VMM",
		regexp.MustCompile(`(?i)^(?:Core|Guest Additions|Shared Folders?|Graphics Driver|Devices|Networking|NAT|Storage|USB|VRDE|Audio)\b`)},
}
