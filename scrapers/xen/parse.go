package xen

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/patchwatch/patchwatch/normalize"
	"github.com/patchwatch/patchwatch/scrapers"
)

// feedEntry is one element of xsa.json's "xsas" list.
type feedEntry struct {
	XSA         flexString `json:"xsa"`
	Title       string     `json:"title"`
	PublicTime  string     `json:"public_time"`
	Version     int        `json:"version"`
	VersionTime string     `json:"version_time"`
	CVE         []string   `json:"cve"`
	Files       []struct {
		Name     string     `json:"name"`
		Versions [][]string `json:"versions"`
	} `json:"files"`
}

// flexString accepts a JSON string or number: the feed writes XSA numbers
// as strings today, and a tolerant reader costs nothing.
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*f = flexString(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("xsa number: want string or number, got %s", b)
	}
	*f = flexString(n.String())
	return nil
}

var xsaNumber = regexp.MustCompile(`^[1-9][0-9]*$`)

// parseIndexJSON reads xsa.json: one advisory per entry with its dates,
// version and CVEs, one patch per attached patch file, and the advisory
// text to fetch next.
func parseIndexJSON(body []byte, u *url.URL) (scrapers.Parsed, error) {
	var feed []struct {
		XSAs []feedEntry `json:"xsas"`
	}
	if err := json.Unmarshal(body, &feed); err != nil {
		return scrapers.Parsed{}, fmt.Errorf("%s: %w", u, err)
	}
	if len(feed) == 0 || len(feed[0].XSAs) == 0 {
		return scrapers.Parsed{}, fmt.Errorf("%s: no \"xsas\" list in the first element", u)
	}
	var out scrapers.Parsed
	for _, e := range feed[0].XSAs {
		n := string(e.XSA)
		if !xsaNumber.MatchString(n) {
			return scrapers.Parsed{}, fmt.Errorf("%s: entry with bad xsa number %q", u, n)
		}
		id := advisoryID(n)
		published, err := day(e.PublicTime)
		if err != nil {
			return scrapers.Parsed{}, fmt.Errorf("%s: %s public_time: %w", u, id, err)
		}
		updated, err := day(e.VersionTime)
		if err != nil {
			return scrapers.Parsed{}, fmt.Errorf("%s: %s version_time: %w", u, id, err)
		}
		out.Advisories = append(out.Advisories, normalize.Advisory{
			ID:        id,
			Vendor:    Vendor,
			Status:    normalize.StatusPublished,
			Title:     strings.TrimSpace(e.Title),
			Published: published,
			Updated:   updated,
			Version:   e.Version,
			URL:       advisoryURL(n),
			CVEs:      sortedUnique(e.CVE),
		})
		for _, f := range e.Files {
			var versions []string
			for _, vs := range f.Versions {
				versions = append(versions, vs...)
			}
			out.Patches = append(out.Patches, normalize.Patch{
				ID:             f.Name,
				Vendor:         Vendor,
				Product:        Product,
				Version:        strings.Join(versions, ", "),
				Released:       published,
				Classification: "Security",
				URL:            Base + f.Name,
				AdvisoryID:     id,
			})
		}
		out.Follow = append(out.Follow, textURL(n))
		if err := noteVersionTime(&out, textURL(n), e.VersionTime); err != nil {
			return scrapers.Parsed{}, fmt.Errorf("%s: %s version_time: %w", u, id, err)
		}
	}
	return out, nil
}

// day turns xenbits' "2012-12-03 17:51" into "2012-12-03".
func day(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	for _, layout := range []string{"2006-01-02 15:04", "2006-01-02 15:04:05", normalize.DateLayout} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.Format(normalize.DateLayout), nil
		}
	}
	return "", fmt.Errorf("unrecognised date %q", s)
}

var indexCell = regexp.MustCompile(`^XSA-([1-9][0-9]*)$`)

// parseIndexHTML reads the HTML index for what the feed lacks: numbers
// listed as unused or withdrawn. Published rows only add the advisory text
// to the visit list, so the harvest still works when the feed is down.
func parseIndexHTML(body []byte, u *url.URL) (scrapers.Parsed, error) {
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(body))
	if err != nil {
		return scrapers.Parsed{}, fmt.Errorf("%s: %w", u, err)
	}
	var out scrapers.Parsed
	rows := 0
	doc.Find("tr").Each(func(_ int, tr *goquery.Selection) {
		cells := tr.Find("td")
		if cells.Length() < 2 {
			return
		}
		first := cells.First()
		m := indexCell.FindStringSubmatch(strings.TrimSpace(first.Text()))
		if m == nil {
			return
		}
		rows++
		n := m[1]
		if first.Find("a").Length() > 0 {
			out.Follow = append(out.Follow, textURL(n))
			return
		}
		rest := strings.ToLower(cells.Slice(1, cells.Length()).Text())
		var status normalize.Status
		switch {
		case strings.Contains(rest, "withdrawn"):
			status = normalize.StatusWithdrawn
		case strings.Contains(rest, "unused"):
			status = normalize.StatusUnused
		default:
			return
		}
		out.Advisories = append(out.Advisories, normalize.Advisory{
			ID:     advisoryID(n),
			Vendor: Vendor,
			Status: status,
			URL:    u.String(),
			CVEs:   []string{},
		})
	})
	if rows == 0 {
		return scrapers.Parsed{}, fmt.Errorf("%s: no XSA rows found (has the index layout changed?)", u)
	}
	return out, nil
}

