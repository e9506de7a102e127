// Package oracle reads Oracle's virtualization security fixes from two
// places: the quarterly Critical Patch Update (CPU) advisories, whose
// "Oracle Virtualization" risk matrix lists the VirtualBox CVEs of the
// quarter, and the OVAL directory on linux.oracle.com, which holds one
// OVAL definition per Oracle VM Server advisory (OVMSA). Oracle VM Server
// is the Xen-based product that took in Virtual Iron's technology.
//
// It is one source with four kinds of page, told apart by host and path.
package oracle

import (
	"fmt"
	"regexp"

	"github.com/patchwatch/patchwatch/scrapers"
)

// Hosts of the two halves of the source.
const (
	WWW   = "www.oracle.com"
	Linux = "linux.oracle.com"
)

// Index pages the harvest starts from.
const (
	AlertsIndex = "https://" + WWW + "/security-alerts/"
	OVALIndex   = "https://" + Linux + "/oval/"
)

// Vendor is the vendor name on every Oracle record.
const Vendor = "oracle"

// Product names used on patches and fixes.
const (
	VirtualBox = "Oracle VM VirtualBox"
	VMServer   = "Oracle VM Server"
)

func init() { scrapers.Register(Source{}) }

// Source is Oracle's CPU advisories (VirtualBox) and OVMSA definitions.
type Source struct{}

// Name implements scrapers.Source.
func (Source) Name() string { return Vendor }

// Description implements scrapers.Source.
func (Source) Description() string {
	return "Oracle VM VirtualBox from the Critical Patch Update risk matrices, and Oracle VM Server advisories (OVMSA) from the OVAL directory"
}

// Seeds implements scrapers.Source.
func (Source) Seeds() []string { return []string{AlertsIndex, OVALIndex} }

// Domains implements scrapers.Source.
func (Source) Domains() []string { return []string{WWW, Linux} }

var (
	// cpuPath matches a Critical Patch Update page under both of Oracle's
	// URL schemes: today's /security-alerts/cpujan2018.html and the older
	// /technetwork/…/cpujul2017-3236622.html, whose pages carry a content
	// number after the month and year (older index pages and other sites
	// still link to them).
	cpuPath   = regexp.MustCompile(`^/(?:security-alerts|technetwork(?:/[\w.-]+)+)/cpu([a-z]+)(\d{4})(?:-\d+)?\.html$`)
	ovmsaPath = regexp.MustCompile(`^/oval/com\.oracle\.ovmsa-(\d{4})(\d{4})\.xml$`)
)

// Parse implements scrapers.Source, choosing the parser by host and path.
func (Source) Parse(p scrapers.Page) (scrapers.Parsed, error) {
	u := p.URL
	switch {
	case u.Host == WWW && (u.Path == "/security-alerts/" || u.Path == "/security-alerts/index.html"):
		return parseAlertsIndex(p.Body, u)
	case u.Host == WWW && cpuPath.MatchString(u.Path):
		m := cpuPath.FindStringSubmatch(u.Path)
		return parseCPU(p.Body, u, m[1], m[2])
	case u.Host == Linux && (u.Path == "/oval/" || u.Path == "/oval/index.html"):
		return parseOVALIndex(p.Body, u)
	case u.Host == Linux && ovmsaPath.MatchString(u.Path):
		m := ovmsaPath.FindStringSubmatch(u.Path)
		return parseOVMSA(p.Body, u, "OVMSA-"+m[1]+"-"+m[2])
	}
	return scrapers.Parsed{}, fmt.Errorf("%s: no oracle parser for this page", u)
}
