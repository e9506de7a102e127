package oracle

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/patchwatch/patchwatch/normalize"
	"github.com/patchwatch/patchwatch/scrapers"
)

var months = map[string]time.Month{
	"jan": time.January, "january": time.January, "feb": time.February, "february": time.February,
	"mar": time.March, "march": time.March, "apr": time.April, "april": time.April,
	"may": time.May, "jun": time.June, "june": time.June, "jul": time.July, "july": time.July,
	"aug": time.August, "august": time.August, "sep": time.September, "september": time.September,
	"oct": time.October, "october": time.October, "nov": time.November, "november": time.November,
	"dec": time.December, "december": time.December,
}

// cpuID names a Critical Patch Update the way Oracle abbreviates it,
// "CPUJan2024", whatever month spelling its URL uses (cpujul2014,
// cpujuly2011). The VirtualBox patch event of that CPU is
// "CPUJan2024-VirtualBox".
func cpuID(month, year string) (string, error) {
	m, ok := months[month]
	if !ok {
		return "", fmt.Errorf("unknown month %q in CPU page name", month)
	}
	return "CPU" + m.String()[:3] + year, nil
}

// column is one risk-matrix column: its header text, normalised for
// matching ("Confid-entiality" and "Confidentiality" are the same).
type column struct{ key, text string }

// matrix is one risk-matrix table with its header resolved.
type matrix struct {
	name    string
	cols    []column
	cvss    string
	rows    []*goquery.Selection
	colByID map[string]int
}

var (
	cvssVersion = regexp.MustCompile(`(?i)CVSS\s+VERSION\s+(\d\.\d)`)
	cveID       = regexp.MustCompile(`CVE-\d{4}-\d{4,}`)
	nonKey      = regexp.MustCompile(`[^a-z0-9#]+`)
	isoMonthDay = regexp.MustCompile(`(\d{4})-([A-Za-z]+)-(\d{1,2})`)
	monthDayYr  = regexp.MustCompile(`([A-Za-z]+)\s+(\d{1,2}),\s*(\d{4})`)
)

func key(s string) string { return nonKey.ReplaceAllString(strings.ToLower(s), "") }

func cellText(s *goquery.Selection) string { return strings.Join(strings.Fields(s.Text()), " ") }

// parseCPU reads one Critical Patch Update advisory: the VirtualBox rows of
// its risk matrices become fixes of one patch event, the CPU itself the
// advisory.
func parseCPU(body []byte, u *url.URL, month, year string) (scrapers.Parsed, error) {
	id, err := cpuID(month, year)
	if err != nil {
		return scrapers.Parsed{}, fmt.Errorf("%s: %w", u, err)
	}
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(body))
	if err != nil {
		return scrapers.Parsed{}, fmt.Errorf("%s: %w", u, err)
	}
	matrices, err := riskMatrices(doc)
	if err != nil {
		return scrapers.Parsed{}, fmt.Errorf("%s: %w", u, err)
	}
	if len(matrices) == 0 {
		return scrapers.Parsed{}, fmt.Errorf("%s: no risk matrix table (a header with CVE# or Vuln#)", u)
	}
	published, updated := revisionDates(doc)
	if published == "" {
		return scrapers.Parsed{}, fmt.Errorf("%s: no dated revision in the modification history", u)
	}
	title := cellText(doc.Find("h1").First())
	if title == "" {
		title = cellText(doc.Find("title").First())
	}
	patchID := id + "-VirtualBox"
	var fixes []normalize.Fix
	var cves, versions []string
	severity := ""
	for _, m := range matrices {
		for _, row := range m.rows {
			f, err := m.fix(row, len(fixes)+1, id, patchID)
			if errors.Is(err, errNotVirtualBox) {
				continue
			}
			if err != nil {
				return scrapers.Parsed{}, fmt.Errorf("%s: %s: %w", u, m.name, err)
			}
			fixes = append(fixes, f)
			cves = append(cves, f.CVEs...)
			for _, v := range f.Versions {
				if !slices.Contains(versions, v) {
					versions = append(versions, v)
				}
			}
			if rank(f.Severity) > rank(severity) {
				severity = f.Severity
			}
		}
	}
	if len(fixes) == 0 {
		// A quarter without VirtualBox fixes is no patch event.
		return scrapers.Parsed{}, nil
	}
	slices.Sort(cves)
	cves = slices.Compact(cves)
	if cves == nil {
		cves = []string{}
	}
	adv := normalize.Advisory{
		ID: id, Vendor: Vendor, Status: normalize.StatusPublished, Title: title, Severity: severity,
		Published: published, Updated: updated, URL: u.String(), CVEs: cves,
	}
	patch := normalize.Patch{
		ID: patchID, Vendor: Vendor, Product: VirtualBox, Version: strings.Join(versions, ", "),
		Released: published, Classification: "Critical Patch Update", URL: u.String(),
		AdvisoryID: id, Severity: severity, Release: id,
	}
	return scrapers.Parsed{Result: normalize.Result{
		Advisories: []normalize.Advisory{adv},
		Patches:    []normalize.Patch{patch},
		Fixes:      fixes,
	}}, nil
}

