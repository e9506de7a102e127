package vmware

import (
	"regexp"
	"slices"
	"strings"

	"github.com/patchwatch/patchwatch/normalize"
)

// patchIDPattern matches every VMware patch naming scheme: ESX 3.0.x
// bundles (ESX-1002424), 3.5–8.x bulletins (ESX410-201211402-SG, ESX 3i's
// ESXe350-201302401-I-SG), patch releases (ESXi670-202103001) and image
// profiles (ESXi70U1c-17325551). A bulletin's suffix needs no word break
// after it: copies of the pages run it into the next word
// ("ESXi500-201510101-SGVMware").
var patchIDPattern = regexp.MustCompile(`\b(?:ESX-\d{7}\b|ESX[ie]?\d{3}-\d{9}(?:-(?:[A-Z]-)?[A-Z]{2}|\b)|ESXi\d{2}U\d[a-z]?-\d{6,}\b|ESXi_\d+\.\d+\.\d+-\d+\.\d+\.\d+\b)`)

var (
	tableRule = regexp.MustCompile(`^\s*=+(?:\s+=+){2,}\s*$`)
	ruleRun   = regexp.MustCompile(`=+`)
	word      = regexp.MustCompile(`\S+`)
	// versionToken is a product version cell or its first word: "4.1",
	// "5.5.x", "6.x", "any", "All", "2.8.x," (of "2.8.x, 2.7.x").
	versionToken = regexp.MustCompile(`^(?:\d+(?:\.[\dx]+)*(?:\.x)?|any|all|\d+\.x\.x),?\*?$`)
	// versionMore continues a version: an update ("6.0 U3", "6.0 U2*",
	// "5.5 Update 2") or another version after a comma.
	versionMore  = regexp.MustCompile(`(?i)^(?:U\d+[a-z]?|Update|\d+[a-z]?)\*?,?$`)
	wideGap      = regexp.MustCompile(`\s{2,}`)
	seeAdvisory  = regexp.MustCompile(`(?i)^see\s+(VMSA-\d{4}-\d{4})`)
	severityCell = regexp.MustCompile(`(?i)^(?:critical|important|moderate|low|n/a)$`)
	// patchRest is what may follow the patch IDs of a remedy cell:
	// separators, footnote marks and a note in parentheses
	// ("ESX400-201302401-SG (includes vSphere client)").
	patchRest = regexp.MustCompile(`^(?:[\s,*]|\band\b|\([^)]*\))*$`)
	// statusPhrases end a remedy cell; the longest first.
	statusPhrases = []string{"no patch planned", "not affected", "not applicable", "patch pending", "unaffected", "n/a"}
)

// remedyStatus maps a remedy cell ("ESX410-201204401-SG", "not affected",
// "7.1.5 or later", "See VMSA-2012-0013") to normalized remedies: one per
// patch ID when the cell names patches, else one.
func remedyStatus(cell string) []normalize.Remedy {
	c := strings.TrimSpace(strings.TrimRight(strings.TrimSpace(cell), "* "))
	low := strings.ToLower(c)
	switch {
	case low == "not affected" || low == "unaffected":
		return []normalize.Remedy{{Status: normalize.RemedyNotAffected}}
	case low == "patch pending":
		return []normalize.Remedy{{Status: normalize.RemedyPatchPending}}
	case low == "not applicable" || low == "n/a":
		return []normalize.Remedy{{Status: normalize.RemedyNotApplicable}}
	case low == "no patch planned":
		// VMware will not fix this version: nothing to apply.
		return []normalize.Remedy{{Status: normalize.RemedyNotApplicable, FixedVersion: c}}
	}
	if ids := patchIDPattern.FindAllString(c, -1); len(ids) > 0 && patchRest.MatchString(patchIDPattern.ReplaceAllString(c, "")) {
		out := make([]normalize.Remedy, 0, len(ids))
		for _, id := range ids {
			out = append(out, normalize.Remedy{Status: normalize.RemedyFixed, PatchID: id})
		}
		return out
	}
	return []normalize.Remedy{{Status: normalize.RemedyFixed, FixedVersion: c}}
}