var (
	headerLine    = regexp.MustCompile(`Xen Security Advisory\s+(.*)$`)
	xsaInHeader   = regexp.MustCompile(`\bXSA-([1-9][0-9]*)\b`)
	cveInText     = regexp.MustCompile(`\bCVE-\d{4}-\d{4,}\b`)
	cveList       = regexp.MustCompile(`^(?:CVE-\d{4}-\d{4,}[,\s]*)+$`)
	versionLine   = regexp.MustCompile(`^version\s+(\d+)$`)
	underline     = regexp.MustCompile(`^=+$`)
	resolutionRow = regexp.MustCompile(`^\s*(xsa[0-9][\w.*?+-]*(?:/[\w.*?+-]+)*)(?:(?:\s{2,}|\t)(\S.*?))?\s*$`)
	sha256Line    = regexp.MustCompile(`^\s*[0-9a-f]{64}\s+\*?(\S+)\s*$`)
)

// Section titles of an advisory that the classifier and the record use.
const (
	secDescription = "ISSUE DESCRIPTION"
	secImpact      = "IMPACT"
	secVulnerable  = "VULNERABLE SYSTEMS"
	secResolution  = "RESOLUTION"
)

// parseAdvisoryText reads one advisory-N.txt: the PGP-signed text with a
// centred header (CVEs / XSA-N, version, title) and "="-underlined
// sections. It yields the advisory and its one fix.
func parseAdvisoryText(body []byte, u *url.URL, n string) (scrapers.Parsed, error) {
	text, err := scrapers.Unsign(string(body))
	if err != nil {
		return scrapers.Parsed{}, fmt.Errorf("%s: %w", u, err)
	}
	header, sections := splitSections(text)
	if len(sections) == 0 {
		return scrapers.Parsed{}, fmt.Errorf("%s: no sections found (empty or truncated page?)", u)
	}
	h, err := parseHeader(header)
	if err != nil {
		return scrapers.Parsed{}, fmt.Errorf("%s: %w", u, err)
	}
	if h.number != n {
		return scrapers.Parsed{}, fmt.Errorf("%s: page holds XSA-%s, not XSA-%s", u, h.number, n)
	}
	get := func(title string) string {
		for _, s := range sections {
			if s.Title == title {
				return s.Text
			}
		}
		return ""
	}
	id := advisoryID(n)
	description := get(secDescription)
	if description == "" {
		return scrapers.Parsed{}, fmt.Errorf("%s: no %s section", u, secDescription)
	}
	patchIDs, versions := resolution(get(secResolution))
	tag := normalize.Classify(Vendor,
		normalize.Field{Name: "title", Text: h.title},
		normalize.Field{Name: "issue description", Text: description},
		normalize.Field{Name: "impact", Text: get(secImpact)},
		normalize.Field{Name: "vulnerable systems", Text: get(secVulnerable)},
	)
	adv := normalize.Advisory{
		ID:       id,
		Vendor:   Vendor,
		Status:   normalize.StatusPublished,
		Title:    h.title,
		Version:  h.version,
		URL:      advisoryURL(n),
		Affected: firstParagraph(get(secVulnerable)),
		CVEs:     h.cves,
		Sections: sections,
	}
	fix := normalize.Fix{
		ID:         id + "/1",
		AdvisoryID: id,
		PatchIDs:   patchIDs,
		Vendor:     Vendor,
		Product:    Product,
		Versions:   versions,
		Component:  tag.Component,
		Category:   tag.Category,
		Security:   true,
		CVEs:       h.cves,
		Summary:    firstParagraph(description),
		Rule:       tag.Rule,
		Evidence:   tag.Evidence,
	}
	return scrapers.Parsed{Result: normalize.Result{
		Advisories: []normalize.Advisory{adv},
		Fixes:      []normalize.Fix{fix},
	}}, nil
}

// splitSections cuts the text at each line underlined with "=". What comes
// before the first heading is the header.
func splitSections(text string) (header []string, sections []normalize.Section) {
	lines := strings.Split(text, "\n")
	var cur *normalize.Section
	var body []string
	flush := func() {
		if cur != nil {
			cur.Text = strings.TrimSpace(strings.Join(body, "\n"))
			sections = append(sections, *cur)
		}
	}
	for i := 0; i < len(lines); i++ {
		line := strings.TrimRight(lines[i], " \t")
		if i+1 < len(lines) && strings.TrimSpace(line) != "" && underline.MatchString(strings.TrimSpace(lines[i+1])) {
			flush()
			cur = &normalize.Section{Title: strings.TrimSpace(line)}
			body = nil
			i++
			continue
		}
		if cur == nil {
			header = append(header, line)
		} else {
			body = append(body, line)
		}
	}
	flush()
	return header, sections
}

