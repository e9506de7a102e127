package oracle

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/patchwatch/patchwatch/normalize"
	"github.com/patchwatch/patchwatch/scrapers"
)

// ovalDefinitions is the part of an OVAL file this parser reads.
type ovalDefinitions struct {
	XMLName     xml.Name     `xml:"oval_definitions"`
	Definitions []definition `xml:"definitions>definition"`
}

type definition struct {
	ID       string `xml:"id,attr"`
	Class    string `xml:"class,attr"`
	Metadata struct {
		Title      string   `xml:"title"`
		Platforms  []string `xml:"affected>platform"`
		References []struct {
			Source string `xml:"source,attr"`
			RefID  string `xml:"ref_id,attr"`
			RefURL string `xml:"ref_url,attr"`
		} `xml:"reference"`
		Description string `xml:"description"`
		Advisory    struct {
			Severity string `xml:"severity"`
			Issued   struct {
				Date string `xml:"date,attr"`
			} `xml:"issued"`
			CVEs []string `xml:"cve"`
		} `xml:"advisory"`
	} `xml:"metadata"`
	Criteria criteria `xml:"criteria"`
}

type criteria struct {
	Criteria   []criteria `xml:"criteria"`
	Criterions []struct {
		Comment string `xml:"comment,attr"`
	} `xml:"criterion"`
}

var (
	earlierThan = regexp.MustCompile(`^(\S+) is earlier than (?:\d+:)?(\S+)$`)
	ovmPlatform = regexp.MustCompile(`(?i)^Oracle VM (?:Server )?(\d+(?:\.\d+)?)`)
	titlePrefix = regexp.MustCompile(`^OVMSA-\d{4}-\d{4,}:\s*`)
)

// packages lists "name-version-release" of every "<name> is earlier than
// <epoch:version-release>" criterion, in document order, and the first
// package's name, which names what the advisory is about.
func (c criteria) packages(out []string, primary *string) []string {
	for _, k := range c.Criterions {
		m := earlierThan.FindStringSubmatch(strings.TrimSpace(k.Comment))
		if m == nil {
			continue
		}
		if *primary == "" {
			*primary = m[1]
		}
		if p := m[1] + "-" + m[2]; !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	for _, sub := range c.Criteria {
		out = sub.packages(out, primary)
	}
	return out
}

// parseOVMSA reads one OVMSA OVAL file: the advisory, its patch (the
// updated RPMs for that Oracle VM Server release) and one fix classified
// by the advisory's primary package. Like the MSRC parser it relies on
// encoding/xml, which expands no custom or external entity.
func parseOVMSA(body []byte, u *url.URL, id string) (scrapers.Parsed, error) {
	var defs ovalDefinitions
	d := xml.NewDecoder(bytes.NewReader(body))
	d.Strict = true
	if err := d.Decode(&defs); err != nil {
		return scrapers.Parsed{}, fmt.Errorf("%s: malformed OVAL XML: %w", u, err)
	}
	if len(defs.Definitions) == 0 {
		return scrapers.Parsed{}, fmt.Errorf("%s: no OVAL definition", u)
	}
	def := defs.Definitions[0]
	md := def.Metadata
	ref := ""
	errata := ""
	for _, r := range md.References {
		if strings.EqualFold(r.Source, "ovmsa") {
			ref, errata = strings.TrimSpace(r.RefID), strings.TrimSpace(r.RefURL)
		}
	}
	if ref == "" {
		return scrapers.Parsed{}, fmt.Errorf("%s: no ovmsa reference in the definition metadata", u)
	}
	if ref != id {
		return scrapers.Parsed{}, fmt.Errorf("%s: definition is %s, not %s", u, ref, id)
	}
	issued, err := dayOf(md.Advisory.Issued.Date)
	if err != nil {
		return scrapers.Parsed{}, fmt.Errorf("%s: %s issued date: %w", u, id, err)
	}
	primary := ""
	pkgs := def.Criteria.packages(nil, &primary)
	if len(pkgs) == 0 {
		return scrapers.Parsed{}, fmt.Errorf("%s: %s has no \"<package> is earlier than <version>\" criteria", u, id)
	}
	version := ""
	for _, p := range md.Platforms {
		p = strings.TrimSpace(p)
		if m := ovmPlatform.FindStringSubmatch(p); m != nil {
			version = m[1]
			break
		}
		if version == "" {
			version = p
		}
	}
	var cves []string
	for _, c := range md.Advisory.CVEs {
		if c = strings.TrimSpace(c); normalize.ValidCVE(c) {
			cves = append(cves, c)
		}
	}
	slices.Sort(cves)
	cves = slices.Compact(cves)
	if cves == nil {
		cves = []string{}
	}
	title := titlePrefix.ReplaceAllString(strings.Join(strings.Fields(md.Title), " "), "")
	severity := strings.TrimSpace(md.Advisory.Severity)
	description := strings.TrimSpace(md.Description)
	tag := normalize.Classify(Vendor,
		normalize.Field{Name: "package", Text: primary},
		normalize.Field{Name: "title", Text: title},
	)
	adv := normalize.Advisory{
		ID: id, Vendor: Vendor, Status: normalize.StatusPublished, Title: title, Severity: severity,
		Published: issued, URL: errata, CVEs: cves,
	}
	if description != "" {
		adv.Sections = []normalize.Section{{Title: "Description", Text: description}}
	}
	patch := normalize.Patch{
		ID: id, Vendor: Vendor, Product: VMServer, Version: version, Released: issued,
		Classification: "Security Advisory", URL: errata, AdvisoryID: id, Severity: severity,
		Packages: pkgs,
	}
	fix := normalize.Fix{
		ID: id + "/1", AdvisoryID: id, PatchIDs: []string{id}, Vendor: Vendor, Product: VMServer,
		Versions: []string{version}, Component: tag.Component, Category: tag.Category, Security: true,
		Severity: severity, CVEs: cves, Summary: title, Rule: tag.Rule, Evidence: tag.Evidence,
	}
	return scrapers.Parsed{Result: normalize.Result{
		Advisories: []normalize.Advisory{adv},
		Patches:    []normalize.Patch{patch},
		Fixes:      []normalize.Fix{fix},
	}}, nil
}

// dayOf checks an OVAL issued date ("2025-01-10").
func dayOf(s string) (string, error) {
	s = strings.TrimSpace(s)
	if len(s) < 10 || findISO(s[:10]) == "" {
		return "", fmt.Errorf("unrecognised date %q", s)
	}
	return s[:10], nil
}

var isoDay = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

func findISO(s string) string {
	if isoDay.MatchString(s) {
		return s
	}
	return ""
}
