package vmware

import (
	"fmt"
	"net/url"

	"github.com/PuerkitoBio/goquery"

	"github.com/patchwatch/patchwatch/scrapers"
)

// parseMailIndex reads a pipermail year index (date.html) and follows the
// messages whose subject names a VMSA; other list traffic is skipped.
func parseMailIndex(body []byte, u *url.URL) (scrapers.Parsed, error) {
	doc, err := parseHTML(body, u)
	if err != nil {
		return scrapers.Parsed{}, err
	}
	var out scrapers.Parsed
	messages := 0
	doc.Find("a[href]").Each(func(_ int, a *goquery.Selection) {
		href, _ := a.Attr("href")
		ref, err := url.Parse(href)
		if err != nil {
			return
		}
		abs := u.ResolveReference(ref)
		abs.Fragment = ""
		if abs.Host != u.Host || !mailMessagePath.MatchString(abs.Path) {
			return
		}
		messages++
		if advisoryIDPattern.MatchString(a.Text()) {
			out.Follow = append(out.Follow, abs.String())
		}
	})
	if messages == 0 {
		return scrapers.Parsed{}, fmt.Errorf("%s: no message links in the archive index (has the pipermail layout changed?)", u)
	}
	out.Follow = unique(out.Follow)
	return out, nil
}

// parseMailPage reads one pipermail message: the mail is the text of its
// single <pre>, usually PGP-signed.
func parseMailPage(body []byte, u *url.URL) (scrapers.Parsed, error) {
	doc, err := parseHTML(body, u)
	if err != nil {
		return scrapers.Parsed{}, err
	}
	pre := doc.Find("pre").First()
	if pre.Length() == 0 {
		return scrapers.Parsed{}, fmt.Errorf("%s: no <pre> mail body on the message page", u)
	}
	text, err := scrapers.Unsign(pre.Text())
	if err != nil {
		return scrapers.Parsed{}, fmt.Errorf("%s: %w", u, err)
	}
	return advisoryFromText(text, u, "")
}