// colKind is what a remedy table column holds.
type colKind int

const (
	colOther colKind = iota
	colProduct
	colComponent
	colVersion
	colPlatform
	colCVE
	colSeverity
	colRemedy
)

// columns maps the columns of a remedy table, in order, to what they hold.
type columns []colKind

// columnKind reads one header cell. VMware's remedy tables name their
// columns "VMware Product", "Product Version", "Running on", "Severity",
// "Replace with/ Apply Patch" (2012–2017) or "Fixed Version" (2017+),
// "Workaround" and so on.
func columnKind(h string) colKind {
	switch l := strings.ToLower(h); {
	case strings.Contains(l, "fixed version") || strings.Contains(l, "replace with") || strings.Contains(l, "apply patch"):
		return colRemedy
	case strings.Contains(l, "running"):
		return colPlatform
	case strings.Contains(l, "cve"):
		return colCVE
	case strings.Contains(l, "severity"):
		return colSeverity
	case strings.Contains(l, "workaround") || strings.Contains(l, "mitigation") || strings.Contains(l, "documentation") || strings.Contains(l, "cvss"):
		return colOther
	case strings.Contains(l, "version"):
		return colVersion
	case strings.Contains(l, "component"):
		return colComponent
	case strings.Contains(l, "product"):
		return colProduct
	}
	return colOther
}

// headerColumns maps header cells to columns; ok when they name a product,
// a version and a remedy.
func headerColumns(header []string) (columns, bool) {
	cols := make(columns, len(header))
	seen := map[colKind]bool{}
	for i, h := range header {
		k := columnKind(h)
		if seen[k] && k != colOther {
			// "VMware Product" then "Product Version": the first wins.
			k = colOther
		}
		seen[k] = true
		cols[i] = k
	}
	return cols, seen[colProduct] && seen[colVersion] && seen[colRemedy]
}

// index is the position of the first column of kind k, or -1.
func (cols columns) index(k colKind) int {
	for i, c := range cols {
		if c == k {
			return i
		}
	}
	return -1
}

// row reads one table row whose cells line up with the columns.
func (cols columns) row(c []string) (rs []normalize.Remedy, cves []string, severity, component string) {
	cell := func(k colKind) string { return at(c, cols.index(k)) }
	rs = remedyStatus(cell(colRemedy))
	for i := range rs {
		rs[i].Product, rs[i].Version, rs[i].Platform = cell(colProduct), cell(colVersion), cell(colPlatform)
	}
	return rs, cvePattern.FindAllString(cell(colCVE), -1), severityOf(cell(colSeverity)), cell(colComponent)
}

// severityOf spells a severity cell as the header does ("Important");
// "N/A" (a row that is not affected) is no severity.
func severityOf(cell string) string {
	if strings.EqualFold(strings.TrimSpace(cell), "n/a") {
		return ""
	}
	return titleCase(cell)
}

// textHeader reads the header lines above a fixed-width table's "======"
// rule: every word belongs to the rule's run it starts under (or the
// nearest one), and the words of each run, top to bottom, name a column.
// Copies that collapsed the spacing lose the alignment; their columns are
// the usual ones, with Severity and Workaround when the header names them.
func textHeader(head []string, rule string) columns {
	runs := ruleRun.FindAllStringIndex(rule, -1)
	names := make([]string, len(runs))
	for _, l := range head {
		for _, w := range word.FindAllStringIndex(l, -1) {
			best, dist := 0, -1
			for i, r := range runs {
				d := 0
				switch {
				case w[0] < r[0]:
					d = r[0] - w[0]
				case w[0] >= r[1]:
					d = w[0] - r[1] + 1
				}
				if dist < 0 || d < dist {
					best, dist = i, d
				}
			}
			names[best] += " " + l[w[0]:w[1]]
		}
	}
	if cols, ok := headerColumns(names); ok && !slices.Contains(names, "") {
		return cols
	}
	all := strings.ToLower(strings.Join(head, " "))
	cols := columns{colProduct, colVersion, colPlatform}
	if strings.Contains(all, "severity") {
		cols = append(cols, colSeverity)
	}
	cols = append(cols, colRemedy)
	if strings.Contains(all, "workaround") {
		cols = append(cols, colOther)
	}
	return cols
}

