package microsoft

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/patchwatch/patchwatch/normalize"
	"github.com/patchwatch/patchwatch/scrapers"
)

func recordedDoc(t *testing.T, id string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(recorded, "cvrf", id))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Bad input must give an error naming the page and what is missing.
func TestParseBadInput(t *testing.T) {
	good := string(recordedDoc(t, "2024-Mar"))
	noVulns := good[:strings.Index(good, "<vuln:Vulnerability")] + "</cvrf:cvrfdoc>\n"
	noTree := good[:strings.Index(good, "<prod:ProductTree>")] + good[strings.Index(good, "</prod:ProductTree>")+len("</prod:ProductTree>"):]
	noTracking := good[:strings.Index(good, "<cvrf:DocumentTracking>")] + good[strings.Index(good, "</cvrf:DocumentTracking>")+len("</cvrf:DocumentTracking>"):]
	bomb := `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>` +
		`<cvrf:cvrfdoc xmlns:cvrf="http://www.icasi.org/CVRF/schema/cvrf/1.1"><cvrf:DocumentTitle>&lol2;</cvrf:DocumentTitle></cvrf:cvrfdoc>`
	external := `<?xml version="1.0"?><!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>` +
		`<cvrfdoc><DocumentTitle>&xxe;</DocumentTitle></cvrfdoc>`
	doc := documentURL("2024-Mar")
	cases := []struct {
		name, url, body, want string
	}{
		{"empty document", doc, "", "malformed CVRF XML: EOF"},
		{"truncated document", doc, good[:len(good)/2], "malformed CVRF XML"},
		{"garbage", doc, "\x00\xff garbage", "malformed CVRF XML"},
		{"html error page", doc, "<html><body><h1>502</h1></body></html>", "malformed CVRF XML"},
		{"entity expansion refused", doc, bomb, "malformed CVRF XML"},
		{"external entity refused", doc, external, "malformed CVRF XML"},
		{"no vulnerabilities", doc, noVulns, "no Vulnerability elements"},
		{"no product tree", doc, noTree, "no ProductTree"},
		{"no tracking", doc, noTracking, "no DocumentTracking/Identification/ID"},
		{"wrong month", documentURL("2024-Feb"), good, "document is 2024-Mar, not 2024-Feb"},
		{"index not json", Base + "updates", "<html>", "updates index"},
		{"index empty", Base + "updates", `{"value":[]}`, `no "value" entries`},
		{"index bad link", Base + "updates", `{"value":[{"ID":"2024-Mar","CvrfUrl":"https://example.com/x"}]}`, "no usable CvrfUrl"},
		{"unknown path", Base + "cvrf/latest", good, "no microsoft parser"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := scrapers.ParseFile(Source{}, c.url, []byte(c.body))
			if err == nil {
				t.Fatalf("no error; parsed %+v", got.Result)
			}
			if !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), Host) {
				t.Errorf("error %q does not name the page and say %q", err, c.want)
			}
		})
	}
}

// A guest-to-host remote code execution comes out vmm, with the KB
// numbers as patch IDs and the reboot flag from the document.
func TestGuestToHostRCE(t *testing.T) {
	got, err := scrapers.ParseFile(Source{}, documentURL("2016-Apr"), recordedDoc(t, "2016-Apr"))
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Fixes) != 1 {
		t.Fatalf("%d fixes, want only CVE-2016-0088 (the SAM/LSAD item is not Hyper-V)", len(got.Fixes))
	}
	f := got.Fixes[0]
	if f.Category != normalize.VMM || f.Rule != "ms-hyperv-vmm" {
		t.Errorf("CVE-2016-0088 classified %s by %s", f.Category, f.Rule)
	}
	if diff := cmp.Diff([]string{"KB3135456", "KB3147461"}, f.PatchIDs); diff != "" {
		t.Errorf("patch IDs (-want +got):\n%s", diff)
	}
	yes := true
	want := normalize.Patch{
		ID: "KB3147461", Vendor: Vendor, Product: Product, Version: "Windows 10 for x64-based Systems",
		Released: "2016-04-12", Classification: "Security Update", RebootRequired: &yes,
		URL: "https://catalog.update.microsoft.com/v7/site/Search.aspx?q=KB3147461", Supersedes: []string{"KB3140745"}, Release: "2016-Apr",
	}
	if diff := cmp.Diff(want, got.Patches[0]); diff != "" {
		t.Errorf("patch (-want +got):\n%s", diff)
	}
}

func TestReboot(t *testing.T) {
	yes, no := true, false
	cases := []struct {
		in   []string
		want *bool
	}{
		{[]string{"Yes", "No"}, &yes},
		{[]string{"No", "no"}, &no},
		{[]string{"Maybe"}, nil},
		{[]string{"No", "Maybe"}, nil},
		{nil, nil},
	}
	for _, c := range cases {
		if diff := cmp.Diff(c.want, reboot(c.in)); diff != "" {
			t.Errorf("reboot(%q) (-want +got):\n%s", c.in, diff)
		}
	}
}

// A Hyper-V product name alone, without tag or title, keeps an item.
func TestHyperVByProduct(t *testing.T) {
	v := vuln{Title: "Remote Desktop Client Remote Code Execution Vulnerability"}
	v.Statuses = append(v.Statuses, struct {
		Type       string   `xml:"Type,attr"`
		ProductIDs []string `xml:"ProductID"`
	}{Type: "Known Affected", ProductIDs: []string{"1"}})
	if !isHyperV(v, map[string]string{"1": "Microsoft Hyper-V Server 2019"}) {
		t.Error("item on a Hyper-V Server product dropped")
	}
	if isHyperV(v, map[string]string{"1": "Windows Server 2019"}) {
		t.Error("item with no Hyper-V product, tag or title kept")
	}
}
