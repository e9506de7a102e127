package vmware

import (
	"html"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/patchwatch/patchwatch/normalize"
	"github.com/patchwatch/patchwatch/scrapers"
)

// samplesDir holds real vendor documents beside the repository; tests that
// read them skip when it is absent.
const samplesDir = "../../../shared/samples/vmware"

// readSample returns a blog copy's body without its Jekyll front matter, or
// skips the test when the samples are absent.
func readSample(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(samplesDir, name))
	if err != nil {
		t.Skipf("real samples not present: %v", err)
	}
	parts := strings.SplitN(string(b), "\n---\n", 2)
	if len(parts) != 2 || !strings.HasPrefix(parts[0], "---") {
		t.Fatalf("%s: no Jekyll front matter", name)
	}
	return parts[1]
}

var (
	anyTag     = regexp.MustCompile(`<[^>]*>`)
	emDashes   = strings.NewReplacer("\u00a0", " ", "\u2014", "--", "\u2013", "-", "\u2019", "'", "\u201c", `"`, "\u201d", `"`)
	mdEscape   = strings.NewReplacer(`\*`, "*", `\_`, "_", "**", "")
	pipermailE = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")
)

// restoreMail undoes what the blog did to a security-announce mail: it
// drops the blog's intro, markdown and HTML, its quoting ("> ") and the
// whitespace-only lines its editor inserted at every line break, and turns
// its "&nbsp;" paragraph markers back into blank lines. Column spacing the
// blog collapsed stays collapsed.
func restoreMail(blog string) string {
	if i := strings.Index(blog, "VMware Security Advisory"); i >= 0 {
		if j := strings.LastIndex(blog[:i], "\n"); j >= 0 {
			blog = blog[j+1:]
		}
	}
	nbsp := strings.Contains(blog, "&nbsp;")
	var out []string
	for _, l := range strings.Split(blog, "\n") {
		quoted := strings.HasPrefix(l, ">")
		if quoted {
			l = strings.TrimPrefix(strings.TrimPrefix(l, ">"), " ")
		}
		switch {
		case nbsp && strings.TrimSpace(l) == "&nbsp;":
			out = append(out, "")
			continue
		case nbsp && strings.TrimSpace(l) == "":
			continue
		case !quoted && l != "" && strings.TrimSpace(l) == "":
			continue
		case !quoted && l == "" && strings.Contains(blog, "\n> "):
			continue
		}
		l = anyTag.ReplaceAllString(l, "")
		l = emDashes.Replace(html.UnescapeString(mdEscape.Replace(l)))
		out = append(out, strings.TrimRight(l, " "))
	}
	return strings.Join(out, "\n")
}

// pipermailPage wraps a mail the way Mailman's pipermail archives it: the
// body HTML-escaped inside one <pre>.
func pipermailPage(subject, mail string) []byte {
	return []byte("<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 3.2//EN\">\n<HTML>\n <HEAD>\n   <TITLE> " + pipermailE.Replace(subject) +
		"\n   </TITLE>\n </HEAD>\n <BODY BGCOLOR=\"#ffffff\">\n   <H1>" + pipermailE.Replace(subject) +
		"</H1>\n    <B>VMware Security Response Center</B> \n    <A HREF=\"mailto:security-announce%40lists.vmware.com\">security at vmware.com</A><BR>\n" +
		"<!--beginarticle-->\n<PRE>" + pipermailE.Replace(mail) + "\n</PRE>\n<!--endarticle-->\n </BODY>\n</HTML>\n")
}

type wantFix struct {
	id, component string
	category      normalize.Category
	patches       []string
}

