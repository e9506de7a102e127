package vmware

import (
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/patchwatch/patchwatch/normalize"
	"github.com/patchwatch/patchwatch/scrapers"
)

const (
	mail2007   = "http://lists.vmware.com/pipermail/security-announce/2007/000001.html"
	matrixPage = "https://www.vmware.com/security/advisories/VMSA-2021-0002.html"
	kbPatch    = "https://kb.vmware.com/kb/1002424"
	rn670      = "https://docs.vmware.com/en/VMware-vSphere/6.7/rn/esxi670-202102001.html"
)

// recordedPath is where the page of a URL is recorded under fixturesDir.
func recordedPath(t *testing.T, rawURL string) string {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	name, err := scrapers.RecordedPath(fixturesDir, u)
	if err != nil {
		t.Fatal(err)
	}
	return name
}

// fixture reads the recorded page of a URL.
func fixture(t *testing.T, rawURL string) string {
	t.Helper()
	b, err := os.ReadFile(recordedPath(t, rawURL))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// cut removes the first match of pattern (across lines) from page.
func cut(t *testing.T, page, pattern string) string {
	t.Helper()
	re := regexp.MustCompile(`(?s)` + pattern)
	if !re.MatchString(page) {
		t.Fatalf("pattern %q not in the page", pattern)
	}
	return re.ReplaceAllString(page, "")
}

// Bad input must give an error that names the page and says what is
// missing, never a panic and never an empty advisory.
func TestParseBadInput(t *testing.T) {
	mail := fixture(t, mail2007)
	matrix := fixture(t, matrixPage)
	kb := fixture(t, kbPatch)
	rn := fixture(t, rn670)
	cases := []struct {
		name, url, body, want string
	}{
		{"empty mail page", mail2007, "", "no <pre> mail body"},
		{"garbage at a mail URL", mail2007, "\x00\xff\xfe garbage \x89PNG", "no <pre> mail body"},
		{"truncated mail", mail2007, mail[:strings.Index(mail, "6. Contact")], "no signature block (truncated page?)"},
		{"mail without sections", mail2007, cut(t, mail, `\n[1-6]\. (Summary|Relevant releases|Problem description|Solution|References|Contact):`), "no numbered sections"},
		{"mail without advisory id", mail2007, cut(t, mail, `Advisory ID:\s+VMSA-2007-0006`), `no "Advisory ID: VMSA-YYYY-NNNN"`},
		{"mail without patch lists", mail2007, cut(t, cut(t, cut(t, cut(t, cut(t, cut(t, mail,
			`\n\s+ESX\n\s+---\n\s+VMware ESX 3\.0\.2\n.*?ESX-1001212\n`), `\n\s+ESX\n\s+---\n.*?not affected by this issue\n`),
			`VMware Workstation 6\.0 upgrade to 6\.0\.1\n\s+VMware Workstation 5\.5 upgrade to 5\.5\.5\n\s+VMware Player 2\.0 upgrade to 2\.0\.1\n\s+VMware Player 1\.0 upgrade to 1\.0\.5\n\s+VMware Server 1\.0 upgrade to 1\.0\.4`),
			`VMware Workstation 6\.0 upgrade to 6\.0\.1\n\s+VMware Workstation 5\.5 upgrade to 5\.5\.5`),
			`VMware Workstation 6\.0 upgrade to 6\.0\.1\n\n\s*V `), `VMware Player 2\.0 upgrade to 2\.0\.1\n\nVI`),
			"no remedy table or patch list"},
		{"matrix page without its tables", matrixPage, cut(t, matrix, `<table class="response-matrix">.*?</table>`), "no Response Matrix table"},
		{"advisory at the wrong URL", "https://www.vmware.com/security/advisories/VMSA-2021-0003.html", matrix, "page holds VMSA-2021-0002, not VMSA-2021-0003"},
		{"advisory list without links", AdvisoryIndex, "<html><body><p>maintenance</p></body></html>", "no VMSA-YYYY-NNNN.html links"},
		{"archive index without messages", "http://lists.vmware.com/pipermail/security-announce/2007/date.html", "<html><body><ul></ul></body></html>", "no message links"},
		{"patch list without KB links", PatchIndex, "<html><body><table></table></body></html>", "no kb.vmware.com/kb/N patch links"},
		{"KB page without its field table", kbPatch, cut(t, kb, `<table class="patchDetails">.*?</table>`), "no Patch Classification field"},
		{"KB page without summary list", kbPatch, cut(t, kb, `<ul>.*?</ul>`), "no summary of fixes"},
		{"release notes without bulletins", rn670, cut(t, rn, `<h3>ESXi670-202102401-SG</h3>`), "no bulletin sections"},
		{"build table without rows", BuildTable, "<table><tr><th>Version</th><th>Release Name</th><th>Release Date</th><th>Build Number</th></tr></table>", "build table has a header but no rows"},
		{"broadcom garbage", BroadcomList, "\x00\x01not json", "invalid character"},
		{"broadcom failure", BroadcomList, `{"success":false}`, `without "success": true`},
		{"broadcom empty list", BroadcomList, `{"success":true,"data":{"list":[]}}`, `empty advisory "list"`},
		{"unknown page", "https://www.vmware.com/products/esxi.html", "<html></html>", "no vmware parser"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := scrapers.ParseFile(Source{}, c.url, []byte(c.body))
			if err == nil {
				t.Fatalf("no error; parsed %+v", got.Result)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not say %q", err, c.want)
			}
			u, _ := url.Parse(c.url)
			if !strings.Contains(err.Error(), u.Host) {
				t.Errorf("error %q does not name the page", err)
			}
		})
	}
}

