package oracle

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/patchwatch/patchwatch/normalize"
	"github.com/patchwatch/patchwatch/scrapers"
)

func fixture(t *testing.T, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtures, rel))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Bad input must give an error naming the page and what is missing.
func TestParseBadInput(t *testing.T) {
	cpu := fixture(t, "www.oracle.com/security-alerts/cpujan2018.html")
	oval := fixture(t, "linux.oracle.com/oval/com.oracle.ovmsa-20170007.xml")
	cpuURL := AlertsIndex + "cpujan2018.html"
	ovalURL := OVALIndex + "com.oracle.ovmsa-20170007.xml"
	noMatrix := cpu[:strings.Index(cpu, `<h4 id="AppendixOVIR">`)] + "</body></html>"
	noHistory := strings.Replace(cpu, "Rev 1. Initial Release", "Initial Release", 1)
	noScore := strings.Replace(cpu, "<th>Base Score</th>", "<th>Score</th>", 1)
	shortRow := strings.Replace(cpu, "<td>8.8</td>\n", "", 1)
	badVector := strings.Replace(cpu, "<td>Changed</td>", "<td>Sometimes</td>", 1)
	noCriteria := strings.ReplaceAll(oval, "is earlier than", "is at least")
	noRef := strings.Replace(oval, `source="ovmsa"`, `source="elsa"`, 1)
	cases := []struct{ name, url, body, want string }{
		{"empty CPU page", cpuURL, "", "no risk matrix table"},
		{"CPU page without the matrix", cpuURL, noMatrix, "no risk matrix table"},
		{"CPU page without history", cpuURL, noHistory, "no dated revision"},
		{"matrix without base score", cpuURL, noScore, `no "basescore" column`},
		{"truncated row", cpuURL, shortRow, "has 15 cells, the header 16 columns"},
		{"unknown CVSS word", cpuURL, badVector, `column "scope" holds "Sometimes"`},
		{"unknown month", AlertsIndex + "cpuxyz2018.html", cpu, `unknown month "xyz"`},
		{"empty OVAL", ovalURL, "", "malformed OVAL XML"},
		{"truncated OVAL", ovalURL, oval[:len(oval)/2], "malformed OVAL XML"},
		{"OVAL without packages", ovalURL, noCriteria, "is earlier than <version>"},
		{"OVAL without ovmsa reference", ovalURL, noRef, "no ovmsa reference"},
		{"OVAL at the wrong URL", OVALIndex + "com.oracle.ovmsa-20170008.xml", oval, "definition is OVMSA-2017-0007, not OVMSA-2017-0008"},
		{"OVAL entity refused", ovalURL, `<!DOCTYPE d [<!ENTITY x "y">]><oval_definitions>&x;</oval_definitions>`, "malformed OVAL XML"},
		{"alerts index without CPUs", AlertsIndex, "<html><body><a href='/x.html'>x</a></body></html>", "no Critical Patch Update links"},
		{"OVAL listing without OVMSA", OVALIndex, "<html><a href='com.oracle.elsa-20240001.xml'>x</a></html>", "no com.oracle.ovmsa"},
		{"unknown page", "https://www.oracle.com/java/", cpu, "no oracle parser"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := scrapers.ParseFile(Source{}, c.url, []byte(c.body))
			if err == nil {
				t.Fatalf("no error; parsed %+v", got.Result)
			}
			if !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "oracle.com") {
				t.Errorf("error %q does not name the page and say %q", err, c.want)
			}
		})
	}
}

