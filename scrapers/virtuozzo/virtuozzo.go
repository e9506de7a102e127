// Package virtuozzo reads Virtuozzo security advisories (VZA-YYYY-NNN),
// the line that began as SWsoft Virtuozzo, became Parallels Virtuozzo
// Containers / Parallels Server Bare Metal and is now Virtuozzo Hybrid
// Server.
//
// URL patterns, real, in the order Virtuozzo used them:
//
//   - 2016–2018: https://help.virtuozzo.com/customer/portal/articles/<n>
//     (e.g. 2878783 for VZA-2017-083) — numeric, no advisory ID in the URL;
//   - 2018–2020: https://virtuozzosupport.force.com/s/article/VZA-2018-089;
//   - today: https://docs.virtuozzo.com/vza/VZA-2026-018.html, one page per
//     advisory under https://docs.virtuozzo.com/vza/.
//
// This source reads the current form: the /vza/ index, then each
// VZA-YYYY-NNN.html page it links. An advisory page has a title, a summary
// table (Advisory ID, Published, Affected products), a Vulnerabilities list
// (one item per flaw, a CVE where one was assigned) and an Updated packages
// list: vzkernel and readykernel-patch builds for kernel fixes, userland RPMs
// otherwise. The page layout is modelled on what scanners extracted from the
// advisories (title, description, CVE list, packages); it has not been seen
// first hand.
package virtuozzo

import (
	"fmt"
	"regexp"

	"github.com/patchwatch/patchwatch/scrapers"
)

// Base is the directory of the advisories.
const Base = "https://docs.virtuozzo.com/vza/"

// Vendor is the vendor name on every record.
const Vendor = "virtuozzo"

// Product is the product name on patches and fixes.
const Product = "Virtuozzo"

func init() { scrapers.Register(Source{}) }

// Source is the Virtuozzo advisory source.
type Source struct{}

// Name implements scrapers.Source.
func (Source) Name() string { return Vendor }

// Description implements scrapers.Source.
func (Source) Description() string {
	return "Virtuozzo (SWsoft/Parallels) security advisories VZA-YYYY-NNN: the /vza/ index and each advisory page"
}

// Seeds implements scrapers.Source.
func (Source) Seeds() []string { return []string{Base} }

// Domains implements scrapers.Source.
func (Source) Domains() []string { return []string{"docs.virtuozzo.com"} }

var advisoryPath = regexp.MustCompile(`^/vza/(VZA-\d{4}-\d{3,})\.html$`)

// Parse implements scrapers.Source, choosing the parser by URL.
func (Source) Parse(p scrapers.Page) (scrapers.Parsed, error) {
	u := p.URL
	if u.Host != "docs.virtuozzo.com" {
		return scrapers.Parsed{}, fmt.Errorf("%s: not a docs.virtuozzo.com page", u)
	}
	switch {
	case u.Path == "/vza/" || u.Path == "/vza/index.html":
		return parseIndex(p.Body, u)
	case advisoryPath.MatchString(u.Path):
		return parseAdvisory(p.Body, u, advisoryPath.FindStringSubmatch(u.Path)[1])
	}
	return scrapers.Parsed{}, fmt.Errorf("%s: no virtuozzo parser for this path", u)
}
