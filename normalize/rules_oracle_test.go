package normalize

import "testing"

// Real risk-matrix components and OVMSA primary packages.
func TestOracleRules(t *testing.T) {
	cases := []struct {
		field, text string
		want        Category
		rule        string
	}{
		{"component", "Core", VMM, "vbox-core"},
		{"component", "Shared Folders", VMM, "vbox-core"},
		{"component", "Guest Additions", VMM, "vbox-core"},
		{"cve", "CVE-2017-5715", HardwareCompat, "oracle-cpu-side-channel"},
		{"package", "xen", VMM, "ovm-xen"},
		{"package", "xen-tools", ConsoleOS, "ovm-dom0-userland"},
		{"package", "kernel-uek", ConsoleOS, "ovm-dom0-kernel"},
		{"package", "openssl", ConsoleOS, "ovm-dom0-userland"},
		{"package", "dhclient", ConsoleOS, "ovm-dom0-userland"},
		{"package", "microcode_ctl", HardwareCompat, "ovm-microcode"},
		{"package", "kernel-uek-firmware", HardwareCompat, "ovm-microcode"},
		{"package", "libvirt", Unclassified, "none"},
	}
	for _, c := range cases {
		got := Classify("oracle", Field{c.field, c.text})
		if got.Category != c.want || got.Rule != c.rule {
			t.Errorf("%s %q: %s by %s, want %s by %s", c.field, c.text, got.Category, got.Rule, c.want, c.rule)
		}
	}
}
