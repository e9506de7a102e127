package normalize

import "testing"

// Real MSRC titles and tags, classified as the microsoft parser does:
// title, then tag, then description.
func TestMicrosoftRules(t *testing.T) {
	cases := []struct {
		title, tag, desc string
		want             Category
		rule             string
	}{
		{"Windows Hyper-V Remote Code Execution Vulnerability", "Role: Windows Hyper-V", "", VMM, "ms-hyperv-vmm"},
		{"Windows Hyper-V NT Kernel Integration VSP Elevation of Privilege Vulnerability", "Role: Windows Hyper-V", "", VMM, "ms-hyperv-vmm"},
		{"Windows Hyper-V Discrete Device Assignment (DDA) Denial of Service Vulnerability", "Role: Windows Hyper-V", "", HardwareCompat, "ms-device-assignment"},
		{"Windows Kernel Elevation of Privilege Vulnerability", "Role: Windows Hyper-V", "", ConsoleOS, "ms-parent-partition"},
		{"Windows SMB Remote Code Execution Vulnerability", "Windows Hyper-V", "", ConsoleOS, "ms-parent-partition"},
		{"Windows Admin Center Elevation of Privilege Vulnerability", "Windows Hyper-V", "", ConsoleOS, "ms-hyperv-management"},
		{"Remote Desktop Client Remote Code Execution Vulnerability", "Windows Hyper-V", "", ConsoleOS, "ms-parent-partition"},
		{"Hypervisor-Protected Code Integrity Security Feature Bypass", "", "", VMM, "ms-hyperv-vmm"},
		{"Windows Speculative Execution Side Channel Information Disclosure", "Windows Hyper-V", "", HardwareCompat, "ms-cpu-side-channel"},
		{"Win32k Elevation of Privilege Vulnerability", "Win32K", "", ConsoleOS, "ms-parent-partition"},
		{".NET and Visual Studio Denial of Service Vulnerability", ".NET", "", Unclassified, "none"},
	}
	for _, c := range cases {
		got := Classify("microsoft", Field{"title", c.title}, Field{"tag", c.tag}, Field{"description", c.desc})
		if got.Category != c.want || got.Rule != c.rule {
			t.Errorf("%q: %s by %s (%s), want %s by %s", c.title, got.Category, got.Rule, got.Evidence, c.want, c.rule)
		}
	}
}