// TestRealMails parses three real security-announce mails and one real
// vmware.com page, restored from their blog copies, through the same path
// as `patchwatch parse`.
func TestRealMails(t *testing.T) {
	cases := []struct {
		file, url, subject string
		html               bool
		id                 string
		version            int
		published, updated string
		cves               []string
		fixes              []wantFix
		// releasesOnly are patches only "2. Relevant releases" names.
		releasesOnly []string
	}{
		{
			file: "VMSA-2012-0008.1.blogrepost.md", url: "http://lists.vmware.com/pipermail/security-announce/2012/000181.html",
			subject: "[Security-announce] UPDATED VMSA-2012-0008.1 VMware ESX updates to ESX Service Console",
			id:      "VMSA-2012-0008", version: 1, published: "2012-04-26", updated: "2012-09-13",
			cves: []string{"CVE-2010-4008", "CVE-2011-0216", "CVE-2011-1944", "CVE-2011-2834", "CVE-2011-3191", "CVE-2011-3905", "CVE-2011-3919", "CVE-2011-4348", "CVE-2012-0028"},
			fixes: []wantFix{
				{"VMSA-2012-0008/a", "kernel (service console)", normalize.ConsoleOS, []string{"ESX410-201204401-SG"}},
				{"VMSA-2012-0008/b", "libxml2 (service console)", normalize.ConsoleOS, []string{"ESX410-201204402-SG"}},
			},
		},
		{
			file: "VMSA-2012-0018.blogrepost.md", url: "http://lists.vmware.com/pipermail/security-announce/2012/000197.html",
			subject: "[Security-announce] VMSA-2012-0018 VMware security updates for vCSA and ESXi",
			id:      "VMSA-2012-0018", version: 0, published: "2012-12-20", updated: "2012-12-20",
			cves: []string{"CVE-2009-5029", "CVE-2009-5064", "CVE-2010-0830", "CVE-2011-1089", "CVE-2011-4609", "CVE-2012-0864", "CVE-2012-3404", "CVE-2012-3405", "CVE-2012-3406", "CVE-2012-3480", "CVE-2012-6324", "CVE-2012-6325"},
			fixes: []wantFix{
				{"VMSA-2012-0018/a", "vCSA", normalize.Unclassified, nil},
				{"VMSA-2012-0018/b", "vCSA", normalize.Unclassified, nil},
				{"VMSA-2012-0018/c", "glibc", normalize.ConsoleOS, []string{"ESXi510-201212101", "ESXi500-201212101"}},
			},
		},
		{
			file: "VMSA-2012-0005.4.blogrepost.md", url: "http://lists.vmware.com/pipermail/security-announce/2012/000198.html",
			subject: "[Security-announce] UPDATED VMSA-2012-0005.4 VMware vCenter Server, Orchestrator, Update Manager, vShield, vSphere Client, Workstation, Player, ESXi, and ESX address several security issues",
			id:      "VMSA-2012-0005", version: 4, published: "2012-03-15", updated: "2012-12-20",
			cves: []string{"CVE-2010-0405", "CVE-2011-3190", "CVE-2011-3375", "CVE-2011-4858", "CVE-2012-0022", "CVE-2012-1508", "CVE-2012-1509", "CVE-2012-1510", "CVE-2012-1512", "CVE-2012-1513", "CVE-2012-1514"},
			fixes: []wantFix{
				{"VMSA-2012-0005/a", "VMware Tools (guest)", normalize.VMM, []string{"ESXi500-201112402-BG", "ESXi410-201110202-UG", "ESXi400-201110402-BG", "ESX410-201110201-SG", "ESX400-201110401-SG"}},
				{"VMSA-2012-0005/b", "vSphere Client", normalize.Unclassified, nil},
				{"VMSA-2012-0005/c", "vCO", normalize.Unclassified, nil},
				{"VMSA-2012-0005/d", "vSM", normalize.Unclassified, nil},
				{"VMSA-2012-0005/e", "JRE (service console)", normalize.ConsoleOS, nil},
				{"VMSA-2012-0005/f", "Tomcat (service console)", normalize.ConsoleOS, []string{"ESX410-201208101-SG", "ESX400-201209401-SG"}},
				{"VMSA-2012-0005/g", "bzip2", normalize.ConsoleOS, []string{"ESXi500-201203101-SG"}},
			},
		},
		{
			file: "VMSA-2016-0001.blogrepost.md", url: "https://www.vmware.com/security/advisories/VMSA-2016-0001.html", html: true,
			id: "VMSA-2016-0001", version: 0, published: "2016-01-07", updated: "2016-01-07",
			cves: []string{"CVE-2015-6933"},
			fixes: []wantFix{
				{"VMSA-2016-0001/a", "VMware Tools (guest)", normalize.VMM, []string{"ESXi600-201601102-SG", "ESXi550-201512102-SG", "ESXi510-201510102-SG", "ESXi500-201510102-SG"}},
			},
			releasesOnly: []string{"ESXi600-201512102-SG"},
		},
	}
	for _, c := range cases {
		t.Run(c.id, func(t *testing.T) {
			blog := readSample(t, c.file)
			var page []byte
			if c.html {
				page = []byte("<!DOCTYPE html>\n<html><head><title>" + c.id + "</title></head><body>\n" + blog + "\n</body></html>\n")
			} else {
				page = pipermailPage(c.subject, restoreMail(blog))
			}
			got, err := scrapers.ParseFile(Source{}, c.url, page)
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Advisories) != 1 {
				t.Fatalf("%d advisories, want 1", len(got.Advisories))
			}
			a := got.Advisories[0]
			if a.ID != c.id || a.Version != c.version || a.Published != c.published || a.Updated != c.updated {
				t.Errorf("advisory %s v%d %s/%s, want %s v%d %s/%s", a.ID, a.Version, a.Published, a.Updated, c.id, c.version, c.published, c.updated)
			}
			if diff := cmp.Diff(c.cves, a.CVEs); diff != "" {
				t.Errorf("CVEs (-want +got):\n%s", diff)
			}
			var gotFixes []wantFix
			var allPatches []string
			for _, f := range got.Fixes {
				var ids []string
				ids = append(ids, f.PatchIDs...)
				if len(ids) == 0 {
					ids = nil
				}
				gotFixes = append(gotFixes, wantFix{f.ID, f.Component, f.Category, ids})
				allPatches = append(allPatches, f.PatchIDs...)
				if f.Rule == "" || f.Evidence == "" {
					t.Errorf("%s: no rule or evidence", f.ID)
				}
			}
			if diff := cmp.Diff(c.fixes, gotFixes, cmp.AllowUnexported(wantFix{})); diff != "" {
				t.Errorf("fixes (-want +got):\n%s", diff)
			}
			var patchRecords []string
			for _, p := range got.Patches {
				patchRecords = append(patchRecords, p.ID)
				if p.AdvisoryID != c.id || p.Vendor != Vendor {
					t.Errorf("patch %s: advisory %q vendor %q", p.ID, p.AdvisoryID, p.Vendor)
				}
			}
			if diff := cmp.Diff(unique(append(allPatches, c.releasesOnly...)), patchRecords); diff != "" {
				t.Errorf("patch records vs remedy and release patch IDs (-fixes and releases +patches):\n%s", diff)
			}
		})
	}
}