// riskMatrices finds every table whose header names a CVE# or Vuln#
// column, remembering the heading above it ("Oracle Virtualization Risk
// Matrix").
func riskMatrices(doc *goquery.Document) ([]*matrix, error) {
	var out []*matrix
	var errs []error
	heading := ""
	doc.Find("h2, h3, h4, table").Each(func(_ int, s *goquery.Selection) {
		if !s.Is("table") {
			heading = cellText(s)
			return
		}
		m := readHeader(s)
		if m == nil {
			return
		}
		m.name = heading
		if m.name == "" {
			m.name = "risk matrix"
		}
		if err := m.check(); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", m.name, err))
			return
		}
		out = append(out, m)
	})
	return out, errors.Join(errs...)
}

// readHeader resolves a two-row header: cells spanning two rows name their
// column directly; the parent "CVSS VERSION x.y RISK" cell spans the score
// columns named in the second row. Rows holding a <td> are data rows.
func readHeader(table *goquery.Selection) *matrix {
	type slot struct {
		text   string
		bottom int
	}
	var grid []map[int]bool
	cols := map[int]slot{}
	m := &matrix{colByID: map[string]int{}}
	headerRows := 0
	table.Find("tr").Each(func(_ int, tr *goquery.Selection) {
		if tr.Find("td").Length() > 0 {
			m.rows = append(m.rows, tr)
			return
		}
		r := headerRows
		headerRows++
		for len(grid) <= r+2 {
			grid = append(grid, map[int]bool{})
		}
		c := 0
		tr.Find("th").Each(func(_ int, th *goquery.Selection) {
			for grid[r][c] {
				c++
			}
			span := attrInt(th, "colspan")
			rows := attrInt(th, "rowspan")
			text := cellText(th)
			if v := cvssVersion.FindStringSubmatch(text); v != nil {
				m.cvss = v[1]
			}
			for dc := 0; dc < span; dc++ {
				for dr := 0; dr < rows; dr++ {
					for len(grid) <= r+dr {
						grid = append(grid, map[int]bool{})
					}
					grid[r+dr][c+dc] = true
				}
				if prev, ok := cols[c+dc]; !ok || r+rows-1 >= prev.bottom {
					cols[c+dc] = slot{text: text, bottom: r + rows - 1}
				}
			}
			c += span
		})
	})
	if headerRows == 0 {
		return nil
	}
	for i := 0; i < len(cols); i++ {
		s, ok := cols[i]
		if !ok {
			return nil
		}
		m.cols = append(m.cols, column{key: key(s.text), text: s.text})
	}
	found := false
	for i, c := range m.cols {
		if _, dup := m.colByID[c.key]; !dup {
			m.colByID[c.key] = i
		}
		if c.key == "cve#" || c.key == "vuln#" {
			found = true
		}
	}
	if !found {
		return nil
	}
	return m
}

func attrInt(s *goquery.Selection, name string) int {
	v, _ := s.Attr(name)
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 1 {
		return 1
	}
	return n
}

// Column keys of the risk matrices, across the CVSS eras.
const (
	colCVE, colVuln = "cve#", "vuln#"
	colProduct      = "product"
	colComponent    = "component"
	colProtocol     = "protocol"
	colRemote       = "remoteexploitwithoutauth"
	colScore        = "basescore"
	colVersions     = "supportedversionsaffected"
	colNotes        = "notes"
	colAttackVector = "attackvector"
	colAccessVector = "accessvector"
)