// parseTextRow reads one row of a fixed-width remedy table. Columns are
// normally two or more spaces apart; a row that splits into as many cells
// as the table has columns is read cell by cell. Copies of the mails
// collapse the spacing, so other rows fall back to tokens: the product
// runs to the first version-like token, the version takes its update
// ("6.0 U3") and further versions ("2.8.x, 2.7.x"), the platform is one
// word, a Severity column one word when the table has it, a trailing
// Workaround "None" or "N/A" is dropped, and the remedy is a status
// phrase, patch IDs or "see VMSA-…" at the end (the platform then takes
// the words between) or a free text naming a version.
func parseTextRow(line string, cols columns) ([]normalize.Remedy, string, bool) {
	t := strings.TrimSpace(line)
	if t == "" || strings.HasPrefix(t, "*") || strings.HasSuffix(t, ".") || strings.HasSuffix(t, ":") {
		return nil, "", false
	}
	if f := wideGap.Split(t, -1); len(f) == len(cols) && versionToken.MatchString(strings.ToLower(strings.Fields(at(f, cols.index(colVersion)) + " x")[0])) {
		rs, _, sev, _ := cols.row(f)
		return rs, sev, true
	}
	tok := strings.Fields(strings.TrimRight(t, "* "))
	v := -1
	for i := 1; i < len(tok); i++ {
		if versionToken.MatchString(strings.ToLower(tok[i])) {
			v = i
			break
		}
	}
	if v < 1 {
		return nil, "", false
	}
	end := v + 1
	for end < len(tok) && (strings.HasSuffix(tok[end-1], ",") || versionMore.MatchString(tok[end]) && !patchIDPattern.MatchString(tok[end])) {
		if versionMore.MatchString(tok[end]) && strings.EqualFold(tok[end], "update") && end+1 < len(tok) {
			end++
		}
		end++
	}
	version := strings.TrimRight(strings.Join(tok[v:end], " "), ",")
	rest := tok[end:]
	if cols.index(colRemedy) < len(cols)-1 && len(rest) > 0 {
		if l := strings.ToLower(rest[len(rest)-1]); l == "none" || l == "n/a" {
			rest = rest[:len(rest)-1]
		}
	}
	severity := ""
	if cols.index(colSeverity) >= 0 && len(rest) > 2 {
		for i := 1; i < len(rest)-1; i++ {
			if severityCell.MatchString(rest[i]) {
				severity = severityOf(rest[i])
				rest = append(append([]string{}, rest[:i]...), rest[i+1:]...)
				break
			}
		}
	}
	if len(rest) < 2 {
		return nil, "", false
	}
	remedyLen := 0
	low := strings.ToLower(strings.Join(rest, " "))
	for _, p := range statusPhrases {
		if strings.HasSuffix(low, " "+p) {
			remedyLen = len(strings.Fields(p))
			break
		}
	}
	switch {
	case remedyLen > 0:
	case patchIDPattern.FindString(rest[len(rest)-1]) == rest[len(rest)-1]:
		remedyLen = 1
		for remedyLen < len(rest)-1 && patchIDPattern.FindString(rest[len(rest)-1-remedyLen]) == rest[len(rest)-1-remedyLen] {
			remedyLen++
		}
	case len(rest) >= 3 && seeAdvisory.MatchString(strings.Join(rest[len(rest)-2:], " ")):
		remedyLen = 2
	default:
		// A free remedy text names a version ("7.1.5 or later", "vCO 4.2
		// Update 1") or a KB article; prose that only looks like a row
		// does not.
		remedyLen = len(rest) - 1
		if !strings.ContainsAny(strings.Join(rest[1:], " "), "0123456789") {
			return nil, "", false
		}
	}
	if remedyLen >= len(rest) {
		return nil, "", false
	}
	rs := remedyStatus(strings.Join(rest[len(rest)-remedyLen:], " "))
	for i := range rs {
		rs[i].Product = strings.Join(tok[:v], " ")
		rs[i].Version = version
		rs[i].Platform = strings.Join(rest[:len(rest)-remedyLen], " ")
	}
	return rs, severity, true
}

