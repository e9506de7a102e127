package vmware

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/PuerkitoBio/goquery"

	"github.com/patchwatch/patchwatch/scrapers"
)

// parseHTMLAdvisory reads a vmware.com advisory page. Both the 2016-era
// markup (numbered sections in <strong>/<h5>, a four-column remedy table)
// and the 2017+ pages ("3a." items with a Response Matrix) are rendered to
// text and read by the same advisory parser as the mails.
func parseHTMLAdvisory(body []byte, u *url.URL, id string) (scrapers.Parsed, error) {
	text, _, err := pageText(body, u)
	if err != nil {
		return scrapers.Parsed{}, err
	}
	return advisoryFromText(text, u, id)
}

// parseAdvisoryIndex reads the vmware.com advisory list and follows every
// advisory page it links.
func parseAdvisoryIndex(body []byte, u *url.URL) (scrapers.Parsed, error) {
	links, err := linksMatching(body, u, func(abs *url.URL) bool {
		return abs.Host == hostWWW && htmlAdvisory.MatchString(abs.Path)
	})
	if err != nil {
		return scrapers.Parsed{}, err
	}
	if len(links) == 0 {
		return scrapers.Parsed{}, fmt.Errorf("%s: no VMSA-YYYY-NNNN.html links in the advisory list", u)
	}
	return scrapers.Parsed{Follow: links}, nil
}

// parsePatchIndex reads the VI3 patch list and follows each patch's KB page.
func parsePatchIndex(body []byte, u *url.URL) (scrapers.Parsed, error) {
	links, err := linksMatching(body, u, func(abs *url.URL) bool {
		return abs.Host == hostKB && kbPath.MatchString(abs.Path)
	})
	if err != nil {
		return scrapers.Parsed{}, err
	}
	if len(links) == 0 {
		return scrapers.Parsed{}, fmt.Errorf("%s: no kb.vmware.com/kb/N patch links in the patch list", u)
	}
	return scrapers.Parsed{Follow: links}, nil
}

// linksMatching returns the absolute URLs of the page's links that keep,
// in page order, each once.
func linksMatching(body []byte, u *url.URL, keep func(*url.URL) bool) ([]string, error) {
	doc, err := parseHTML(body, u)
	if err != nil {
		return nil, err
	}
	var out []string
	doc.Find("a[href]").Each(func(_ int, a *goquery.Selection) {
		href, _ := a.Attr("href")
		ref, err := url.Parse(strings.TrimSpace(href))
		if err != nil {
			return
		}
		abs := u.ResolveReference(ref)
		abs.Fragment = ""
		if keep(abs) {
			out = append(out, abs.String())
		}
	})
	return unique(out), nil
}
