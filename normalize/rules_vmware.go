package normalize

import (
	"fmt"
	"regexp"
	"strings"
)

// vmwareRules classify VMware fixes (advisory items, KB patch summaries,
// bulletin summaries). The mapping:
//
//   - console-os: the ESX service console (Console OS, COS) — its Red Hat
//     packages (samba, bind, openssl…) and its kernel, kernel-vmnix — and
//     the third-party userland an ESXi host ships in their place (glibc,
//     bzip2, libxml2…).
//   - Management agents (hostd, vpxa, the ESXi Host Client, the vSphere
//     API / web services and their HTTP front end (header injection), the
//     management authentication service, CIM: OpenPegasus, sfcb,
//     openwsman, OpenSLP; vmware-authd; Tomcat and the JRE; VCB backup
//     tools) are neither console OS nor VMM on ESXi, where they run
//     as userworlds beside the vmkernel. On ESX classic they are service
//     console processes. We decide: they are console-os everywhere, the
//     management plane beside the hypervisor, so ESX and ESXi compare like
//     for like; the rule (vmware-management-agent) and the component
//     (e.g. "hostd", "Tomcat (service console)") keep them separable.
//   - vmm: the vmkernel (and vmklinux), the vmx/monitor, esx-base, VMCI,
//     virtual devices, guest-to-host escapes and guest timekeeping; VMware
//     Tools, the guest side of the virtual hardware, is counted here too.
//   - hardware-compat: drivers (VMware-esx-drivers-*, driver VIBs),
//     controllers, firmware, new hardware support and a non-empty
//     "Affected Hardware"; CPU errata and speculative-execution
//     mitigations too, although the fix lands in the vmkernel, as the Xen
//     rules do.
//   - feature: the bulletin category Enhancement and new capabilities.
//
// The product decides before the text (ClassifyVMware): an item that needs
// a fix only in vCenter Server, the vSphere Client, Horizon, a hosted
// product (Workstation, Fusion, Player) or any other product that does not
// run on the ESX/ESXi host gets no host category, whatever its text says.
// Management products also match no rule on purpose.
//
// A product's name is not a component: "vSphere Hypervisor" (ESXi's name)
// says nothing about which part of the host a fix touches, so the
// hypervisor counts only as "the hypervisor".
//
// Security or not is a separate flag, never a category. Order matters: the
// service console kernel before the service console, the console before
// the userland package names, drivers before the vmkernel.
var vmwareRules = []Rule{
	{"vmware-tools", "vmware", VMM, "VMware Tools (guest)",
		regexp.MustCompile(`(?i)\bVMware Tools\b|\bTools (?:display )?drivers?\b|\bHGFS\b|Shared Folders`)},
	{"vmware-cos-kernel", "vmware", ConsoleOS, "kernel (service console)",
		regexp.MustCompile(`(?i)\bkernel-vmnix\b|Service Console (?:Operating System \(COS\) )?kernel|\bCOS kernel\b|console OS kernel`)},
	{"vmware-cpu-speculation", "vmware", HardwareCompat, "CPU speculative execution",
		regexp.MustCompile(`(?i)speculative execution|side[- ]channel|\bSpectre\b|\bMeltdown\b|L1 Terminal Fault|\bL1TF\b|Branch Target Injection|Bounds[- ]Check Bypass|\bCPU errat(?:um|a)\b|\bmicrocode\b`)},
	{"vmware-driver", "vmware", HardwareCompat, "driver",
		regexp.MustCompile(`(?i)VMware-esx-drivers-[\w-]+|\b(?:VMW|VMware)_bootbank_(?:net|scsi|nvme|sata|ata|block|lsi|qlnative|elx|brcm|bnx|igb|ixgbe|i40en|ntg3|nmlx|lpfc|qfle|vmw-ahci)[\w-]*|\bmptscsi\w*|\bmegaraid\w*|\bcciss\b|\bLSI\b|\bHBAs?\b|\bNICs?\b|\bfirmware\b|storage controllers?|network adapters?|\bdevice drivers?\b|\bdriver (?:update|CD)\b|support for (?:new )?(?:server|processor|CPU|hardware|platform)s?\b|new hardware`)},
	{"vmware-service-console", "vmware", ConsoleOS, "service console",
		regexp.MustCompile(`(?i)\bservice console\b|\bConsole Operating System\b|\bConsole OS\b|\bCOS\b`)},
	{"vmware-management-agent", "vmware", ConsoleOS, "management agent",
		regexp.MustCompile(`(?i)\bHost Client\b|\bHTTP header injection\b|management authentication|authentication service|\bvmware-authd\b|\bauthd\b|Authorization (?:process|service)|\bhostd\b|\bvpxa\b|vSphere API|\bWeb Services\b|\bOpenPegasus\b|\bPegasus\b|\bCIM\b|\bsfcb\b|\bopenwsman\b|\bOpenSLP\b|\bslpd\b|\bTomcat\b|\bJRE\b|\bJava Runtime\b|VMware-esx-backuptools|\bVCB\b|Consolidated Backup|\bvcbResAll\b`)},
	{"vmware-vmm", "vmware", VMM, "vmkernel / virtual machine monitor",
		regexp.MustCompile(`(?i)\bvmkernel\b|VMware-esx-vmkernel|VMware-esx-vmx|\bvmx\b|\bvmklinux\b|(?:\b|_)esx-base\b|\bVMCI\b|virtual machine monitor|\b(?:the|a|its|ESXi?)\s+hypervisor\b|guest[- ]to[- ]host|\bescape\b|memory corruption in a host process|host process to become unresponsive|\bhost process\b|guest operating system user|virtual (?:machine )?(?:hardware|devices?|network adapter|disk controller|USB|SVGA|e1000|vmxnet)|\bSVGA\b|\bfloppy\b|\bSCSI device\b|checkpoint file|\bvmxnet\d?\b|\be1000e?\b|\b[XEU]HCI\b|guest (?:clock|time)|\btime gain\b|\btimekeeping\b|malformed IP packet|\bvmkping\b`)},
	{"vmware-userland-package", "vmware", ConsoleOS, "third-party userland package",
		regexp.MustCompile(`(?i)\b(?:samba|bind|krb5|vixie-cron|shadow-utils|openldap|pam|gcc|gdb|util-linux|perl|openssl|libxml2|glibc|bzip2|python|openssh|nss|curl|sudo|tzdata|expat|zlib|libpng|libtiff|freetype|net-snmp|ntp)\b`)},
	{"vmware-feature", "vmware", Feature, "new capability",
		regexp.MustCompile(`(?i)^\s*Enhancement\s*$|\badds? support for\b|\bnew feature\b|\bintroduces? (?:support|a new)\b|\benables? support\b|\bsupport for OEM\b`)},
}

