package vmware

import (
	"regexp"
	"strings"

	"github.com/patchwatch/patchwatch/normalize"
)

// patchIDPattern matches every VMware patch naming scheme: ESX 3.0.x
// bundles (ESX-1002424), 3.5–8.x bulletins (ESX410-201211402-SG), patch
// releases (ESXi670-202103001) and image profiles (ESXi70U1c-17325551).
var patchIDPattern = regexp.MustCompile(`\b(?:ESX-\d{7}|ESXi?\d{3}-\d{9}(?:-[A-Z]{2})?|ESXi\d{2}U\d[a-z]?-\d{6,}|ESXi_\d+\.\d+\.\d+-\d+\.\d+\.\d+)\b`)

var (
	tableRule    = regexp.MustCompile(`^\s*=+(?:\s+=+){2,}\s*$`)
	versionToken = regexp.MustCompile(`^(?:\d+(?:\.[\dx]+)*(?:\.x)?|any|\d+\.x\.x)$`)
	wideGap      = regexp.MustCompile(`\s{2,}`)
	seeAdvisory  = regexp.MustCompile(`(?i)^see\s+(VMSA-\d{4}-\d{4})`)
	// statusPhrases end a remedy cell; the longest first.
	statusPhrases = []string{"no patch planned", "not affected", "not applicable", "patch pending", "unaffected", "n/a"}
)

// remedyStatus maps a remedy cell ("ESX410-201204401-SG", "not affected",
// "7.1.5 or later", "See VMSA-2012-0013") to a normalized remedy.
func remedyStatus(cell string) normalize.Remedy {
	c := strings.TrimSpace(strings.TrimRight(strings.TrimSpace(cell), "* "))
	low := strings.ToLower(c)
	switch {
	case low == "not affected" || low == "unaffected":
		return normalize.Remedy{Status: normalize.RemedyNotAffected}
	case low == "patch pending":
		return normalize.Remedy{Status: normalize.RemedyPatchPending}
	case low == "not applicable" || low == "n/a":
		return normalize.Remedy{Status: normalize.RemedyNotApplicable}
	case low == "no patch planned":
		// VMware will not fix this version: nothing to apply.
		return normalize.Remedy{Status: normalize.RemedyNotApplicable, FixedVersion: c}
	}
	if id := patchIDPattern.FindString(c); id != "" && strings.TrimSpace(strings.Replace(c, id, "", 1)) == "" {
		return normalize.Remedy{Status: normalize.RemedyFixed, PatchID: id}
	}
	return normalize.Remedy{Status: normalize.RemedyFixed, FixedVersion: c}
}

// parseTextRow reads one row of a fixed-width remedy table. Columns are
// normally two or more spaces apart, but copies of the mails collapse
// them, so a row that does not split into four falls back to tokens: the
// product runs to the first version-like token, the remedy is a status
// phrase, a patch ID or "see VMSA-…" at the end, and the platform is what
// lies between (a single word when the remedy is a free version text).
func parseTextRow(line string) (normalize.Remedy, bool) {
	t := strings.TrimSpace(line)
	if t == "" || strings.HasPrefix(t, "*") || strings.HasSuffix(t, ".") || strings.HasSuffix(t, ":") {
		return normalize.Remedy{}, false
	}
	if f := wideGap.Split(t, -1); len(f) >= 4 && versionToken.MatchString(strings.ToLower(f[1])) {
		r := remedyStatus(strings.Join(f[3:], " "))
		r.Product, r.Version, r.Platform = f[0], f[1], f[2]
		return r, true
	}
	tok := strings.Fields(strings.TrimRight(t, "* "))
	v := -1
	for i := 1; i < len(tok); i++ {
		if versionToken.MatchString(strings.ToLower(tok[i])) {
			v = i
			break
		}
	}
	if v < 1 || len(tok) < v+3 {
		return normalize.Remedy{}, false
	}
	rest := tok[v+1:]
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
	case patchIDPattern.MatchString(rest[len(rest)-1]) && patchIDPattern.FindString(rest[len(rest)-1]) == rest[len(rest)-1]:
		remedyLen = 1
	case len(rest) >= 3 && seeAdvisory.MatchString(strings.Join(rest[len(rest)-2:], " ")):
		remedyLen = 2
	default:
		// A free remedy text names a version ("7.1.5 or later", "vCO 4.2
		// Update 1"); prose that only looks like a row does not.
		remedyLen = len(rest) - 1
		if !strings.ContainsAny(strings.Join(rest[1:], " "), "0123456789") {
			return normalize.Remedy{}, false
		}
	}
	if remedyLen >= len(rest) {
		return normalize.Remedy{}, false
	}
	r := remedyStatus(strings.Join(rest[len(rest)-remedyLen:], " "))
	r.Product = strings.Join(tok[:v], " ")
	r.Version = tok[v]
	r.Platform = strings.Join(rest[:len(rest)-remedyLen], " ")
	return r, true
}

