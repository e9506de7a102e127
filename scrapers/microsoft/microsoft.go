// Package microsoft reads Microsoft's Hyper-V security fixes from the MSRC
// CVRF API: the OData "updates" index lists one CVRF 1.1 document per
// monthly release, and each document holds every CVE of the month with its
// products, severities, CVSS scores and remediations (KB articles).
//
// Only vulnerabilities that Microsoft ties to Hyper-V are kept: the rest of
// a Patch Tuesday is ordinary Windows, Office and developer-tool work that
// does not answer the project's question about hypervisor hosts.
//
// The CSAF provider (index.txt and one JSON file per CVE) carries the same
// MSRC data one CVE at a time and without the KB restart flag, so the
// monthly CVRF document, which groups a Patch Tuesday into one release, is
// the one path read here.
package microsoft

import (
	"fmt"
	"regexp"

	"github.com/patchwatch/patchwatch/scrapers"
)

// Host is the MSRC API host.
const Host = "api.msrc.microsoft.com"

// Base is the root of the CVRF v3.0 API.
const Base = "https://" + Host + "/cvrf/v3.0/"

// Vendor is the vendor name on every Microsoft record.
const Vendor = "microsoft"

// Product is the product name on every fix and patch: the Hyper-V role of
// the Windows releases listed as versions.
const Product = "Hyper-V"

func init() { scrapers.Register(Source{}) }

// Source is the MSRC CVRF source, restricted to Hyper-V.
type Source struct{}

// Name implements scrapers.Source.
func (Source) Name() string { return Vendor }

// Description implements scrapers.Source.
func (Source) Description() string {
	return "Microsoft Hyper-V fixes from the MSRC CVRF API: the updates index and each monthly CVRF document"
}

// Seeds implements scrapers.Source: the OData index of monthly documents.
func (Source) Seeds() []string { return []string{Base + "updates"} }

// Domains implements scrapers.Source.
func (Source) Domains() []string { return []string{Host} }

var documentPath = regexp.MustCompile(`^/cvrf/v3\.0/cvrf/(\d{4}-[A-Z][a-z]{2})$`)

// Parse implements scrapers.Source. The API serves JSON and XML without a
// file extension, so the parser is chosen by path, never by content type.
func (Source) Parse(p scrapers.Page) (scrapers.Parsed, error) {
	u := p.URL
	if u.Host != Host {
		return scrapers.Parsed{}, fmt.Errorf("%s: not an %s page", u, Host)
	}
	switch {
	case u.Path == "/cvrf/v3.0/updates":
		return parseUpdates(p.Body, u)
	case documentPath.MatchString(u.Path):
		return parseCVRF(p.Body, u, documentPath.FindStringSubmatch(u.Path)[1])
	}
	return scrapers.Parsed{}, fmt.Errorf("%s: no microsoft parser for this path", u)
}

// documentURL is the canonical URL of one monthly CVRF document.
func documentURL(id string) string { return Base + "cvrf/" + id }

// guideURL is the Security Update Guide page of one CVE.
func guideURL(cve string) string {
	return "https://msrc.microsoft.com/update-guide/vulnerability/" + cve
}
