package virtuozzo

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/patchwatch/patchwatch/scrapers"
)

func recordedPage(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(recorded + "/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// cut removes the first match of pattern from the page, to simulate a
// layout change that drops a key part.
func cut(t *testing.T, page, pattern string) string {
	t.Helper()
	re := regexp.MustCompile(`(?s)` + pattern)
	if !re.MatchString(page) {
		t.Fatalf("pattern %q not in page", pattern)
	}
	return re.ReplaceAllString(page, "")
}

func TestParseBadInput(t *testing.T) {
	good := recordedPage(t, "VZA-2018-089.html")
	index := recordedPage(t, "index.html")
	cases := []struct {
		name, page, body, want string
	}{
		{"empty page", "VZA-2018-089.html", "", "no summary table"},
		{"garbage", "VZA-2018-089.html", "\x00\xff\xfe garbage", "no summary table"},
		{"summary table removed", "VZA-2018-089.html", cut(t, good, `<table class="vza-summary">.*?</table>`), "no summary table (table.vza-summary)"},
		{"vulnerabilities removed", "VZA-2018-089.html", cut(t, good, `<h2>Vulnerabilities</h2>\s*<ul.*?</ul>`), "no Vulnerabilities list"},
		{"packages removed", "VZA-2018-089.html", cut(t, good, `<h2>Updated packages</h2>\s*<ul.*?</ul>`), "no Updated packages list"},
		{"truncated after the table", "VZA-2018-089.html", good[:strings.Index(good, "<h2>Description")], "no Vulnerabilities list"},
		{"bad date", "VZA-2018-089.html", strings.Replace(good, "<td>2018-12-24</td>", "<td>24 Dec 2018</td>", 1), `Published: unrecognised date "24 Dec 2018"`},
		{"wrong advisory at url", "VZA-2018-090.html", good, `page holds advisory "VZA-2018-089", not VZA-2018-090`},
		{"index table removed", "", cut(t, index, `<table class="vza-list">.*?</table>`), "no links to VZA-YYYY-NNN.html pages"},
		{"unknown page", "search.html", good, "no virtuozzo parser"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := scrapers.ParseFile(Source{}, Base+c.page, []byte(c.body))
			if err == nil {
				t.Fatalf("no error; parsed %+v", got.Result)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not say %q", err, c.want)
			}
			if !strings.Contains(err.Error(), "docs.virtuozzo.com") {
				t.Errorf("error %q does not name the page", err)
			}
		})
	}
}

// ReadyKernel patches go into the running kernel; a new vzkernel needs a
// reboot; for userland the page does not say.
func TestReboot(t *testing.T) {
	yes, no := true, false
	cases := []struct {
		name string
		pkgs []string
		want *bool
	}{
		{"readykernel only", []string{"readykernel-patch-64.7-69.0-1.vl7"}, &no},
		{"new vzkernel", []string{"vzkernel-2.6.32-042stab138.1", "vzmodules-2.6.32-042stab138.1"}, &yes},
		{"userland", []string{"prl-disp-service-7.0.1-1.vz7"}, nil},
	}
	for _, c := range cases {
		if diff := cmp.Diff(c.want, reboot(c.pkgs)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", c.name, diff)
		}
	}
}