// isHeaderRow tells the two header rows of a remedy table from its data.
func isHeaderRow(c []string) bool {
	for _, x := range c {
		l := strings.ToLower(strings.TrimRight(x, "* "))
		if strings.Contains(l, "replace with") || strings.Contains(l, "apply patch") || l == "running" || l == "on" {
			return true
		}
	}
	return false
}

// matrixColumns maps a Response Matrix header row to column positions.
type matrixColumns struct{ product, component, version, platform, cve, severity, fixed int }

func newMatrixColumns(header []string) (matrixColumns, bool) {
	m := matrixColumns{-1, -1, -1, -1, -1, -1, -1}
	for i, h := range header {
		switch l := strings.ToLower(h); {
		case strings.Contains(l, "fixed version"):
			m.fixed = i
		case strings.Contains(l, "product"):
			m.product = i
		case strings.Contains(l, "component"):
			m.component = i
		case strings.Contains(l, "running on"):
			m.platform = i
		case l == "version":
			m.version = i
		case strings.Contains(l, "cve"):
			m.cve = i
		case l == "severity":
			m.severity = i
		}
	}
	return m, m.fixed >= 0 && m.product >= 0 && m.version >= 0
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

// remedyTable reads the remedy rows of an item: the fixed-width table
// under a "=====" rule, an HTML table rendered as cell rows, or a Response
// Matrix.
func remedyTable(text string) tableFindings {
	var out tableFindings
	var matrix *matrixColumns
	inText := false
	for _, line := range strings.Split(text, "\n") {
		if tableRule.MatchString(line) {
			inText, matrix = true, nil
			continue
		}
		if c := cells(line); c != nil {
			inText = false
			if m, ok := newMatrixColumns(c); ok {
				matrix = &m
				continue
			}
			if isHeaderRow(c) {
				matrix = nil
				continue
			}
			if matrix != nil {
				r := remedyStatus(at(c, matrix.fixed))
				r.Product, r.Version, r.Platform = at(c, matrix.product), at(c, matrix.version), at(c, matrix.platform)
				out.remedies = append(out.remedies, r)
				out.cves = append(out.cves, cvePattern.FindAllString(at(c, matrix.cve), -1)...)
				out.severity = firstNonEmpty(out.severity, titleCase(at(c, matrix.severity)))
				out.components = append(out.components, at(c, matrix.component))
				continue
			}
			if len(c) >= 4 && versionToken.MatchString(strings.ToLower(c[1])) {
				r := remedyStatus(strings.Join(c[3:], " "))
				r.Product, r.Version, r.Platform = c[0], c[1], c[2]
				out.remedies = append(out.remedies, r)
			}
			continue
		}
		matrix = nil
		if !inText || strings.TrimSpace(line) == "" {
			continue
		}
		if r, ok := parseTextRow(line); ok {
			out.remedies = append(out.remedies, r)
			continue
		}
		inText = false
	}
	out.components = unique(out.components)
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