// Fixed-width remedy rows as the mails print them, and as copies that
// collapsed the column spacing print them, for the four-column table and
// the six-column one with Severity and Workaround.
func TestParseTextRow(t *testing.T) {
	four := canonicalColumns
	six := columns{colProduct, colVersion, colPlatform, colSeverity, colRemedy, colOther}
	fixed := func(product, version, platform string, ids ...string) []normalize.Remedy {
		var out []normalize.Remedy
		for _, id := range ids {
			out = append(out, normalize.Remedy{Product: product, Version: version, Platform: platform, Status: "fixed", PatchID: id})
		}
		return out
	}
	cases := []struct {
		line     string
		cols     columns
		want     []normalize.Remedy
		severity string
		ok       bool
	}{
		{"ESXi           5.0       ESXi     ESXi500-201112402-BG", four, fixed("ESXi", "5.0", "ESXi", "ESXi500-201112402-BG"), "", true},
		{"ESX 4.1 ESX ESX410-201204401-SG", four, fixed("ESX", "4.1", "ESX", "ESX410-201204401-SG"), "", true},
		{"hosted * any any not affected", four, []normalize.Remedy{{Product: "hosted *", Version: "any", Platform: "any", Status: "not-affected"}}, "", true},
		{"ESX 4.0 ESX see VMSA-2012-0013 **", four, []normalize.Remedy{{Product: "ESX", Version: "4.0", Platform: "ESX", Status: "fixed", FixedVersion: "see VMSA-2012-0013"}}, "", true},
		{"Fusion         4.x       Mac OS/X not affected", four, []normalize.Remedy{{Product: "Fusion", Version: "4.x", Platform: "Mac OS/X", Status: "not-affected"}}, "", true},
		{"Update Manager 5.0      Windows     Update Manager 5.0 Update 1", four, []normalize.Remedy{{Product: "Update Manager", Version: "5.0", Platform: "Windows", Status: "fixed", FixedVersion: "Update Manager 5.0 Update 1"}}, "", true},
		{"Update Manager 4.1       Windows    not applicable **", four, []normalize.Remedy{{Product: "Update Manager", Version: "4.1", Platform: "Windows", Status: "not-applicable"}}, "", true},
		{"VirtualCenter  2.5      Windows     not applicable **", four, []normalize.Remedy{{Product: "VirtualCenter", Version: "2.5", Platform: "Windows", Status: "not-applicable"}}, "", true},
		{"ESXi            4.1       ESXi     no patch planned", four, []normalize.Remedy{{Product: "ESXi", Version: "4.1", Platform: "ESXi", Status: "not-applicable", FixedVersion: "no patch planned"}}, "", true},
		{"ESX               4.0         ESX         ESX400-201302401-SG (includes vSphere client)", four, fixed("ESX", "4.0", "ESX", "ESX400-201302401-SG"), "", true},
		{"ESXi     6.0    ESXi    Important  ESXi600-201611102-SG   None", six, fixed("ESXi", "6.0", "ESXi", "ESXi600-201611102-SG"), "Important", true},
		{"ESXi     6.5    ESXi    N/A        not affected           N/A", six, []normalize.Remedy{{Product: "ESXi", Version: "6.5", Platform: "ESXi", Status: "not-affected"}}, "", true},
		{"ESXi 6.0 ESXi Important ESXi600-201611102-SG None", six, fixed("ESXi", "6.0", "ESXi", "ESXi600-201611102-SG"), "Important", true},
		{"ESXi 6.0 U3 ESXi Critical ESXi600-201703401-SG None", six, fixed("ESXi", "6.0 U3", "ESXi", "ESXi600-201703401-SG"), "Critical", true},
		{"ESXi 6.0 U2* ESXi Critical KB 2149673 None", six, []normalize.Remedy{{Product: "ESXi", Version: "6.0 U2*", Platform: "ESXi", Status: "fixed", FixedVersion: "KB 2149673"}}, "Critical", true},
		{"vRealize Log Insight 2.8.x, 2.7.x VA Moderate 3.6.0 None", six, []normalize.Remedy{{Product: "vRealize Log Insight", Version: "2.8.x, 2.7.x", Platform: "VA", Status: "fixed", FixedVersion: "3.6.0"}}, "Moderate", true},
		{"* hosted products are VMware Workstation, Player, ACE, Fusion.", four, nil, "", false},
		{"Column 4 of the following table lists the action required to", four, nil, "", false},
	}
	for _, c := range cases {
		got, severity, ok := parseTextRow(c.line, c.cols)
		if ok != c.ok {
			t.Errorf("%q: ok=%v, want %v (%+v)", c.line, ok, c.ok, got)
			continue
		}
		if diff := cmp.Diff(c.want, got); diff != "" {
			t.Errorf("%q (-want +got):\n%s", c.line, diff)
		}
		if severity != c.severity {
			t.Errorf("%q: severity %q, want %q", c.line, severity, c.severity)
		}
	}
}