// continuedRow reads a line that only names more patches for the row
// above it ("ESXi400-201302403-SG (vSphere client)").
func continuedRow(line string) []normalize.Remedy {
	t := strings.TrimSpace(line)
	if patchIDPattern.FindStringIndex(t) == nil || patchIDPattern.FindStringIndex(t)[0] != 0 {
		return nil
	}
	rs := remedyStatus(t)
	if rs[0].PatchID == "" {
		return nil
	}
	return rs
}

// isHeaderRow tells the header rows of a remedy table from its data.
func isHeaderRow(c []string) bool {
	for _, x := range c {
		l := strings.ToLower(strings.TrimRight(x, "* "))
		if strings.Contains(l, "replace with") || strings.Contains(l, "apply patch") || strings.Contains(l, "fixed version") ||
			l == "running" || l == "running on" || l == "on" || l == "product version" {
			return true
		}
	}
	return false
}

// mergeHeader joins header rows cell by cell: a two-row header ("VMware",
// "Product" over "Product", "Version") names "VMware Product",
// "Product Version".
func mergeHeader(rows [][]string) []string {
	var out []string
	for _, r := range rows {
		for i, c := range r {
			if i >= len(out) {
				out = append(out, c)
			} else {
				out[i] = strings.TrimSpace(out[i] + " " + c)
			}
		}
	}
	return out
}

func at(c []string, i int) string {
	if i < 0 || i >= len(c) {
		return ""
	}
	return c[i]
}

// tableFindings is what an item's remedy table says.
type tableFindings struct {
	remedies []normalize.Remedy
	cves     []string
	severity string
	// components are the Response Matrix "Component" cells.
	components []string
}

// canonicalColumns are the four columns of the 2012–2016 remedy table,
// for rows of an HTML table whose header could not be read.
var canonicalColumns = columns{colProduct, colVersion, colPlatform, colRemedy}

// remedyTable reads the remedy rows of an item: the fixed-width table
// under a "=====" rule, an HTML table rendered as cell rows (its header
// rows say which column is which), or a Response Matrix.
func remedyTable(text string) tableFindings {
	var out tableFindings
	var cols columns
	var header [][]string
	var textCols columns
	lines := strings.Split(text, "\n")
	add := func(rs []normalize.Remedy, cves []string, severity, component string) {
		out.remedies = append(out.remedies, rs...)
		out.cves = append(out.cves, cves...)
		out.severity = firstNonEmpty(out.severity, severity)
		out.components = append(out.components, component)
	}
	for i, line := range lines {
		if tableRule.MatchString(line) {
			textCols = textHeader(headLines(lines[:i]), line)
			cols = nil
			continue
		}
		if c := cells(line); c != nil {
			textCols = nil
			if isHeaderRow(c) {
				header = append(header, c)
				if m, ok := headerColumns(mergeHeader(header)); ok {
					cols = m
				}
				continue
			}
			if len(header) > 0 && cols == nil {
				// A first header row alone ("VMware | Product | Running")
				// is not yet a header; with the next it is.
				if m, ok := headerColumns(mergeHeader(append(header, c))); ok {
					header, cols = append(header, c), m
					continue
				}
			}
			header = nil
			switch {
			case cols != nil:
				add(cols.row(c))
			case len(c) >= 4 && versionToken.MatchString(strings.ToLower(strings.Fields(c[1] + " x")[0])):
				rs, _, _, _ := canonicalColumns.row(append(c[:3:3], strings.Join(c[3:], " ")))
				add(rs, nil, "", "")
			}
			continue
		}
		cols, header = nil, nil
		if textCols == nil || strings.TrimSpace(line) == "" {
			continue
		}
		if rs, sev, ok := parseTextRow(line, textCols); ok {
			add(rs, nil, sev, "")
			continue
		}
		if rs := continuedRow(line); rs != nil && len(out.remedies) > 0 {
			prev := out.remedies[len(out.remedies)-1]
			for j := range rs {
				rs[j].Product, rs[j].Version, rs[j].Platform = prev.Product, prev.Version, prev.Platform
			}
			add(rs, nil, "", "")
			continue
		}
		textCols = nil
	}
	out.components = unique(out.components)
	return out
}