// hostProduct names the products that are part of an ESX/ESXi host: the
// host itself, and VMware Tools, the guest side of its virtual hardware.
var hostProduct = regexp.MustCompile(`(?i)^(?:VMware )?(?:ESXi?|ESX 3i|ESX Server|ESXi Server|vSphere Hypervisor|VMware Tools|Tools)\b`)

// hostedProduct names VMware's hosted hypervisors, which share the virtual
// machine executable and its virtual devices with ESXi.
var hostedProduct = regexp.MustCompile(`(?i)^(?:VMware )?(?:Workstation|Fusion|Player)\b`)

// ClassifyVMware tags a VMware item from the products that need a fix for
// it (the affected rows of its remedy table, or the products its title
// names when it has none) and its text fields.
//
// The product decides first: when every product named is off the host
// (vCenter, clients, Horizon, hosted products…), the item is unclassified
// with the products as the reason. Then the text decides (Classify). An
// item the text leaves open that needs a fix both in ESXi and in a hosted
// product is in the code they share, the virtual machine executable and
// its devices, so vmm.
func ClassifyVMware(products []string, fields ...Field) Tag {
	host, hosted := false, false
	for _, p := range products {
		host = host || hostProduct.MatchString(strings.TrimSpace(p))
		hosted = hosted || hostedProduct.MatchString(strings.TrimSpace(p))
	}
	if len(products) > 0 && !host {
		return Tag{
			Category: Unclassified,
			Rule:     "vmware-not-host",
			Evidence: fmt.Sprintf("fixed only in %q: not on the ESX/ESXi host", strings.Join(products, ", ")),
		}
	}
	tag := Classify("vmware", fields...)
	if tag.Category == Unclassified && host && hosted {
		return Tag{
			Category:  VMM,
			Component: "virtual machine executable (shared with the hosted products)",
			Rule:      "vmware-shared-vmx",
			Evidence:  fmt.Sprintf("fixed in %q: ESXi and a hosted product alike", strings.Join(products, ", ")),
		}
	}
	return tag
}