// A fixed-width table goes on past a line that only adds a patch to the
// row above, and its header decides which column is the remedy.
func TestRemedyTableText(t *testing.T) {
	table := `   VMware          Product   Running           Replace with/
   Product         Version   on       Severity Apply Patch          Workaround
   ==============  ========  =======  ======== ===================  ==========
   ESXi            4.0       ESXi     Important ESXi400-201302401-SG None
   ESXi400-201302403-SG (vSphere client)
   ESXi            3.5       ESXi     N/A       not affected         N/A

   ESX             4.0       ESX      Important ESX400-201302401-SG (includes vSphere client)  None
`
	got := remedyTable(table)
	var ids []string
	for _, r := range got.remedies {
		if r.PatchID != "" {
			ids = append(ids, r.Product+" "+r.Version+" "+r.PatchID)
		}
	}
	want := []string{"ESXi 4.0 ESXi400-201302401-SG", "ESXi 4.0 ESXi400-201302403-SG", "ESX 4.0 ESX400-201302401-SG"}
	if diff := cmp.Diff(want, ids); diff != "" {
		t.Errorf("patches (-want +got):\n%s", diff)
	}
	if len(got.remedies) != 4 || got.remedies[2].Status != normalize.RemedyNotAffected {
		t.Errorf("remedies %+v, want the 3.5 row not affected", got.remedies)
	}
	if got.severity != "Important" {
		t.Errorf("severity %q", got.severity)
	}
}

// The archive index follows only the messages that carry an advisory.
func TestMailIndexFollowsAdvisoriesOnly(t *testing.T) {
	page := `<html><body><ul>
<LI><A HREF="000001.html">[Security-announce] VMSA-2007-0006 Critical security updates</A>
<LI><A HREF="000002.html">[Security-announce] List maintenance notice</A>
<LI><A HREF="http://example.com/000003.html">[Security-announce] VMSA-2007-0007 elsewhere</A>
</ul></body></html>`
	got, err := scrapers.ParseFile(Source{}, "http://lists.vmware.com/pipermail/security-announce/2007/date.html", []byte(page))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{mail2007}, got.Follow); diff != "" {
		t.Errorf("follow (-want +got):\n%s", diff)
	}
}

