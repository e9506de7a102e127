// Package vmware reads VMware's security advisories (VMSA) in every layout
// they were published in, and the ESX/ESXi patch pages that say what a host
// actually installs:
//
//   - the 2007–2016 mails of the security-announce list, archived by
//     Mailman (pipermail year indexes and message pages, mail.go);
//   - the vmware.com HTML advisories, from the 2016-era markup to the 2017+
//     pages with a Response Matrix (html.go);
//   - the Broadcom JSON advisory list (broadcom.go);
//   - the ESX 3.0.x patch KB pages (kb.go), the ESX/ESXi bulletins and the
//     patch releases grouping them (bulletin.go), and the build-number table
//     (builds.go).
//
// Every layout ends in the same records: an advisory without its revision
// suffix, one fix per problem item with its component, CVEs and per-product
// remedy rows, and one patch per patch ID, so that the KB and bulletin pages
// can later fill in the same patch's date, classification and packages.
package vmware

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/patchwatch/patchwatch/scrapers"
)

// Vendor is the vendor name on every VMware record.
const Vendor = "vmware"

// Hosts the source reads.
const (
	hostLists     = "lists.vmware.com"
	hostWWW       = "www.vmware.com"
	hostKB        = "kb.vmware.com"
	hostDocs      = "docs.vmware.com"
	hostBroadcom  = "support.broadcom.com"
	pipermailPath = "/pipermail/security-announce/"
)

// Index pages every harvest starts from.
const (
	// AdvisoryIndex lists the vmware.com HTML advisories.
	AdvisoryIndex = "https://www.vmware.com/security/advisories.html"
	// PatchIndex lists the VMware Infrastructure 3 patches and their KB
	// pages, as the VI3 patch download page did.
	PatchIndex = "http://www.vmware.com/download/vi/vi3_patches.html"
	// BuildTable is the KB article with ESXi build numbers (KB 2143832).
	BuildTable = "https://kb.vmware.com/kb/2143832"
	// ESX41PatchRelease is the KB page of ESX 4.1 patch release
	// ESX410-201204001, standing in for the JavaScript patch portal.
	ESX41PatchRelease = "https://kb.vmware.com/kb/2013057"
	// BroadcomList is the JSON list behind the Broadcom advisory index. It
	// answers POST only: SeedRequests asks for it, page by page.
	BroadcomList = "https://support.broadcom.com/web/ecx/security-advisory/-/securityadvisory/getSecurityAdvisoryList"
)

// MailYears are the security-announce archive years harvested.
var MailYears = []string{"2007", "2008"}

func init() { scrapers.Register(Source{}) }

// Source is the VMware advisory and patch source.
type Source struct{}

// Name implements scrapers.Source.
func (Source) Name() string { return Vendor }

// Description implements scrapers.Source.
func (Source) Description() string {
	return "VMware security advisories (security-announce mails, vmware.com pages, Broadcom list) and ESX/ESXi patch KBs, bulletins and builds"
}

// Seeds implements scrapers.Source: the pipermail year indexes, the
// vmware.com advisory index, the VI3 patch list, the build table and the
// ESX 4.1 patch release page.
func (Source) Seeds() []string {
	seeds := make([]string, 0, len(MailYears)+4)
	for _, y := range MailYears {
		seeds = append(seeds, "http://"+hostLists+pipermailPath+y+"/date.html")
	}
	return append(seeds, AdvisoryIndex, PatchIndex, BuildTable, ESX41PatchRelease)
}

// Domains implements scrapers.Source.
func (Source) Domains() []string {
	return []string{hostLists, hostWWW, hostKB, hostDocs, hostBroadcom}
}

var (
	mailIndexPath   = regexp.MustCompile(`^/pipermail/security-announce/(\d{4})/date\.html$`)
	mailMessagePath = regexp.MustCompile(`^/pipermail/security-announce/(\d{4})/(\d{6})\.html$`)
	htmlAdvisory    = regexp.MustCompile(`^/security/advisories/(VMSA-\d{4}-\d{4})\.html$`)
	kbPath          = regexp.MustCompile(`^/kb/(\d+)$`)
	releaseNotes    = regexp.MustCompile(`^/en/VMware-vSphere/[\d.]+/rn/(esxi?\d{3}-\d{9})\.html$`)
)

// Parse implements scrapers.Source, choosing the parser by URL.
func (Source) Parse(p scrapers.Page) (scrapers.Parsed, error) {
	u := p.URL
	switch {
	case u.Host == hostLists && mailIndexPath.MatchString(u.Path):
		return parseMailIndex(p.Body, u)
	case u.Host == hostLists && mailMessagePath.MatchString(u.Path):
		return parseMailPage(p.Body, u)
	case u.Host == hostWWW && u.Path == "/security/advisories.html":
		return parseAdvisoryIndex(p.Body, u)
	case u.Host == hostWWW && htmlAdvisory.MatchString(u.Path):
		return parseHTMLAdvisory(p.Body, u, htmlAdvisory.FindStringSubmatch(u.Path)[1])
	case u.Host == hostWWW && u.Path == "/download/vi/vi3_patches.html":
		return parsePatchIndex(p.Body, u)
	case u.Host == hostKB && kbPath.MatchString(u.Path):
		return parseKB(p.Body, u)
	case u.Host == hostDocs && releaseNotes.MatchString(u.Path):
		return parseReleaseNotes(p.Body, u, releaseID(releaseNotes.FindStringSubmatch(u.Path)[1]))
	case u.Host == hostBroadcom && strings.HasSuffix(u.Path, "/securityadvisory/getSecurityAdvisoryList"):
		return parseBroadcomList(p.Body, u)
	case u.Host == hostBroadcom && broadcomNotification.MatchString(u.Path):
		// The advisory pages Broadcom hosts since 2024 keep the 2017+
		// layout; the URL names a notification number, not the VMSA.
		return parseHTMLAdvisory(p.Body, u, "")
	}
	return scrapers.Parsed{}, fmt.Errorf("%s: no vmware parser for this URL", u)
}

// releaseID spells a patch release the way VMware does ("ESXi670-202102001")
// from its lower-case file name.
func releaseID(name string) string {
	if rest, ok := strings.CutPrefix(name, "esxi"); ok {
		return "ESXi" + rest
	}
	return "ESX" + strings.TrimPrefix(name, "esx")
}

// advisoryURL is the canonical vmware.com page of an advisory.
func advisoryURL(id string) string {
	return "https://www.vmware.com/security/advisories/" + id + ".html"
}
