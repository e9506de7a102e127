package xen

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/patchwatch/patchwatch/normalize"
	"github.com/patchwatch/patchwatch/scrapers"
)

func recordedPage(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(recorded, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Bad input must give an error that names the page and says what is
// wrong, never a panic and never a half-record.
func TestParseBadInput(t *testing.T) {
	good := recordedPage(t, "advisory-26.txt")
	sig := strings.Index(string(good), "-----BEGIN PGP SIGNATURE-----")
	cases := []struct {
		name, url string
		body      []byte
		want      string
	}{
		{"empty advisory", "advisory-26.txt", nil, "no sections found"},
		{"truncated advisory", "advisory-26.txt", good[:sig-200], "no signature block (truncated page?)"},
		{"truncated before the body", "advisory-26.txt", []byte("-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256"), "no body (truncated page?)"},
		{"garbage bytes", "advisory-26.txt", []byte("\x00\xff\xfe garbage \x89PNG\r\n\x1a\n"), "no sections found"},
		{"html error page", "advisory-26.txt", []byte("<html><body><h1>502 Bad Gateway</h1></body></html>"), "no sections found"},
		{"wrong advisory at url", "advisory-27.txt", good, "page holds XSA-26, not XSA-27"},
		{"sections without header", "advisory-26.txt", []byte("ISSUE DESCRIPTION\n=================\n\nSomething.\n"), `no "Xen Security Advisory" header line`},
		{"empty feed", "xsa.json", []byte(`[]`), `no "xsas" list`},
		{"garbage feed", "xsa.json", []byte("\x00\x01not json"), "invalid character"},
		{"feed with bad date", "xsa.json", []byte(`[{"xsas":[{"xsa":"26","title":"t","public_time":"3 Dec 2012","version":1}]}]`), `XSA-26 public_time: unrecognised date "3 Dec 2012"`},
		{"index without rows", "index.html", []byte("<html><body><p>maintenance</p></body></html>"), "no XSA rows found"},
		{"unknown page", "advisory-26.patch", good, "no xen parser"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := scrapers.ParseFile(Source{}, pageURL(c.url), c.body)
			if err == nil {
				t.Fatalf("no error; parsed %+v", got.Result)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not say %q", err, c.want)
			}
			if !strings.Contains(err.Error(), "xenbits.xen.org") && c.name != "garbage bytes" {
				t.Errorf("error %q does not name the page", err)
			}
		})
	}
}

func TestParseFeedEntry(t *testing.T) {
	// The real xsa.json element for XSA-26, read in place when the shared
	// samples are present.
	name := filepath.Join(samplesDir, "xen", "xsa-json-entry-xsa26.json")
	entry, err := os.ReadFile(name)
	if err != nil {
		t.Skipf("real samples not present: %v", err)
	}
	feed := append(append([]byte(`[{"xsas":[`), entry...), []byte(`]}]`)...)
	got, err := scrapers.ParseFile(Source{}, Base+"xsa.json", feed)
	if err != nil {
		t.Fatal(err)
	}
	want := scrapers.Parsed{
		Result: normalize.Result{
			Advisories: []normalize.Advisory{{
				ID: "XSA-26", Vendor: "xen", Status: normalize.StatusPublished,
				Title:     "Grant table version switch list corruption vulnerability",
				Published: "2012-12-03", Updated: "2012-12-03", Version: 3,
				URL: "https://xenbits.xen.org/xsa/advisory-26.html", CVEs: []string{"CVE-2012-5510"},
			}},
			Patches: []normalize.Patch{
				{ID: "xsa26-4.1.patch", Vendor: "xen", Product: "Xen", Version: "4.1.x", Released: "2012-12-03", Classification: "Security", URL: "https://xenbits.xen.org/xsa/xsa26-4.1.patch", AdvisoryID: "XSA-26"},
				{ID: "xsa26-4.2.patch", Vendor: "xen", Product: "Xen", Version: "4.2.x", Released: "2012-12-03", Classification: "Security", URL: "https://xenbits.xen.org/xsa/xsa26-4.2.patch", AdvisoryID: "XSA-26"},
				{ID: "xsa26-unstable.patch", Vendor: "xen", Product: "Xen", Version: "xen-unstable", Released: "2012-12-03", Classification: "Security", URL: "https://xenbits.xen.org/xsa/xsa26-unstable.patch", AdvisoryID: "XSA-26"},
			},
		},
		Follow: []string{"https://xenbits.xen.org/xsa/advisory-26.txt"},
		Changed: map[string]time.Time{
			"https://xenbits.xen.org/xsa/advisory-26.txt": time.Date(2012, 12, 3, 17, 51, 0, 0, time.UTC),
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestParseDashEscapedAndCRLF(t *testing.T) {
	body := "-----BEGIN PGP SIGNED MESSAGE-----\r\nHash: SHA256\r\n\r\n" +
		"    Xen Security Advisory CVE-2015-3456 / XSA-133\r\n              version 2\r\n\r\n" +
		"   Privilege escalation via emulated floppy disk drive\r\n\r\n" +
		"ISSUE DESCRIPTION\r\n=================\r\n\r\nThe floppy controller\r\n- -----overflows.\r\n" +
		"-----BEGIN PGP SIGNATURE-----\r\nxx\r\n-----END PGP SIGNATURE-----\r\n"
	got, err := scrapers.ParseFile(Source{}, Base+"advisory-133.txt", []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	a := got.Advisories[0]
	if a.Title != "Privilege escalation via emulated floppy disk drive" || a.Version != 2 {
		t.Errorf("title %q version %d", a.Title, a.Version)
	}
	if want := "The floppy controller\n-----overflows."; a.Sections[0].Text != want {
		t.Errorf("section text %q, want %q (dash-escape removed, CRLF normalised)", a.Sections[0].Text, want)
	}
	if diff := cmp.Diff([]string{"CVE-2015-3456"}, got.Fixes[0].CVEs); diff != "" {
		t.Errorf("CVEs (-want +got):\n%s", diff)
	}
}

func TestParseFirstVersionHasNoVersionLine(t *testing.T) {
	// Real version-1 advisories go straight from the header to the title.
	body := "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n" +
		"            Xen Security Advisory CVE-2021-28687 / XSA-368\n\n" +
		"        HVM soft-reset crashes toolstack\n\n" +
		"ISSUE DESCRIPTION\n=================\n\nlibxl crashes when a guest asks for a soft reset.\n" +
		"-----BEGIN PGP SIGNATURE-----\nxx\n-----END PGP SIGNATURE-----\n"
	got, err := scrapers.ParseFile(Source{}, Base+"advisory-368.txt", []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	a := got.Advisories[0]
	if a.Version != 1 || a.Title != "HVM soft-reset crashes toolstack" {
		t.Errorf("version %d title %q, want 1 and the title line", a.Version, a.Title)
	}
	if f := got.Fixes[0]; f.Category != normalize.ConsoleOS || f.Rule != "xen-toolstack" {
		t.Errorf("fix classified %s by %s", f.Category, f.Rule)
	}
}

// The RESOLUTION table in the layouts real advisories use: globs stand for
// the files of the sha256sum list, a long name may carry its versions on
// the next line or none at all, and prose or the sha256 lines are no rows.
// The first case is XSA-196's real table; the others are made-up names and
// hashes in those layouts.
func TestResolution(t *testing.T) {
	cases := []struct {
		name, text        string
		patches, versions []string
	}{
		{"glob expanded from the sha256sum list (XSA-196)", `Applying the attached patches resolves this issue.

xsa196-000*.patch      xen-unstable, Xen 4.7.x, Xen 4.6.x, Xen 4.5.x

$ sha256sum xsa196*
c4122280f3786416231ae5f0660123446d29e9ac5cd3ffb92784ed36edeec8b7  xsa196-0001-x86-emul-Correct-the-IDT-entry-calculation-in-inject.patch
25671c44c746d4d0e8f7e2b109926c013b440e0bf225156282052ec38536e347  xsa196-0002-x86-svm-Fix-injection-of-software-interrupts.patch
$`, []string{"xsa196-0001-x86-emul-Correct-the-IDT-entry-calculation-in-inject.patch", "xsa196-0002-x86-svm-Fix-injection-of-software-interrupts.patch"},
			[]string{"xen-unstable, Xen 4.7.x, Xen 4.6.x, Xen 4.5.x"}},
		{"? glob and a directory glob", `xsa226-4.?.patch       Xen 4.6.x, Xen 4.5.x
xsa240/*.patch         xen-unstable

$ sha256sum xsa226* xsa240/*
0000000000000000000000000000000000000000000000000000000000000001  xsa226-4.5.patch
0000000000000000000000000000000000000000000000000000000000000002  xsa226-4.6.patch
0000000000000000000000000000000000000000000000000000000000000003  xsa226.meta
0000000000000000000000000000000000000000000000000000000000000004  xsa240/0001-x86-mm-drop-guest-ref.patch
$`, []string{"xsa226-4.5.patch", "xsa226-4.6.patch", "xsa240/0001-x86-mm-drop-guest-ref.patch"},
			[]string{"Xen 4.6.x, Xen 4.5.x", "xen-unstable"}},
		{"glob with no sha256sum list is kept", `xsa300-*.patch     Linux 4.4 ... 5.2`,
			[]string{"xsa300-*.patch"}, []string{"Linux 4.4 ... 5.2"}},
		{"a tab before the versions", "xsa401-4.16.patch\tXen 4.16.x",
			[]string{"xsa401-4.16.patch"}, []string{"Xen 4.16.x"}},
		{"a name with no version column, and versions on the next line", `xsa155.patch
xsa155-qemut-qdisk-double-access.patch
                                    qemu-xen-traditional
xsa155-qemuu.patch     qemu-xen`,
			[]string{"xsa155.patch", "xsa155-qemut-qdisk-double-access.patch", "xsa155-qemuu.patch"},
			[]string{"qemu-xen-traditional", "qemu-xen"}},
		{"prose naming a patch is no row", `The patch xsa335-trad.patch included in this advisory is merely
xsa335-trad.patch is an update of SUPPORT.md only.`, []string{}, []string{}},
	}
	for _, c := range cases {
		patches, versions := resolution(c.text)
		if diff := cmp.Diff(c.patches, patches); diff != "" {
			t.Errorf("%s: patches (-want +got):\n%s", c.name, diff)
		}
		if diff := cmp.Diff(c.versions, versions); diff != "" {
			t.Errorf("%s: versions (-want +got):\n%s", c.name, diff)
		}
	}
}

func TestParseWrappedCVEHeader(t *testing.T) {
	// A header with many CVEs wraps before "/ XSA-N"; this layout's CVE
	// numbers are made up.
	body := "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n" +
		"  Xen Security Advisory CVE-2022-42311,CVE-2022-42312,CVE-2022-42313,\n" +
		"                     CVE-2022-42314 / XSA-326\n" +
		"                              version 3\n\n" +
		"        Xenstore: guests can let xenstored run out of memory\n\n" +
		"ISSUE DESCRIPTION\n=================\n\nxenstored keeps too much per guest.\n" +
		"-----BEGIN PGP SIGNATURE-----\nxx\n-----END PGP SIGNATURE-----\n"
	got, err := scrapers.ParseFile(Source{}, Base+"advisory-326.txt", []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	a := got.Advisories[0]
	want := []string{"CVE-2022-42311", "CVE-2022-42312", "CVE-2022-42313", "CVE-2022-42314"}
	if diff := cmp.Diff(want, a.CVEs); diff != "" {
		t.Errorf("CVEs (-want +got):\n%s", diff)
	}
	if a.ID != "XSA-326" || a.Version != 3 || a.Title != "Xenstore: guests can let xenstored run out of memory" {
		t.Errorf("got %s version %d title %q", a.ID, a.Version, a.Title)
	}
}