// A hosted-only problem is that product's fix, never an ESX fix; an ESX
// row that needs a patch makes the fix an ESX fix even when hosted rows
// come first.
func TestProductOfFix(t *testing.T) {
	got, err := scrapers.ParseFile(Source{}, mail2007, []byte(fixture(t, mail2007)))
	if err != nil {
		t.Fatal(err)
	}
	products := map[string]string{}
	for _, f := range got.Fixes {
		products[f.ID] = f.Product
	}
	want := map[string]string{
		"VMSA-2007-0006/I": "ESX", "VMSA-2007-0006/II": "Workstation", "VMSA-2007-0006/III": "Workstation",
		"VMSA-2007-0006/IV": "Workstation", "VMSA-2007-0006/V": "Player",
	}
	for id, p := range want {
		if products[id] != p {
			t.Errorf("%s: product %q, want %q", id, products[id], p)
		}
	}
	for _, f := range got.Fixes[5:] {
		if f.Product != "ESX" || !strings.HasSuffix(f.Component, "(service console)") || f.Category != normalize.ConsoleOS {
			t.Errorf("%s: %s %q %s, want an ESX service console fix", f.ID, f.Product, f.Component, f.Category)
		}
	}
}

// Every seed is recorded, so a replay harvest starts from real pages.
func TestSeedsRecorded(t *testing.T) {
	for _, s := range (Source{}).Seeds() {
		if _, err := os.Stat(recordedPath(t, s)); err != nil {
			t.Errorf("seed %s not recorded: %v", s, err)
		}
	}
	for _, q := range (Source{}).SeedRequests() {
		p, err := q.RecordedPath(fixturesDir)
		if err == nil {
			_, err = os.Stat(p)
		}
		if err != nil {
			t.Errorf("seed request %s not recorded: %v", q.Key(), err)
		}
	}
}

// The 2016 vmware.com layout draws tables with divs: a data-heading div
// per column, its <h5> heading above cells nested one in the other. The
// same markup draws the header box as one column of label lines.
func TestDivTablePage(t *testing.T) {
	page := `<html><body>
<div><h2>VMSA-2016-0099.1</h2><h3>VMware ESXi updates address an issue</h3></div>
<div><div>
  <div data-heading="headingOne"><h5>VMware Security Advisory</h5></div>
  <div data-heading="headingTwo"><h5><span>Advisory ID: </span><span>VMSA-2016-0099.1<br /></span><span>Synopsis: </span><span>VMware ESXi updates address an issue<br /></span><span>Issue date: </span><span>2016-09-01<br /></span><span>Updated on: </span><span>2016-09-02<br /></span><span>CVE numbers: </span><span>CVE-2016-0001</span></h5></div>
</div></div>
<div><h5>1. Summary</h5><p>Updates address an issue.</p></div>
<div><h5>2. Relevant Products</h5><ul><li>VMware vSphere Hypervisor (ESXi)</li></ul>
<h5>3. Problem Description</h5>
<p><b>a. ESXi Host Client stored cross-site scripting</b></p>
<p>The Host Client of ESXi does not escape a field. CVE-2016-0001 is this issue.</p></div>
<div><div>
  <div data-heading="headingOne"><h5>VMware Product</h5><div>ESXi</p><div>ESXi</p><div>ESXi</div></div></div></div>
  <div data-heading="headingTwo"><h5>Product Version</h5><div>6.5</p><div>6.0 U2</p><div>5.5</div></div></div></div>
  <div data-heading="headingThree"><h5>Running on</h5><div>ESXi</p><div>ESXi</p><div>ESXi</div></div></div></div>
  <div data-heading="headingFour"><h5>Severity</h5><div>N/A</p><div>Important</p><div>Important</div></div></div></div>
  <div data-heading="headingFive"><h5>Replace with/ Apply Patch</h5><div>not affected</p><div>ESXi600-201609101-SG</p><div><div>ESXi550-201609101-SG (includes Host Client)</div></div></div></div></div>
  <div data-heading="headingSix"><h5>Workaround</h5><div>N/A</p><div>None</p><div>None</div></div></div></div>
</div></div>
<div><h5>4. Solution</h5><p>See the patches.</p></div>
</body></html>`
	got, err := scrapers.ParseFile(Source{}, "https://www.vmware.com/security/advisories/VMSA-2016-0099.html", []byte(page))
	if err != nil {
		t.Fatal(err)
	}
	a := got.Advisories[0]
	if a.ID != "VMSA-2016-0099" || a.Version != 1 || a.Published != "2016-09-01" || a.Updated != "2016-09-02" || a.Title != "VMware ESXi updates address an issue" {
		t.Errorf("advisory %+v", a)
	}
	f := got.Fixes[0]
	want := []normalize.Remedy{
		{Product: "ESXi", Version: "6.5", Platform: "ESXi", Status: normalize.RemedyNotAffected},
		{Product: "ESXi", Version: "6.0 U2", Platform: "ESXi", Status: normalize.RemedyFixed, PatchID: "ESXi600-201609101-SG"},
		{Product: "ESXi", Version: "5.5", Platform: "ESXi", Status: normalize.RemedyFixed, PatchID: "ESXi550-201609101-SG"},
	}
	if diff := cmp.Diff(want, f.Remedies); diff != "" {
		t.Errorf("remedies (-want +got):\n%s", diff)
	}
	if f.Severity != "Important" || f.Category != normalize.ConsoleOS || f.Rule != "vmware-management-agent" {
		t.Errorf("fix %s: severity %q, %s by %s (%s)", f.ID, f.Severity, f.Category, f.Rule, f.Evidence)
	}
}

