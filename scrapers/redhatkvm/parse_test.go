package redhatkvm

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/patchwatch/patchwatch/normalize"
	"github.com/patchwatch/patchwatch/scrapers"
)

func recordedPage(t *testing.T, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(recorded + "/" + rel)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A page with its key part removed, or garbage, must fail naming the URL
// and what is missing; never an empty result that looks like "no KVM".
func TestParseBadInput(t *testing.T) {
	good := string(recordedPage(t, "2015/rhsa-2015_0999.json"))
	noTree := strings.Replace(good, `"branches": [`, `"nobranches": [`, 1)
	cases := []struct {
		name, path, body, want string
	}{
		{"empty document", "2015/rhsa-2015_0999.json", "", "unexpected end of JSON input"},
		{"truncated document", "2015/rhsa-2015_0999.json", good[:len(good)/2], "unexpected end of JSON input"},
		{"garbage", "2015/rhsa-2015_0999.json", "\x00\xffnot json", "invalid character"},
		{"not csaf", "2015/rhsa-2015_0999.json", `{"hello":"world"}`, "no document.tracking.id"},
		{"product tree removed", "2015/rhsa-2015_0999.json", noTree, "RHSA-2015:0999 has no product_tree branches"},
		{"wrong advisory at url", "2015/rhsa-2015_1000.json", good, "document holds RHSA-2015:0999, not RHSA-2015:1000"},
		{"index without paths", "index.txt", "<html>maintenance</html>\n", `no "YYYY/rhsa-YYYY_NNNN.json" lines`},
		{"unknown page", "provider-metadata.json", "x", "no redhat-kvm parser"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := scrapers.ParseFile(Source{}, Base+c.path, []byte(c.body))
			if err == nil {
				t.Fatalf("no error; parsed %+v", got)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not say %q", err, c.want)
			}
			if !strings.Contains(err.Error(), "security.access.redhat.com") {
				t.Errorf("error %q does not name the page", err)
			}
		})
	}
}

// An RHSA with no vulnerabilities (Red Hat's end-of-life notices, such as
// RHSA-2019:1862) fixes nothing: it parses to nothing, not to an error.
func TestParseNoVulnerabilities(t *testing.T) {
	good := string(recordedPage(t, "2015/rhsa-2015_0999.json"))
	for name, body := range map[string]string{
		"empty list":    good[:strings.Index(good, `"vulnerabilities"`)] + `"vulnerabilities": []}`,
		"no key at all": strings.TrimSuffix(strings.TrimSpace(good[:strings.Index(good, `"vulnerabilities"`)]), ",") + `}`,
	} {
		got, err := scrapers.ParseFile(Source{}, Base+"2015/rhsa-2015_0999.json", []byte(body))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if len(got.Advisories)+len(got.Patches)+len(got.Fixes) != 0 {
			t.Errorf("%s: parsed %+v, want nothing", name, got)
		}
	}
}