// headLines are the (at most three) non-blank lines right above a table
// rule: the table's header.
func headLines(above []string) []string {
	var out []string
	for i := len(above) - 1; i >= 0 && len(out) < 3; i-- {
		if strings.TrimSpace(above[i]) == "" {
			break
		}
		out = append([]string{above[i]}, out...)
	}
	return out
}

var (
	// productVersion names a product and version on a line; "Server"
	// alone is part of "vCenter Server", so VMware Server needs its name.
	productVersion = regexp.MustCompile(`\b(ESXi?|Workstation|Player|ACE|Fusion|VMware Server)(?:\s+Server)?\s+(\d+\.\d+(?:\.\d+)?)\b`)
	upgradeTo      = regexp.MustCompile(`(?i)\bupgrade to\s+(.*?)\s*(?:\(|$)`)
)

// patchList reads the per-product patch lists of the 2007–2008 mails,
// which have no remedy table: a line naming "ESX 3.0.2" (or a hosted
// product and version) sets the product
// and version for the patch IDs on it and on the lines after it; a line
// saying that version is not affected, or to upgrade, is a remedy too.
func patchList(text string) []normalize.Remedy {
	var out []normalize.Remedy
	product, version := "", ""
	for _, line := range strings.Split(text, "\n") {
		if m := productVersion.FindStringSubmatch(line); m != nil {
			product, version = productName(m[1]), m[2]
			low := strings.ToLower(line)
			switch {
			case strings.Contains(low, "not affected"):
				out = append(out, normalize.Remedy{Product: product, Version: version, Status: normalize.RemedyNotAffected})
				continue
			case upgradeTo.MatchString(line):
				out = append(out, normalize.Remedy{Product: product, Version: version, Status: normalize.RemedyFixed,
					FixedVersion: upgradeTo.FindStringSubmatch(line)[1]})
				continue
			}
		}
		if product == "" {
			continue
		}
		for _, id := range patchIDPattern.FindAllString(line, -1) {
			out = append(out, normalize.Remedy{Product: product, Version: version, Status: normalize.RemedyFixed, PatchID: id})
		}
	}
	return out
}

// productName gives the ESX family one spelling ("VMware ESXi" → "ESXi",
// "ESX Server" → "ESX"); other products keep theirs, minus "VMware".
func productName(s string) string {
	s = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(s), "VMware "))
	switch strings.ToLower(s) {
	case "esx", "esx server":
		return "ESX"
	case "esxi", "esx 3i", "esxi server":
		return "ESXi"
	case "server":
		return "VMware Server"
	}
	return s
}

// esxFamily reports whether a remedy row is for an ESX or ESXi host.
func esxFamily(product string) bool {
	p := productName(product)
	return p == "ESX" || p == "ESXi"
}

// affected reports whether a remedy row says the product needed a fix.
func affected(r normalize.Remedy) bool {
	return r.Status == normalize.RemedyFixed || r.Status == normalize.RemedyPatchPending
}
