package redhatkvm

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/patchwatch/patchwatch/scrapers"
)

func TestChangeListsBadInput(t *testing.T) {
	cases := []struct {
		name, path, body, want string
	}{
		{"pointer to html error page", "archive_latest.txt", "<html>503</html>", "does not name a csaf_advisories_YYYY-MM-DD.tar.zst archive"},
		{"pointer to another file", "archive_latest.txt", "../../etc/passwd", "does not name"},
		{"changes as html", "changes.csv", "<html><body>maintenance</body></html>\n", "wrong number of fields"},
		{"changes without rhsa rows", "changes.csv", "\"2024/rhba-2024_0001.json\",\"2024-01-01T00:00:00+00:00\"\n", `no "YYYY/rhsa-YYYY_NNNN.json" rows`},
		{"changes with a bad date", "changes.csv", "\"2024/rhsa-2024_0001.json\",\"yesterday\"\n", "line 1: 2024/rhsa-2024_0001.json"},
		{"deletions with a bad date", "deletions.csv", "\"2024/rhsa-2024_0001.json\",\"\"\n", "line 1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := scrapers.ParseFile(Source{}, Base+c.path, []byte(c.body))
			if err == nil {
				t.Fatalf("no error; parsed %+v", got)
			}
			if !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), Base+c.path) {
				t.Errorf("error %q does not name the file and say %q", err, c.want)
			}
		})
	}
}

func TestChangesSkipOtherKinds(t *testing.T) {
	body := "\"2024/rhba-2024_0001.json\",\"2024-01-01T00:00:00+00:00\"\n" +
		"\"2024/rhsa-2024_0002.json\",\"2024-01-02T03:04:05-05:00\"\n"
	got, err := scrapers.ParseFile(Source{}, Changes, []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	doc := Base + "2024/rhsa-2024_0002.json"
	want := scrapers.Parsed{
		Follow:  []string{doc},
		Changed: map[string]time.Time{doc: time.Date(2024, 1, 2, 8, 4, 5, 0, time.UTC)},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestArchiveEntry(t *testing.T) {
	cases := map[string]string{
		"2024/rhsa-2024_0002.json":       Base + "2024/rhsa-2024_0002.json",
		"2024/rhba-2024_0001.json":       "",
		"../2024/rhsa-2024_0002.json":    "",
		"2024/../../rhsa-2024_0002.json": "",
		"/etc/rhsa-2024_0002.json":       "",
		"index.txt":                      "",
		"2024/rhsa-2024_0002.json/x":     "",
	}
	for name, want := range cases {
		got, ok := Source{}.ArchiveEntry(name)
		if got != want || ok != (want != "") {
			t.Errorf("ArchiveEntry(%q) = %q, %v; want %q", name, got, ok, want)
		}
	}
	built, err := Source{}.ArchiveBuilt(Base + "csaf_advisories_2024-05-05.tar.zst")
	if err != nil || !built.Equal(time.Date(2024, 5, 5, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("ArchiveBuilt = %v, %v; want 2024-05-05 00:00 UTC", built, err)
	}
	if _, err := (Source{}).ArchiveBuilt("https://example.com/csaf_advisories_2024-05-05.tar.zst"); err == nil {
		t.Error("ArchiveBuilt accepted an archive on another host")
	}
}
