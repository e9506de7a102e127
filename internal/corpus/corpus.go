// Package corpus writes large synthetic page sets in the replay layout, for
// measuring patchwatch at archive scale. Pages are the recorded fixtures
// with their identities rewritten (numbers, CVEs, patch names), so every
// page has a real page's shape, size and structure, and the parsers see
// exactly what they see in production.
package corpus

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// Stats says what Generate wrote.
type Stats struct {
	Pages int   // detail pages plus index pages
	Bytes int64 // total size of the pages
}

// write writes one page to name, making its directory, and counts it.
func (st *Stats) write(name string, body []byte) error {
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(name, body, 0o644); err != nil {
		return err
	}
	st.Pages++
	st.Bytes += int64(len(body))
	return nil
}

// Sources are the source names a generated corpus holds pages for.
var Sources = []string{"xen", "redhat-kvm"}

// Generate writes n detail pages into dir, laid out like the fixtures: a
// fifth are Xen advisories with the xsa.json feed and the HTML index
// listing them, the rest Red Hat CSAF documents with the index.txt that
// lists them. The mix keeps each index page at a size real vendors publish
// (one feed of thousands of XSAs, one text index of tens of thousands of
// CSAF paths) while the corpus grows.
func Generate(fixtures, dir string, n int) (Stats, error) {
	nx := max(1, n/5)
	xs, err := generateXen(fixtures, dir, nx)
	if err != nil {
		return Stats{}, err
	}
	rs, err := generateCSAF(fixtures, dir, n-nx)
	if err != nil {
		return Stats{}, err
	}
	return Stats{Pages: xs.Pages + rs.Pages, Bytes: xs.Bytes + rs.Bytes}, nil
}

// generateXen writes n Xen advisories (advisory-1.txt … advisory-n.txt),
// the xsa.json feed listing them and the HTML index, using the recorded
// advisories as templates.
func generateXen(fixtures, dir string, n int) (Stats, error) {
	templates, err := loadTemplates(filepath.Join(fixtures, "xenbits.xen.org", "xsa"))
	if err != nil {
		return Stats{}, err
	}
	out := filepath.Join(dir, "xenbits.xen.org", "xsa")
	if err := os.MkdirAll(out, 0o755); err != nil {
		return Stats{}, err
	}
	var st Stats
	entries := make([]feedEntry, 0, n)
	var index strings.Builder
	index.WriteString("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Xen Security Advisories</title></head><body><table>\n")
	index.WriteString("<tr><th>Advisory</th><th>Public release</th><th>Updated</th><th>Version</th><th>CVE(s)</th><th>Title</th></tr>\n")
	for i := n; i >= 1; i-- {
		t := templates[i%len(templates)]
		cves := make([]string, i%5) // 0 to 4 CVEs, as real advisories vary
		for k := range cves {
			cves[k] = fmt.Sprintf("CVE-%d-%05d", 2010+i%16, (i*7+k)%100000)
		}
		body := t.rewrite(i, cves)
		name := filepath.Join(out, fmt.Sprintf("advisory-%d.txt", i))
		if err := os.WriteFile(name, body, 0o644); err != nil {
			return Stats{}, err
		}
		st.Pages++
		st.Bytes += int64(len(body))
		day := fmt.Sprintf("%d-%02d-%02d 12:00", 2010+i%16, 1+i%12, 1+i%28)
		e := feedEntry{XSA: fmt.Sprint(i), Title: t.title, PublicTime: day, Version: t.version, VersionTime: day, CVE: cves}
		for _, f := range t.files {
			e.Files = append(e.Files, feedFile{Name: renumber(f, t.number, i), Project: "xen", Upstream: "Xen", Versions: [][]string{{"xen-unstable"}}})
		}
		entries = append(entries, e)
		fmt.Fprintf(&index, "<tr><td><a href=\"advisory-%d.html\">XSA-%d</a></td><td>%s</td><td>%s</td><td>%d</td><td>%s</td><td>%s</td></tr>\n",
			i, i, day, day, t.version, strings.Join(cves, " "), t.title)
	}
	index.WriteString("</table></body></html>\n")
	feed, err := json.Marshal([]map[string]any{{"xsas": entries}})
	if err != nil {
		return Stats{}, err
	}
	for name, body := range map[string][]byte{"xsa.json": feed, "index.html": []byte(index.String())} {
		if err := os.WriteFile(filepath.Join(out, name), body, 0o644); err != nil {
			return Stats{}, err
		}
		st.Pages++
		st.Bytes += int64(len(body))
	}
	return st, nil
}

type feedFile struct {
	Name     string     `json:"name"`
	Project  string     `json:"project"`
	Upstream string     `json:"upstream"`
	Versions [][]string `json:"versions"`
}

type feedEntry struct {
	CVE         []string   `json:"cve,omitempty"`
	Files       []feedFile `json:"files"`
	PublicTime  string     `json:"public_time"`
	Title       string     `json:"title"`
	Version     int        `json:"version"`
	VersionTime string     `json:"version_time"`
	XSA         string     `json:"xsa"`
}

