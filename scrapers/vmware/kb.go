package vmware

import (
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/patchwatch/patchwatch/normalize"
	"github.com/patchwatch/patchwatch/scrapers"
)

// fieldLine is a "Label: value" line of a KB or release-notes header.
var fieldLine = regexp.MustCompile(`^([A-Z][A-Za-z ()/-]{1,60}?)\s*:\s*(\S.*)$`)

// fields reads label/value pairs from two-cell table rows and from
// "Label: value" lines; labels are lower-cased. The first value wins.
func fields(lines []string) map[string]string {
	out := map[string]string{}
	put := func(k, v string) {
		k = strings.ToLower(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(k), ":")))
		if _, ok := out[k]; !ok && k != "" {
			out[k] = strings.TrimSpace(v)
		}
	}
	for _, l := range lines {
		if c := cells(l); len(c) == 2 {
			put(c[0], c[1])
			continue
		}
		if m := fieldLine.FindStringSubmatch(strings.TrimSpace(l)); m != nil {
			put(m[1], m[2])
		}
	}
	return out
}

// first returns the value of the first label present.
func first(f map[string]string, labels ...string) string {
	for _, l := range labels {
		if v, ok := f[l]; ok {
			return v
		}
	}
	return ""
}

// yesNo reads a KB flag; anything else is "the page does not say".
func yesNo(s string) *bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "yes", "true":
		t := true
		return &t
	case "no", "false":
		f := false
		return &f
	}
	return nil
}

var packageToken = regexp.MustCompile(`^[A-Za-z0-9][\w.+-]*$`)

// packageList splits "VMware-esx-vmkernel, VMware-esx-vmx" or a list of
// VIB names; "N/A", "None" and prose give nothing.
func packageList(s string) []string {
	var out []string
	for _, p := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == '\n' }) {
		p = strings.TrimSpace(p)
		if low := strings.ToLower(p); low == "n/a" || low == "none" || !packageToken.MatchString(p) || !strings.ContainsAny(p, "-_") {
			continue
		}
		out = append(out, p)
	}
	return unique(out)
}

var kbPatchTitle = regexp.MustCompile(`Patch\s+(ESX-\d{7})`)

// parseKB reads a kb.vmware.com article: an ESX 3.0.x patch page, a patch
// release with its bulletins, or the build-number table.
func parseKB(body []byte, u *url.URL) (scrapers.Parsed, error) {
	text, doc, err := pageText(body, u)
	if err != nil {
		return scrapers.Parsed{}, err
	}
	title := strings.Join(strings.Fields(doc.Find("h1").First().Text()), " ")
	lines := strings.Split(text, "\n")
	switch {
	case hasBuildTable(lines):
		return parseBuildTable(body, lines, u)
	case bulletinHeadings(lines) > 0:
		return parseBulletinPage(lines, u, title)
	}
	f := fields(lines)
	if _, ok := f["patch classification"]; !ok {
		return scrapers.Parsed{}, fmt.Errorf("%s: no Patch Classification field, no bulletins and no build table (not a patch KB page?)", u)
	}
	m := kbPatchTitle.FindStringSubmatch(title)
	if m == nil {
		return scrapers.Parsed{}, fmt.Errorf("%s: title %q names no ESX-NNNNNNN patch", u, title)
	}
	id := m[1]
	pv := productVersion.FindStringSubmatch(first(f, "product versions", "product version"))
	if pv == nil {
		return scrapers.Parsed{}, fmt.Errorf("%s: %s: no product version in %q", u, id, first(f, "product versions"))
	}
	released, err := day(first(f, "release date"))
	if err != nil {
		return scrapers.Parsed{}, fmt.Errorf("%s: %s release date: %w", u, id, err)
	}
	p := normalize.Patch{
		ID:                id,
		Vendor:            Vendor,
		Product:           productName(pv[1]),
		Version:           pv[2],
		Released:          released,
		Classification:    first(f, "patch classification"),
		RebootRequired:    yesNo(first(f, "esx server host reboot required", "host reboot required")),
		URL:               u.String(),
		VMRestartRequired: yesNo(first(f, "virtual machine migration or reboot required")),
		Supersedes:        patchIDPattern.FindAllString(first(f, "supersedes"), -1),
		Packages:          packageList(first(f, "rpms updated", "rpms included")),
	}
	if m := advisoryIDPattern.FindStringSubmatch(text); m != nil {
		p.AdvisoryID = m[1]
	}
	fixes, err := blockFixes(patchBlock{
		id: id, title: title, product: p.Product, version: p.Version, classification: p.Classification,
		advisory: p.AdvisoryID, packages: p.Packages, fields: f,
		cves:    sortedUnique(cvePattern.FindAllString(first(f, "related cve numbers", "cve numbers"), -1)),
		bullets: bullets(lines),
	})
	if err != nil {
		return scrapers.Parsed{}, fmt.Errorf("%s: %w", u, err)
	}
	return scrapers.Parsed{Result: normalize.Result{Patches: []normalize.Patch{p}, Fixes: fixes}}, nil
}

// bullets are the rendered list items of the lines given.
func bullets(lines []string) []string {
	var out []string
	for _, l := range lines {
		if b, ok := strings.CutPrefix(strings.TrimSpace(l), bullet); ok && strings.TrimSpace(b) != "" {
			out = append(out, strings.TrimSpace(b))
		}
	}
	return out
}

// patchBlock is what a KB page or one bulletin says about one patch.
type patchBlock struct {
	id, title, product, version string
	classification, advisory    string
	packages, cves, bullets     []string
	fields                      map[string]string
}

// blockFixes gives one fix per summary line of a patch, classified from
// that line, then the packages it touches, the affected hardware, the
// title and the vendor's category, in that order.
func blockFixes(b patchBlock) ([]normalize.Fix, error) {
	if len(b.bullets) == 0 {
		return nil, fmt.Errorf("%s: no summary of fixes (no list items)", b.id)
	}
	hardware := first(b.fields, "affected hardware")
	if strings.EqualFold(hardware, "n/a") {
		hardware = ""
	}
	security := strings.EqualFold(b.classification, "security") || len(b.cves) > 0 || strings.HasSuffix(b.id, "-SG")
	var out []normalize.Fix
	for i, line := range b.bullets {
		tag := normalize.Classify(Vendor,
			normalize.Field{Name: "summary", Text: line},
			normalize.Field{Name: "packages", Text: strings.Join(b.packages, ", ")},
			normalize.Field{Name: "affected hardware", Text: hardware},
			normalize.Field{Name: "title", Text: b.title},
			normalize.Field{Name: "category", Text: b.classification},
		)
		cves := sortedUnique(cvePattern.FindAllString(line, -1))
		if len(cves) == 0 && len(b.bullets) == 1 {
			cves = b.cves
		}
		out = append(out, normalize.Fix{
			ID:         b.id + "/" + strconv.Itoa(i+1),
			AdvisoryID: b.advisory,
			PatchIDs:   []string{b.id},
			Vendor:     Vendor,
			Product:    b.product,
			Versions:   []string{b.version},
			Component:  componentFor(tag, b.product, nil, line, strings.Join(b.packages, " "), b.title),
			Category:   tag.Category,
			Security:   security,
			Severity:   first(b.fields, "patch severity", "severity"),
			CVEs:       cves,
			Summary:    line,
			Rule:       tag.Rule,
			Evidence:   tag.Evidence,
		})
	}
	return out, nil
}
