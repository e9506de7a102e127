package citrix

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/patchwatch/patchwatch/scrapers"
)

func recordedPage(t *testing.T, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(recorded, filepath.FromSlash(rel)))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// cut removes the first match of pattern, to simulate a layout change.
func cut(t *testing.T, page, pattern string) string {
	t.Helper()
	re := regexp.MustCompile(`(?s)` + pattern)
	loc := re.FindStringIndex(page)
	if loc == nil {
		t.Fatalf("pattern %q not in page", pattern)
	}
	return page[:loc[0]] + page[loc[1]:]
}

func TestParseBadInput(t *testing.T) {
	bulletin := recordedPage(t, "article/CTX231390")
	hotfix := recordedPage(t, "article/CTX306480")
	list := recordedPage(t, bulletinListFile)
	cases := []struct {
		name, url, body, want string
	}{
		{"empty article", ArticleBase + "CTX231390", "", "no article title"},
		{"garbage", ArticleBase + "CTX231390", "\x00\xff\xfe garbage", "no article title"},
		{"wrong article at url", ArticleBase + "CTX231391", bulletin, `page holds article "CTX231390", not CTX231391`},
		{"applicable products removed", ArticleBase + "CTX231390", cut(t, bulletin, `<h2>Applicable Products</h2>\s*<ul>.*?</ul>`), "nor a security bulletin (no Applicable Products section)"},
		{"description of problem removed", ArticleBase + "CTX231390", cut(t, bulletin, `<h2>Description of Problem</h2>.*?</ul>`), "no Description of Problem section"},
		{"what customers should do removed", ArticleBase + "CTX231390", cut(t, bulletin, `<h2>What Customers Should Do</h2>.*?</ul>`), "no What Customers Should Do section"},
		{"no CVE lines", ArticleBase + "CTX231390", regexp.MustCompile(`CVE-\d+-\d+`).ReplaceAllString(bulletin, "CVE-TBD"), "Description of Problem lists no CVE"},
		{"issues resolved removed", ArticleBase + "CTX306480", cut(t, hotfix, `<h2>Issues Resolved In This Hotfix</h2>`), "XS71ECU2058 has no Issues Resolved In This Hotfix section"},
		{"information table emptied", ArticleBase + "CTX306480", cut(t, hotfix, `<table>.*?</table>`), "XS71ECU2058 information section has no table rows"},
		{"revision history without date", ArticleBase + "CTX306480", strings.Replace(hotfix, "Published on Mar 30, 2021", "Published", 1), "XS71ECU2058 Revision History has no publication date"},
		{"bad created date", ArticleBase + "CTX231390", strings.Replace(bulletin, "Created: 04 Jan 2018", "Created: yesterday", 1), "created date: unrecognised date"},
		{"bulletin list emptied", BulletinIndex, cut(t, list, `<table class="topic-articles">.*?</table>`), "no links to /article/CTX… pages"},
		{"unknown page", "https://support.citrix.com/search?q=xen", bulletin, "no citrix parser"},
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
			if !strings.Contains(err.Error(), "support.citrix.com") {
				t.Errorf("error %q does not name the page", err)
			}
		})
	}
}

// The post-update task decides the reboot flag; live-patchable content
// needs no reboot; a 2012 page without the table is read from its
// installation text.
func TestHotfixReboot(t *testing.T) {
	hotfix := recordedPage(t, "article/CTX306480")
	yes, no := true, false
	cases := []struct {
		name, url, body string
		want            *bool
	}{
		{"restart host", ArticleBase + "CTX306480", hotfix, &yes},
		{"no post-update task", ArticleBase + "CTX306480", strings.Replace(hotfix, "<td>Restart Host</td>", "<td>None</td>", 1), &no},
		{"live patchable", ArticleBase + "CTX306480", strings.Replace(hotfix, "<td>Content live patchable**</td><td>No</td>", "<td>Content live patchable**</td><td>Yes</td>", 1), &no},
		{"2012 layout", ArticleBase + "CTX134753", recordedPage(t, "article/CTX134753"), &yes},
	}
	for _, c := range cases {
		got, err := scrapers.ParseFile(Source{}, c.url, []byte(c.body))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if diff := cmp.Diff(c.want, got.Patches[0].RebootRequired); diff != "" {
			t.Errorf("%s (-want +got):\n%s", c.name, diff)
		}
	}
}

func TestCitrixDate(t *testing.T) {
	cases := map[string]string{
		"Created: 04 Jan 2018":      "2018-01-04",
		"Published on Mar 30, 2021": "2021-03-30",
		"":                          "",
	}
	for in, want := range cases {
		got, err := citrixDate(in)
		if err != nil || got != want {
			t.Errorf("citrixDate(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}