// template is one recorded advisory and what identifies it.
type template struct {
	number  int
	text    string
	title   string
	version int
	files   []string
}

var (
	headerCVEs = regexp.MustCompile(`(Xen Security Advisory )(?:CVE-[0-9,CVE-]+ / )?(XSA-)\d+`)
	titleLine  = regexp.MustCompile(`(?m)^\s+version (\d+)\n\n\s+(.+)\n`)
	patchFile  = regexp.MustCompile(`(?m)^(xsa\d+[\w.+/-]*\.patch)\s{2,}`)
	number     = regexp.MustCompile(`advisory-(\d+)\.txt$`)
)

func loadTemplates(dir string) ([]template, error) {
	names, err := filepath.Glob(filepath.Join(dir, "advisory-*.txt"))
	if err != nil || len(names) == 0 {
		return nil, fmt.Errorf("no recorded advisories in %s to use as templates", dir)
	}
	sort.Strings(names)
	var out []template
	for _, name := range names {
		b, err := os.ReadFile(name)
		if err != nil {
			return nil, err
		}
		var t template
		fmt.Sscan(number.FindStringSubmatch(name)[1], &t.number)
		t.text = string(b)
		m := titleLine.FindStringSubmatch(t.text)
		if m == nil {
			continue // first-version layout: no version line to anchor on
		}
		fmt.Sscan(m[1], &t.version)
		t.title = strings.TrimSpace(m[2])
		for _, p := range patchFile.FindAllStringSubmatch(t.text, -1) {
			t.files = append(t.files, p[1])
		}
		out = append(out, t)
	}
	return out, nil
}

// rewrite gives the template advisory number n and the CVEs.
func (t template) rewrite(n int, cves []string) []byte {
	head := "${1}${2}"
	if len(cves) > 0 {
		head = "${1}" + strings.Join(cves, ",") + " / ${2}"
	}
	s := headerCVEs.ReplaceAllString(t.text, head+fmt.Sprint(n))
	return []byte(renumber(s, t.number, n))
}

// renumber rewrites "XSA-old" and "xsaold" (patch names) to the new number.
func renumber(s string, old, n int) string {
	re := regexp.MustCompile(fmt.Sprintf(`(XSA-|xsa)%d\b`, old))
	return re.ReplaceAllString(s, fmt.Sprintf("${1}%d", n))
}

// csafRoot is where Red Hat's CSAF documents live, below the host.
const csafRoot = "security.access.redhat.com/data/csaf/v2/advisories"

var csafID = regexp.MustCompile(`RHSA-(\d{4}):(\d{4,})`)

// generateCSAF writes n Red Hat CSAF documents, each a recorded one with a
// new advisory number, the index.txt listing them, and the archive with
// its pointer and change lists that the harvest reads instead.
func generateCSAF(fixtures, dir string, n int) (Stats, error) {
	names, err := filepath.Glob(filepath.Join(fixtures, filepath.FromSlash(csafRoot), "*", "rhsa-*.json"))
	if err != nil || len(names) == 0 {
		return Stats{}, fmt.Errorf("no recorded CSAF documents in %s to use as templates", filepath.Join(fixtures, csafRoot))
	}
	sort.Strings(names)
	var templates []string
	for _, name := range names {
		b, err := os.ReadFile(name)
		if err != nil {
			return Stats{}, err
		}
		templates = append(templates, string(b))
	}
	root := filepath.Join(dir, filepath.FromSlash(csafRoot))
	var st Stats
	var index strings.Builder
	archive, err := newCSAFArchive(root)
	if err != nil {
		return Stats{}, err
	}
	for i := 1; i <= n; i++ {
		t := templates[i%len(templates)]
		old := csafID.FindStringSubmatch(t)
		year := 2030 + i/100000
		num := fmt.Sprintf("%05d", i%100000)
		body := strings.NewReplacer(
			old[1]+":"+old[2], fmt.Sprintf("%d:%s", year, num),
			old[1]+"_"+old[2], fmt.Sprintf("%d_%s", year, num),
		).Replace(t)
		rel := fmt.Sprintf("%d/rhsa-%d_%s.json", year, year, num)
		name := filepath.Join(root, filepath.FromSlash(rel))
		if err := st.write(name, []byte(body)); err != nil {
			return Stats{}, err
		}
		index.WriteString(rel + "\n")
		if err := archive.put(rel, []byte(body)); err != nil {
			return Stats{}, err
		}
	}
	lists, err := archive.close()
	if err != nil {
		return Stats{}, err
	}
	st.Pages += 4 // the archive, its pointer, changes.csv, deletions.csv
	st.Bytes += lists
	if err := os.MkdirAll(root, 0o755); err != nil {
		return Stats{}, err
	}
	if err := os.WriteFile(filepath.Join(root, "index.txt"), []byte(index.String()), 0o644); err != nil {
		return Stats{}, err
	}
	st.Pages++
	st.Bytes += int64(index.Len())
	return st, nil
}