// A pre-July-2008 style matrix (Vuln#, no Product column) under a heading
// that is not VirtualBox's yields nothing; other products' rows in a
// matrix with a Product column are skipped.
func TestRiskMatrixFiltering(t *testing.T) {
	page := `<html><body><table><tr><td>2008-January-15</td><td>Rev 1. Initial Release</td></tr></table>
<h3>Oracle Database Risk Matrix</h3>
<table><tr><th rowspan="2">Vuln#</th><th rowspan="2">Component</th><th colspan="6">CVSS VERSION 2.0 RISK</th><th rowspan="2">Supported Versions Affected</th></tr>
<tr><th>Base Score</th><th>Access Vector</th><th>Access Complexity</th><th>Authentication</th><th>Confidentiality</th><th>Integrity</th><th>Availability</th></tr>
<tr><th>DB01</th><td>Core RDBMS</td><td>4.0</td><td>Network</td><td>Low</td><td>Single</td><td>Partial</td><td>None</td><td>None</td><td>10.2.0.3</td></tr></table>
<h3>Oracle Virtualization Risk Matrix</h3>
<table><tr><th rowspan="2">CVE#</th><th rowspan="2">Product</th><th rowspan="2">Component</th><th colspan="9">CVSS VERSION 3.1 RISK</th><th rowspan="2">Supported Versions Affected</th></tr>
<tr><th>Base Score</th><th>Attack Vector</th><th>Attack Complex</th><th>Privs Req'd</th><th>User Interact</th><th>Scope</th><th>Confid-entiality</th><th>Inte-grity</th><th>Avail-ability</th></tr>
<tr><th>CVE-2020-14872</th><td>Oracle VM VirtualBox</td><td>Core</td><td>8.2</td><td>Local</td><td>Low</td><td>High</td><td>None</td><td>Changed</td><td>High</td><td>High</td><td>High</td><td>Prior to 6.1.16</td></tr>
<tr><th>CVE-2020-0000</th><td>Oracle Secure Global Desktop</td><td>Gateway</td><td>5.0</td><td>Network</td><td>Low</td><td>None</td><td>None</td><td>Unchanged</td><td>Low</td><td>None</td><td>None</td><td>5.5</td></tr></table></body></html>`
	got, err := scrapers.ParseFile(Source{}, AlertsIndex+"cpujan2008.html", []byte(page))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, f := range got.Fixes {
		ids = append(ids, f.CVEs...)
	}
	if diff := cmp.Diff([]string{"CVE-2020-14872"}, ids); diff != "" {
		t.Errorf("kept CVEs (-want +got):\n%s", diff)
	}
	if got.Patches[0].ID != "CPUJan2008-VirtualBox" || got.Advisories[0].Published != "2008-01-15" {
		t.Errorf("patch %s published %s", got.Patches[0].ID, got.Advisories[0].Published)
	}
}

func TestCPUID(t *testing.T) {
	for in, want := range map[[2]string]string{{"jan", "2024"}: "CPUJan2024", {"july", "2011"}: "CPUJul2011", {"october", "2006"}: "CPUOct2006"} {
		got, err := cpuID(in[0], in[1])
		if err != nil || got != want {
			t.Errorf("cpuID(%v) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestQualitative(t *testing.T) {
	cases := []struct {
		v     string
		score float64
		want  string
	}{{"3.1", 9.0, "Critical"}, {"3.0", 8.8, "High"}, {"3.1", 4.0, "Medium"}, {"3.1", 0.1, "Low"}, {"2.0", 6.9, "Medium"}, {"2.0", 7.0, "High"}, {"2.0", 3.9, "Low"}}
	for _, c := range cases {
		if got := qualitative(c.v, c.score); got != c.want {
			t.Errorf("qualitative(%s, %.1f) = %s, want %s", c.v, c.score, got, c.want)
		}
	}
}

func TestOVMServerCategories(t *testing.T) {
	cases := map[string]normalize.Category{
		"OVMSA-2017-0007": normalize.VMM, "OVMSA-2018-0013": normalize.HardwareCompat,
		"OVMSA-2018-0023": normalize.ConsoleOS, "OVMSA-2014-0040": normalize.ConsoleOS,
	}
	for id, want := range cases {
		num := strings.ReplaceAll(strings.TrimPrefix(id, "OVMSA-"), "-", "")
		body := fixture(t, "linux.oracle.com/oval/com.oracle.ovmsa-"+num+".xml")
		got, err := scrapers.ParseFile(Source{}, OVALIndex+"com.oracle.ovmsa-"+num+".xml", []byte(body))
		if err != nil {
			t.Fatal(err)
		}
		if f := got.Fixes[0]; f.Category != want {
			t.Errorf("%s: %s by %s (%s), want %s", id, f.Category, f.Rule, f.Evidence, want)
		}
	}
}

// Both URL schemes of a Critical Patch Update page name the same CPU;
// other Oracle pages match neither.
func TestCPUPath(t *testing.T) {
	for path, want := range map[string][2]string{
		"/security-alerts/cpujan2018.html":                              {"jan", "2018"},
		"/technetwork/security-advisory/cpujul2017-3236622.html":        {"jul", "2017"},
		"/technetwork/topics/security/cpujul2014-1972956.html":          {"jul", "2014"},
		"/technetwork/security-advisory/cpuoct2016-2881722.html":        {"oct", "2016"},
		"/security-alerts/alert-cve-2021-44228.html":                    {},
		"/technetwork/security-advisory/alert-cve-2017-10151-3934.html": {},
		"/security-alerts/cpujan2018.html.bak":                          {},
	} {
		m := cpuPath.FindStringSubmatch(path)
		var got [2]string
		if m != nil {
			got = [2]string{m[1], m[2]}
		}
		if got != want {
			t.Errorf("%s: got %v, want %v", path, got, want)
		}
	}
}
