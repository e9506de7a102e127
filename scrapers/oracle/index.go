package oracle

import (
	"bytes"
	"fmt"
	"net/url"
	"slices"

	"github.com/PuerkitoBio/goquery"

	"github.com/patchwatch/patchwatch/scrapers"
)

// links returns every distinct absolute link of a page, resolved against
// its URL, with query and fragment dropped, in page order.
func links(body []byte, u *url.URL) ([]*url.URL, error) {
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", u, err)
	}
	var out []*url.URL
	var seen []string
	doc.Find("a[href]").Each(func(_ int, a *goquery.Selection) {
		href, _ := a.Attr("href")
		ref, err := url.Parse(href)
		if err != nil {
			return
		}
		abs := u.ResolveReference(ref)
		abs.RawQuery, abs.Fragment = "", ""
		abs.Scheme = "https"
		if s := abs.String(); !slices.Contains(seen, s) {
			seen = append(seen, s)
			out = append(out, abs)
		}
	})
	return out, nil
}

// parseAlertsIndex reads the security-alerts page for the CPU advisories
// it links to.
func parseAlertsIndex(body []byte, u *url.URL) (scrapers.Parsed, error) {
	all, err := links(body, u)
	if err != nil {
		return scrapers.Parsed{}, err
	}
	var out scrapers.Parsed
	for _, l := range all {
		if l.Host == WWW && cpuPath.MatchString(l.Path) {
			out.Follow = append(out.Follow, l.String())
		}
	}
	if len(out.Follow) == 0 {
		return scrapers.Parsed{}, fmt.Errorf("%s: no Critical Patch Update links (cpuMONYYYY.html) found", u)
	}
	return out, nil
}

// parseOVALIndex reads the Apache listing of the OVAL directory for the
// Oracle VM Server definitions; the Oracle Linux files beside them are
// another product and are skipped.
func parseOVALIndex(body []byte, u *url.URL) (scrapers.Parsed, error) {
	all, err := links(body, u)
	if err != nil {
		return scrapers.Parsed{}, err
	}
	var out scrapers.Parsed
	for _, l := range all {
		if l.Host == Linux && ovmsaPath.MatchString(l.Path) {
			out.Follow = append(out.Follow, l.String())
		}
	}
	if len(out.Follow) == 0 {
		return scrapers.Parsed{}, fmt.Errorf("%s: no com.oracle.ovmsa-*.xml entries in the listing", u)
	}
	return out, nil
}
