package vmware

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/patchwatch/patchwatch/normalize"
	"github.com/patchwatch/patchwatch/scrapers"
)

var (
	// bulletinID is a 3.5–8.x bulletin: version, year-month, sequence and
	// a suffix (SG security-only, BG bug fix, UG update).
	bulletinID = regexp.MustCompile(`^(ESXi?)(\d)(\d)(\d)-\d{9}-[A-Z]{2}$`)
	// releaseIDPattern is a patch release grouping bulletins.
	releaseIDPattern = regexp.MustCompile(`\b(ESXi?)(\d)(\d)\d-\d{6}001\b`)
)

// bulletinHeadings counts the lines that are a bulletin ID on their own:
// the headings of the per-bulletin field tables.
func bulletinHeadings(lines []string) int {
	n := 0
	for _, l := range lines {
		if bulletinID.MatchString(strings.TrimSpace(l)) {
			n++
		}
	}
	return n
}

// parseReleaseNotes reads a docs.vmware.com patch release page
// (esxi670-202102001.html): the release header, then one field table and
// summary per bulletin.
func parseReleaseNotes(body []byte, u *url.URL, release string) (scrapers.Parsed, error) {
	text, doc, err := pageText(body, u)
	if err != nil {
		return scrapers.Parsed{}, err
	}
	lines := strings.Split(text, "\n")
	if bulletinHeadings(lines) == 0 {
		return scrapers.Parsed{}, fmt.Errorf("%s: no bulletin sections (a line holding only a bulletin ID such as ESXi670-202102401-SG)", u)
	}
	title := strings.Join(strings.Fields(doc.Find("h1").First().Text()), " ")
	return bulletins(lines, u, title, release)
}

// parseBulletinPage reads a KB page of an ESX/ESXi patch release.
func parseBulletinPage(lines []string, u *url.URL, title string) (scrapers.Parsed, error) {
	release := releaseIDPattern.FindString(title)
	if release == "" {
		return scrapers.Parsed{}, fmt.Errorf("%s: title %q names no patch release (ESX410-201204001)", u, title)
	}
	return bulletins(lines, u, title, release)
}

// bulletins turns a patch release page into one patch per bulletin, one
// patch for the release itself, and the bulletins' fixes.
func bulletins(lines []string, u *url.URL, title, release string) (scrapers.Parsed, error) {
	var starts []int
	for i, l := range lines {
		if bulletinID.MatchString(strings.TrimSpace(l)) {
			starts = append(starts, i)
		}
	}
	page := fields(lines[:starts[0]])
	released, err := day(first(page, "release date"))
	if err != nil {
		return scrapers.Parsed{}, fmt.Errorf("%s: release date: %w", u, err)
	}
	if released == "" {
		return scrapers.Parsed{}, fmt.Errorf("%s: no Release Date in the page header", u)
	}
	m := releaseIDPattern.FindStringSubmatch(release)
	if m == nil {
		return scrapers.Parsed{}, fmt.Errorf("%s: %q is not a patch release ID", u, release)
	}
	product, version := productName(m[1]), m[2]+"."+m[3]
	build := first(page, "build")
	var out scrapers.Parsed
	relPatch := normalize.Patch{
		ID: release, Vendor: Vendor, Product: product, Version: version, Released: released,
		RebootRequired:    yesNo(first(page, "host reboot required")),
		VMRestartRequired: yesNo(first(page, "virtual machine migration or shutdown required")),
		URL:               u.String(), Build: build, Release: release,
	}
	for k, start := range starts {
		end := len(lines)
		if k+1 < len(starts) {
			end = starts[k+1]
		}
		id := strings.TrimSpace(lines[start])
		block := lines[start+1 : end]
		f := fields(block)
		category := first(f, "patch category", "category")
		if category == "" {
			return scrapers.Parsed{}, fmt.Errorf("%s: bulletin %s has no Patch Category", u, id)
		}
		p := normalize.Patch{
			ID: id, Vendor: Vendor, Product: product, Version: version, Released: released,
			Classification:    category,
			Severity:          first(f, "patch severity", "severity"),
			RebootRequired:    yesNo(first(f, "host reboot required")),
			VMRestartRequired: yesNo(first(f, "virtual machine migration or shutdown required")),
			URL:               u.String(),
			Supersedes:        patchIDPattern.FindAllString(first(f, "supersedes"), -1),
			Packages:          packageList(first(f, "vibs included", "rpms included", "packages included")),
			Build:             build,
			Release:           release,
		}
		if m := advisoryIDPattern.FindStringSubmatch(strings.Join(block, "\n")); m != nil {
			p.AdvisoryID = m[1]
		}
		if strings.EqualFold(category, "security") || relPatch.Classification == "" {
			relPatch.Classification = category
		}
		fixes, err := blockFixes(patchBlock{
			id: id, title: title, product: product, version: version, classification: category,
			advisory: p.AdvisoryID, packages: p.Packages, fields: f,
			cves:    sortedUnique(cvePattern.FindAllString(first(f, "cve numbers", "related cve numbers"), -1)),
			bullets: bullets(block),
		})
		if err != nil {
			return scrapers.Parsed{}, fmt.Errorf("%s: %w", u, err)
		}
		out.Patches = append(out.Patches, p)
		out.Fixes = append(out.Fixes, fixes...)
	}
	out.Patches = append([]normalize.Patch{relPatch}, out.Patches...)
	return out, nil
}
