package redhatkvm

import (
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

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
	noVulns := good[:strings.Index(good, `"vulnerabilities"`)] + `"vulnerabilities": []}`
	noTree := strings.Replace(good, `"branches": [`, `"nobranches": [`, 1)
	cases := []struct {
		name, path, body, want string
	}{
		{"empty document", "2015/rhsa-2015_0999.json", "", "unexpected end of JSON input"},
		{"truncated document", "2015/rhsa-2015_0999.json", good[:len(good)/2], "unexpected end of JSON input"},
		{"garbage", "2015/rhsa-2015_0999.json", "\x00\xffnot json", "invalid character"},
		{"not csaf", "2015/rhsa-2015_0999.json", `{"hello":"world"}`, "no document.tracking.id"},
		{"vulnerabilities removed", "2015/rhsa-2015_0999.json", noVulns, "RHSA-2015:0999 has no vulnerabilities"},
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