// check makes sure the columns a fix needs are there and settles the CVSS
// version when the header did not name it.
func (m *matrix) check() error {
	for _, need := range []string{colComponent, colScore, colVersions} {
		if _, ok := m.colByID[need]; !ok {
			return fmt.Errorf("risk matrix has no %q column", need)
		}
	}
	if m.cvss == "" {
		switch {
		case m.has(colAttackVector):
			m.cvss = "3.0"
		case m.has(colAccessVector):
			m.cvss = "2.0"
		default:
			return errors.New("risk matrix names neither Attack Vector nor Access Vector")
		}
	}
	return nil
}

func (m *matrix) has(k string) bool { _, ok := m.colByID[k]; return ok }

var errNotVirtualBox = errors.New("not a VirtualBox row")

// fix turns one risk-matrix row into a fix, or errNotVirtualBox.
func (m *matrix) fix(row *goquery.Selection, n int, advisoryID, patchID string) (normalize.Fix, error) {
	cells := row.Find("th, td")
	if cells.Length() != len(m.cols) {
		return normalize.Fix{}, fmt.Errorf("row %q has %d cells, the header %d columns", cellText(cells.First()), cells.Length(), len(m.cols))
	}
	get := func(k string) string {
		i, ok := m.colByID[k]
		if !ok {
			return ""
		}
		return cellText(cells.Eq(i))
	}
	product := get(colProduct)
	if m.has(colProduct) && !strings.Contains(product, "VirtualBox") ||
		!m.has(colProduct) && !strings.Contains(m.name, "VirtualBox") {
		return normalize.Fix{}, errNotVirtualBox
	}
	if product == "" {
		product = VirtualBox
	}
	ident := get(colCVE)
	if ident == "" {
		ident = get(colVuln)
	}
	cves := cveID.FindAllString(ident, -1)
	if cves == nil {
		cves = []string{}
	}
	score, err := strconv.ParseFloat(get(colScore), 64)
	if err != nil {
		return normalize.Fix{}, fmt.Errorf("%s: base score %q is not a number", ident, get(colScore))
	}
	vector, err := m.vector(get)
	if err != nil {
		return normalize.Fix{}, fmt.Errorf("%s: %w", ident, err)
	}
	severity := qualitative(m.cvss, score)
	var versions []string
	for _, v := range strings.Split(get(colVersions), ",") {
		if v = strings.TrimSpace(v); v != "" {
			versions = append(versions, v)
		}
	}
	component := get(colComponent)
	tag := normalize.Classify(Vendor,
		normalize.Field{Name: "cve", Text: strings.Join(cves, " ")},
		normalize.Field{Name: "component", Text: component},
		normalize.Field{Name: "notes", Text: get(colNotes)},
	)
	summary := fmt.Sprintf("Component %s, protocol %s, remote exploit without authentication: %s; CVSS %s base score %.1f (%s)",
		component, get(colProtocol), get(colRemote), m.cvss, score, vector)
	return normalize.Fix{
		ID:         fmt.Sprintf("%s/%d", patchID, n),
		AdvisoryID: advisoryID,
		PatchIDs:   []string{patchID},
		Vendor:     Vendor,
		Product:    product,
		Versions:   versions,
		Component:  tag.Component,
		Category:   tag.Category,
		Security:   true,
		Severity:   severity,
		CVEs:       cves,
		Summary:    summary,
		Rule:       tag.Rule,
		Evidence:   tag.Evidence,
	}, nil
}

// metric is one CVSS base metric: its vector key, its risk-matrix column
// and the matrix's words for each value.
type metric struct {
	abbr, col string
	values    map[string]string
}