type header struct {
	number  string
	version int
	title   string
	cves    []string
}

// parseHeader reads the centred block: "Xen Security Advisory CVE-… /
// XSA-N", "version N" (absent from first versions), then the title
// (possibly over several lines).
func parseHeader(lines []string) (header, error) {
	var h header
	seenAdvisory, seenVersion := false, false
	advisoryLine := ""
	var title []string
	for _, raw := range lines {
		line := strings.TrimSpace(raw)
		if line == "" {
			continue
		}
		switch {
		case !seenAdvisory:
			h.cves = append(h.cves, cveInText.FindAllString(line, -1)...)
			if m := headerLine.FindStringSubmatch(line); m != nil {
				advisoryLine = line
				line = m[1]
			}
			if advisoryLine == "" {
				continue
			}
			// A long CVE list wraps the header line: the "/ XSA-N" that
			// ends it may come a line or two later.
			if x := xsaInHeader.FindStringSubmatch(line); x != nil {
				seenAdvisory = true
				h.number = x[1]
			} else if !cveList.MatchString(line) {
				return header{}, fmt.Errorf("header %q names no XSA number", advisoryLine)
			}
		case !seenVersion:
			seenVersion = true
			m := versionLine.FindStringSubmatch(line)
			if m == nil {
				// First versions of an advisory carry no version line:
				// this line is already the title.
				h.version = 1
				title = append(title, line)
				continue
			}
			h.version, _ = strconv.Atoi(m[1])
		default:
			title = append(title, line)
		}
	}
	if !seenAdvisory && advisoryLine != "" {
		return header{}, fmt.Errorf("header %q names no XSA number", advisoryLine)
	}
	if !seenAdvisory {
		return header{}, errors.New("no \"Xen Security Advisory\" header line")
	}
	if len(title) == 0 {
		return header{}, errors.New("header has no title")
	}
	h.title = strings.Join(title, " ")
	h.cves = sortedUnique(h.cves)
	return h, nil
}

// resolution lists the patch files of the RESOLUTION section's table and
// the versions each applies to, in the advisory's order. A row is a file
// name, then (after two or more spaces, or a tab) the versions; the versions may sit
// alone on the next, indented line when the name is long, or be missing.
// A name written as a glob ("xsa196-000*.patch", "xsa226-4.?.patch") stands
// for the files of the advisory's sha256sum list that it matches; with no
// such list the glob itself is kept.
func resolution(text string) (patches, versions []string) {
	patches, versions = []string{}, []string{}
	lines := strings.Split(text, "\n")
	var listed []string
	for _, line := range lines {
		if m := sha256Line.FindStringSubmatch(line); m != nil {
			listed = append(listed, m[1])
		}
	}
	add := func(list []string, s string) []string {
		if s == "" || slices.Contains(list, s) {
			return list
		}
		return append(list, s)
	}
	for i, line := range lines {
		m := resolutionRow.FindStringSubmatch(line)
		if m == nil || !strings.ContainsAny(m[1], "./") {
			continue
		}
		name, version := m[1], m[2]
		if version == "" && i+1 < len(lines) && continuation(lines[i+1]) {
			version = strings.TrimSpace(lines[i+1])
		}
		for _, p := range expandGlob(name, listed) {
			patches = add(patches, p)
		}
		versions = add(versions, version)
	}
	return patches, versions
}

// continuation reports whether line carries the versions of the row above
// it: indented, not empty, and not itself a file name or a sha256 line.
func continuation(line string) bool {
	if strings.TrimSpace(line) == "" || !strings.HasPrefix(line, " ") && !strings.HasPrefix(line, "\t") {
		return false
	}
	return !resolutionRow.MatchString(line) && !sha256Line.MatchString(line)
}

// expandGlob returns the names of listed that the glob name matches, or
// name itself when it is no glob or matches nothing listed.
func expandGlob(name string, listed []string) []string {
	if !strings.ContainsAny(name, "*?") {
		return []string{name}
	}
	var out []string
	for _, l := range listed {
		if ok, err := path.Match(name, l); err == nil && ok {
			out = append(out, l)
		}
	}
	if len(out) == 0 {
		return []string{name}
	}
	return out
}

// firstParagraph returns a section's first paragraph on one line.
func firstParagraph(text string) string {
	p, _, _ := strings.Cut(strings.TrimSpace(text), "\n\n")
	return strings.Join(strings.Fields(p), " ")
}

// sortedUnique returns the trimmed, sorted, de-duplicated strings, never
// nil, so JSON shows an empty list rather than null.
func sortedUnique(in []string) []string {
	out := append([]string{}, in...)
	for i := range out {
		out[i] = strings.TrimSpace(out[i])
	}
	slices.Sort(out)
	return slices.Compact(out)
}