// Copies of the 2016 pages carry the header box and the remedy tables as
// images. The title block still names the advisory, the items keep their
// CVEs, and the products a title names decide before its text.
func TestPageWithoutTables(t *testing.T) {
	page := `<html><body>
<div><h2>VMSA-2016-0098.1</h2><h3>VMware product updates address two issues</h3></div>
<div><div><div data-heading="headingOne"><h5>VMware Security Advisory</h5></div><div data-heading="headingTwo"><h5><img src="box.jpg"></h5></div></div></div>
<div><h5>1. Summary</h5><p>Updates address two issues.</p>
<h5>2. Relevant Products</h5><ul><li>VMware vCenter Server</li><li>VMware vSphere Hypervisor (ESXi)</li><li>VMware Fusion</li></ul>
<h5>3. Problem Description</h5>
<p><b>a. HTTP header injection in vCenter Server and ESXi</b></p>
<p>Both accept a crafted header. The identifier CVE-2016-0002 has been assigned.</p>
<p><img src="table-a.jpg"></p>
<p><b>b. VMware Fusion information disclosure</b></p>
<p>The virtual machine monitor leaks an address. The identifier CVE-2016-0003 has been assigned.</p>
<p><img src="table-b.jpg"></p>
<p><b>c. VMware Workstation and VMware Tools shared folders issue</b></p>
<p>A guest user may read files. The identifier CVE-2016-0004 has been assigned.</p>
<p><b>4. Solution</b></p><p>See the downloads.</p></div>
</body></html>`
	got, err := scrapers.ParseFile(Source{}, "https://www.vmware.com/security/advisories/VMSA-2016-0098.html", []byte(page))
	if err != nil {
		t.Fatal(err)
	}
	a := got.Advisories[0]
	if a.ID != "VMSA-2016-0098" || a.Version != 1 || a.Title != "VMware product updates address two issues" {
		t.Errorf("advisory %s v%d %q", a.ID, a.Version, a.Title)
	}
	if diff := cmp.Diff([]string{"CVE-2016-0002", "CVE-2016-0003", "CVE-2016-0004"}, a.CVEs); diff != "" {
		t.Errorf("CVEs (-want +got):\n%s", diff)
	}
	cats := map[string]string{}
	for _, f := range got.Fixes {
		cats[f.ID] = string(f.Category) + " " + f.Rule
	}
	wantCats := map[string]string{
		"VMSA-2016-0098/a": "console-os vmware-management-agent",
		"VMSA-2016-0098/b": "unclassified vmware-not-host",
		"VMSA-2016-0098/c": "vmm vmware-tools",
	}
	if diff := cmp.Diff(wantCats, cats); diff != "" {
		t.Errorf("categories (-want +got):\n%s", diff)
	}
	mail := strings.Replace(fixture(t, mail2007), "Advisory ID:", "Advisory:", 1)
	if _, err := scrapers.ParseFile(Source{}, mail2007, []byte(mail)); err == nil {
		t.Error("a mail without an Advisory ID label parsed")
	}
}