var (
	impact3 = map[string]string{"high": "H", "low": "L", "none": "N"}
	impact2 = map[string]string{"none": "N", "partial": "P", "partial+": "P", "complete": "C"}
	cvss3   = []metric{
		{"AV", "attackvector", map[string]string{"network": "N", "adjacentnetwork": "A", "adjacent": "A", "local": "L", "physical": "P"}},
		{"AC", "attackcomplex", map[string]string{"low": "L", "high": "H"}},
		{"PR", "privsreqd", map[string]string{"none": "N", "low": "L", "high": "H"}},
		{"UI", "userinteract", map[string]string{"none": "N", "required": "R"}},
		{"S", "scope", map[string]string{"unchanged": "U", "changed": "C"}},
		{"C", "confidentiality", impact3},
		{"I", "integrity", impact3},
		{"A", "availability", impact3},
	}
	cvss2 = []metric{
		{"AV", "accessvector", map[string]string{"network": "N", "adjacentnetwork": "A", "local": "L"}},
		{"AC", "accesscomplexity", map[string]string{"low": "L", "medium": "M", "high": "H"}},
		{"Au", "authentication", map[string]string{"none": "N", "single": "S", "multiple": "M"}},
		{"C", "confidentiality", impact2},
		{"I", "integrity", impact2},
		{"A", "availability", impact2},
	}
)

// vector rebuilds the CVSS vector from the matrix's words, so fixes from
// every era carry a comparable string.
func (m *matrix) vector(get func(string) string) (string, error) {
	metrics, prefix := cvss3, "CVSS:"+m.cvss+"/"
	if strings.HasPrefix(m.cvss, "2") {
		metrics, prefix = cvss2, ""
	}
	parts := make([]string, 0, len(metrics))
	for _, mt := range metrics {
		col := mt.col
		if col == "attackcomplex" && !m.has(col) {
			col = "attackcomplexity"
		}
		raw := get(col)
		v, ok := mt.values[strings.ToLower(strings.ReplaceAll(strings.ReplaceAll(raw, "-", ""), " ", ""))]
		if !ok {
			if raw2 := strings.ToLower(strings.ReplaceAll(raw, " ", "")); mt.values[raw2] != "" {
				v, ok = mt.values[raw2], true
			}
		}
		if !ok {
			return "", fmt.Errorf("no CVSS %s value for %s (column %q holds %q)", m.cvss, mt.abbr, col, raw)
		}
		parts = append(parts, mt.abbr+":"+v)
	}
	return prefix + strings.Join(parts, "/"), nil
}

// qualitative rates a base score: the CVSS v3 scale, or for v2 the NVD
// bands Oracle's v2-era matrices were read with.
func qualitative(version string, score float64) string {
	if strings.HasPrefix(version, "2") {
		switch {
		case score >= 7:
			return "High"
		case score >= 4:
			return "Medium"
		default:
			return "Low"
		}
	}
	switch {
	case score >= 9:
		return "Critical"
	case score >= 7:
		return "High"
	case score >= 4:
		return "Medium"
	case score > 0:
		return "Low"
	}
	return "None"
}

func rank(s string) int {
	return map[string]int{"Low": 1, "Medium": 2, "High": 3, "Critical": 4}[s]
}

// revisionDates reads the modification history ("Rev 1. Initial Release"
// with its date) for the first and last revision days.
func revisionDates(doc *goquery.Document) (first, last string) {
	doc.Find("tr, li, p").Each(func(_ int, s *goquery.Selection) {
		text := cellText(s)
		if !strings.Contains(text, "Rev ") {
			return
		}
		d := findDate(text)
		if d == "" {
			return
		}
		if first == "" || d < first {
			first = d
		}
		if d > last {
			last = d
		}
	})
	return first, last
}

// findDate finds "2024-January-16" or "July 15, 2014" in a text.
func findDate(text string) string {
	build := func(y, mon, d string) string {
		m, ok := months[strings.ToLower(mon)]
		if !ok {
			return ""
		}
		yy, _ := strconv.Atoi(y)
		dd, _ := strconv.Atoi(d)
		t := time.Date(yy, m, dd, 0, 0, 0, 0, time.UTC)
		if t.Day() != dd {
			return ""
		}
		return t.Format(normalize.DateLayout)
	}
	if m := isoMonthDay.FindStringSubmatch(text); m != nil {
		return build(m[1], m[2], m[3])
	}
	if m := monthDayYr.FindStringSubmatch(text); m != nil {
		return build(m[3], m[1], m[2])
	}
	return ""
}