// An advisory that touches no KVM package is skipped on purpose: the
// index lists every Red Hat advisory.
func TestParseSkipsNonKVM(t *testing.T) {
	got, err := scrapers.ParseFile(Source{}, Base+"2023/rhsa-2023_7435.json", recordedPage(t, "2023/rhsa-2023_7435.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !got.Empty() {
		t.Errorf("fence-agents advisory kept: %+v", got.Result)
	}
}

func TestPackageName(t *testing.T) {
	cases := map[string]string{
		"qemu-kvm-10:1.5.3-86.el7_1.2.x86_64":                                        "qemu-kvm",
		"7Server-7.1.Z:qemu-kvm-common-10:1.5.3-86.el7_1.2.x86_64":                   "qemu-kvm-common",
		"AppStream-8.0.0.Z:libvirt-0:4.5.0-23.2.module+el8.0.0+3213+f56c86d8.x86_64": "libvirt",
		"kernel-0:3.10.0-862.2.3.el7.src":                                            "kernel",
		"not-a-nevra":                                                                "not-a-nevra",
	}
	for in, want := range cases {
		if got := packageName(in); got != want {
			t.Errorf("packageName(%q) = %q, want %q", in, got, want)
		}
	}
}

// restart_required, when a document has it, decides the reboot flags;
// without it the package kind does.
func TestRestart(t *testing.T) {
	yes, no := ptr(true), ptr(false)
	pair := func(host, guests *bool) [2]*bool { return [2]*bool{host, guests} }
	cases := []struct {
		name      string
		got, want [2]*bool
	}{
		{"machine", pair(restart("machine")), pair(yes, yes)},
		{"vulnerable_component", pair(restart("vulnerable_component")), pair(no, yes)},
		{"none", pair(restart("none")), pair(no, no)},
		{"unknown category", pair(restart("reboot-ish")), pair(nil, nil)},
		{"kernel package", pair(restartFromPackages([]string{"kernel-0:3.10.0-862.2.3.el7.x86_64"})), pair(yes, yes)},
		{"qemu-kvm package", pair(restartFromPackages([]string{"qemu-kvm-10:1.5.3-86.el7_1.2.x86_64"})), pair(no, yes)},
		{"libvirt package", pair(restartFromPackages([]string{"libvirt-0:4.5.0-23.2.module+el8.0.0+3213+f56c86d8.x86_64"})), pair(no, no)},
	}
	for _, c := range cases {
		if diff := cmp.Diff(c.want, c.got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", c.name, diff)
		}
	}
}

// A document that carries restart_required is read from it, overriding
// the package fallback.
func TestParseRestartRequired(t *testing.T) {
	body := strings.Replace(string(recordedPage(t, "2016/rhsa-2016_0724.json")),
		`"category": "vendor_fix",`, `"category": "vendor_fix", "restart_required": {"category": "machine"},`, 1)
	got, err := scrapers.ParseFile(Source{}, Base+"2016/rhsa-2016_0724.json", []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	p := got.Patches[0]
	if p.RebootRequired == nil || !*p.RebootRequired {
		t.Errorf("reboot_required = %v, want true from restart_required machine", p.RebootRequired)
	}
}

// A kernel CVE makes an erratum KVM-relevant only when its title or its
// description puts the flaw in KVM; a guest it was seen in, a crash log or
// a function on a stack does not.
func TestKVMMentions(t *testing.T) {
	cases := []struct {
		title, description string
		want               bool
	}{
		{"kernel: KVM: s390: fix setting of fpc register", "", true},
		{"kernel: x86/kvm: fix a use-after-free", "", true},
		{"Kernel: KVM: nVMX: use-after-free of the hrtimer", "", true},
		{"kernel: use-after-free in kvm_ioctl_create_device", "", true},
		{"kernel: vt_ioctl: fix array_index_nospec", "In the Linux kernel, the following vulnerability has been resolved:\n\nKVM: arm64: fix the vgic ITS table walk", true},
		{"kernel: out-of-bounds write", "A flaw was found in KVM. A guest could write past a buffer.", true},
		{"kernel: out-of-bounds write", "A flaw was found in the Linux kernel's KVM subsystem.", true},
		{"kernel: bonding: null pointer dereference", "bonding: fix xfrm\n\n kernel: Hardware name: QEMU KVM Virtual Machine\n kernel:  ? kvm_read_and_reset_apf_flags+0x3b/0x50", false},
		{"kernel: mm/filemap: page cache size", "The bug was hit in KVM guests on ARM64.", false},
		{"kernel: net: sk leak", "Hardware name: QEMU KVM Virtual Machine, BIOS edk2-20240524-1.el9 05/24/2024", false},
	}
	for _, c := range cases {
		got := kvmTitle.MatchString(c.title) || kvmDescription.MatchString(normalize.WithoutQuotedLogs(c.description))
		if got != c.want {
			t.Errorf("%q / %q: KVM %v, want %v", c.title, c.description, got, c.want)
		}
	}
}

// A vulnerability without a CVE is still a fix; a malformed CVE is an
// error naming the page.
func TestParseVulnerabilityCVE(t *testing.T) {
	good := string(recordedPage(t, "2015/rhsa-2015_0999.json"))
	var doc map[string]any
	if err := json.Unmarshal([]byte(good), &doc); err != nil {
		t.Fatal(err)
	}
	vulns := doc["vulnerabilities"].([]any)
	first := vulns[0].(map[string]any)
	cve := first["cve"].(string)

	delete(first, "cve")
	body, _ := json.Marshal(doc)
	got, err := scrapers.ParseFile(Source{}, Base+"2015/rhsa-2015_0999.json", body)
	if err != nil {
		t.Fatalf("no cve: %v", err)
	}
	if len(got.Fixes) != len(vulns) || len(got.Fixes[0].CVEs) != 0 {
		t.Errorf("no cve: %d fixes for %d vulnerabilities, first with CVEs %q", len(got.Fixes), len(vulns), got.Fixes[0].CVEs)
	}
	if slices.Contains(got.Advisories[0].CVEs, cve) || slices.Contains(got.Advisories[0].CVEs, "") {
		t.Errorf("no cve: advisory CVEs %q", got.Advisories[0].CVEs)
	}

	first["cve"] = "CVE-15-1"
	body, _ = json.Marshal(doc)
	if _, err := scrapers.ParseFile(Source{}, Base+"2015/rhsa-2015_0999.json", body); err == nil || !strings.Contains(err.Error(), `malformed cve "CVE-15-1"`) {
		t.Errorf("malformed cve: error %v", err)
	}
}
