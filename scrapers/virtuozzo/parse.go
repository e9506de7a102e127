package virtuozzo

import (
	"bytes"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/patchwatch/patchwatch/normalize"
	"github.com/patchwatch/patchwatch/scrapers"
)

var (
	advisoryLink = regexp.MustCompile(`^(?:https://docs\.virtuozzo\.com/vza/)?(VZA-\d{4}-\d{3,})\.html$`)
	cveInText    = regexp.MustCompile(`\bCVE-\d{4}-\d{4,}\b`)
)

// parseIndex reads the /vza/ listing: every link to an advisory page is
// visited. A listing without any is a layout change.
func parseIndex(body []byte, u *url.URL) (scrapers.Parsed, error) {
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(body))
	if err != nil {
		return scrapers.Parsed{}, fmt.Errorf("%s: %w", u, err)
	}
	var out scrapers.Parsed
	doc.Find("a[href]").Each(func(_ int, a *goquery.Selection) {
		m := advisoryLink.FindStringSubmatch(strings.TrimSpace(a.AttrOr("href", "")))
		if m != nil && !slices.Contains(out.Follow, Base+m[1]+".html") {
			out.Follow = append(out.Follow, Base+m[1]+".html")
		}
	})
	if len(out.Follow) == 0 {
		return scrapers.Parsed{}, fmt.Errorf("%s: no links to VZA-YYYY-NNN.html pages (has the index layout changed?)", u)
	}
	return out, nil
}

// parseAdvisory reads one VZA page: the advisory, the update it ships as a
// patch, and one fix carrying every CVE of the advisory.
func parseAdvisory(body []byte, u *url.URL, id string) (scrapers.Parsed, error) {
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(body))
	if err != nil {
		return scrapers.Parsed{}, fmt.Errorf("%s: %w", u, err)
	}
	summary := map[string]string{}
	doc.Find("table.vza-summary tr").Each(func(_ int, tr *goquery.Selection) {
		summary[clean(tr.Find("th").First().Text())] = clean(tr.Find("td").First().Text())
	})
	if len(summary) == 0 {
		return scrapers.Parsed{}, fmt.Errorf("%s: no summary table (table.vza-summary)", u)
	}
	if got := summary["Advisory ID"]; got != id {
		return scrapers.Parsed{}, fmt.Errorf("%s: page holds advisory %q, not %s", u, got, id)
	}
	published, err := day(summary["Published"])
	if err != nil {
		return scrapers.Parsed{}, fmt.Errorf("%s: %s Published: %w", u, id, err)
	}
	title := clean(doc.Find("h1").First().Text())
	if title == "" {
		return scrapers.Parsed{}, fmt.Errorf("%s: no title (h1)", u)
	}
	vulns := listAfter(doc, "Vulnerabilities")
	if len(vulns) == 0 {
		return scrapers.Parsed{}, fmt.Errorf("%s: no Vulnerabilities list", u)
	}
	pkgs := listAfter(doc, "Updated packages")
	if len(pkgs) == 0 {
		return scrapers.Parsed{}, fmt.Errorf("%s: no Updated packages list", u)
	}
	var cves []string
	for _, v := range vulns {
		cves = append(cves, cveInText.FindAllString(v, -1)...)
	}
	slices.Sort(cves)
	cves = slices.Compact(cves)
	if cves == nil {
		cves = []string{}
	}
	affected := summary["Affected products"]
	text := strings.Join(vulns, "\n\n")
	tag := normalize.Classify(Vendor,
		normalize.Field{Name: "vulnerabilities", Text: text},
		normalize.Field{Name: "title", Text: title},
		normalize.Field{Name: "updated packages", Text: strings.Join(pkgs, " ")},
	)
	adv := normalize.Advisory{
		ID: id, Vendor: Vendor, Status: normalize.StatusPublished, Title: title,
		Published: published, URL: u.String(), Affected: affected, CVEs: cves,
		Sections: []normalize.Section{
			{Title: "Vulnerabilities", Text: text},
			{Title: "Updated packages", Text: strings.Join(pkgs, "\n")},
		},
	}
	patch := normalize.Patch{
		ID: id, Vendor: Vendor, Product: Product, Version: affected, Released: published,
		Classification: "Security", RebootRequired: reboot(pkgs), URL: u.String(),
		AdvisoryID: id, Packages: pkgs,
	}
	fix := normalize.Fix{
		ID: id + "/1", AdvisoryID: id, PatchIDs: []string{id}, Vendor: Vendor, Product: Product,
		Versions: []string{affected}, Component: tag.Component, Category: tag.Category,
		Security: true, CVEs: cves, Summary: vulns[0], Rule: tag.Rule, Evidence: tag.Evidence,
	}
	return scrapers.Parsed{Result: normalize.Result{
		Advisories: []normalize.Advisory{adv},
		Patches:    []normalize.Patch{patch},
		Fixes:      []normalize.Fix{fix},
	}}, nil
}

// listAfter returns the items of the first list following the h2 titled
// heading, each on one line.
func listAfter(doc *goquery.Document, heading string) []string {
	var items []string
	doc.Find("h2").EachWithBreak(func(_ int, h *goquery.Selection) bool {
		if !strings.EqualFold(clean(h.Text()), heading) {
			return true
		}
		h.NextAllFiltered("ul").First().Children().Each(func(_ int, li *goquery.Selection) {
			if t := clean(li.Text()); t != "" {
				items = append(items, t)
			}
		})
		return false
	})
	return items
}

// reboot says whether installing the update restarts the host: ReadyKernel
// patches are applied to the running kernel, a new vzkernel needs a reboot,
// and for userland the page does not tell.
func reboot(pkgs []string) *bool {
	live := false
	for _, p := range pkgs {
		switch {
		case strings.HasPrefix(p, "vzkernel-"):
			return ptr(true)
		case strings.HasPrefix(p, "readykernel-patch-"):
			live = true
		}
	}
	if live {
		return ptr(false)
	}
	return nil
}

func day(s string) (string, error) {
	t, err := time.Parse(normalize.DateLayout, s)
	if err != nil {
		return "", fmt.Errorf("unrecognised date %q", s)
	}
	return t.Format(normalize.DateLayout), nil
}

func clean(s string) string { return strings.Join(strings.Fields(s), " ") }

func ptr(b bool) *bool { return &b }
