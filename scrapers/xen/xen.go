// Package xen reads the Xen Project's security advisories (XSAs) from
// xenbits: the xsa.json feed for the list, dates and patch files, the HTML
// index for the numbers the feed leaves out (unused and withdrawn), and each
// advisory's plain text for its sections and fix.
package xen

import (
	"fmt"
	"path"
	"regexp"

	"github.com/patchwatch/patchwatch/scrapers"
)

// Base is where every XSA page lives.
const Base = "https://xenbits.xen.org/xsa/"

// Vendor is the vendor name on every Xen record.
const Vendor = "xen"

// Product is the product name on every Xen fix and patch.
const Product = "Xen"

func init() { scrapers.Register(Source{}) }

// Source is the xenbits XSA source.
type Source struct{}

// Name implements scrapers.Source.
func (Source) Name() string { return Vendor }

// Description implements scrapers.Source.
func (Source) Description() string {
	return "Xen Project security advisories (XSA): xsa.json, the HTML index and each advisory-N.txt"
}

// Seeds implements scrapers.Source: the JSON feed and the HTML index.
func (Source) Seeds() []string { return []string{Base + "xsa.json", Base} }

// Domains implements scrapers.Source.
func (Source) Domains() []string { return []string{"xenbits.xen.org"} }

var advisoryTextPath = regexp.MustCompile(`^/xsa/advisory-(\d+)\.txt$`)

// Parse implements scrapers.Source, choosing the parser by URL.
func (Source) Parse(p scrapers.Page) (scrapers.Parsed, error) {
	u := p.URL
	if u.Host != "xenbits.xen.org" {
		return scrapers.Parsed{}, fmt.Errorf("%s: not a xenbits.xen.org page", u)
	}
	switch {
	case u.Path == "/xsa/xsa.json":
		return parseIndexJSON(p.Body, u)
	case u.Path == "/xsa/" || u.Path == "/xsa/index.html":
		return parseIndexHTML(p.Body, u)
	case advisoryTextPath.MatchString(u.Path):
		n := advisoryTextPath.FindStringSubmatch(u.Path)[1]
		return parseAdvisoryText(p.Body, u, n)
	}
	return scrapers.Parsed{}, fmt.Errorf("%s: no xen parser for %s", u, path.Base(u.Path))
}

// advisoryID, advisoryURL and textURL name one XSA the way xenbits does.
func advisoryID(n string) string  { return "XSA-" + n }
func advisoryURL(n string) string { return Base + "advisory-" + n + ".html" }
func textURL(n string) string     { return Base + "advisory-" + n + ".txt" }
