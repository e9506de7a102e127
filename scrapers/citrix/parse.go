package citrix

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
	articleLink = regexp.MustCompile(`^(?:https?://support\.citrix\.com)?/article/(CTX\d+)(?:/[\w-]*)?$`)
	hotfixName  = regexp.MustCompile(`\bXS\d{2,3}E(?:CU\d|SP\d|CC)?\d{3}\b`)
	hotfixTitle = regexp.MustCompile(`^Hotfix\s+(XS\w+)\s+[-–]\s+For\s+(.+)$`)
	cveInText   = regexp.MustCompile(`\bCVE-\d{4}-\d{4,}\b`)
	ctxInText   = regexp.MustCompile(`\bCTX\d+\b`)
	dateInText  = regexp.MustCompile(`\b(?:\d{1,2} [A-Z][a-z]{2} \d{4}|[A-Z][a-zA-Z]{2,8} \d{1,2}, \d{4})\b`)
)

// parseIndex reads a listing page: every article it links is visited, in
// the bare /article/CTX<n> form. A listing without article links is a
// layout change.
func parseIndex(body []byte, u *url.URL) (scrapers.Parsed, error) {
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(body))
	if err != nil {
		return scrapers.Parsed{}, fmt.Errorf("%s: %w", u, err)
	}
	var out scrapers.Parsed
	doc.Find("main a[href]").Each(func(_ int, a *goquery.Selection) {
		m := articleLink.FindStringSubmatch(strings.TrimSpace(a.AttrOr("href", "")))
		if m == nil || ArticleBase+m[1] == u.String() || slices.Contains(out.Follow, ArticleBase+m[1]) {
			return
		}
		out.Follow = append(out.Follow, ArticleBase+m[1])
	})
	if len(out.Follow) == 0 {
		return scrapers.Parsed{}, fmt.Errorf("%s: no links to /article/CTX… pages in the listing (has the layout changed?)", u)
	}
	return out, nil
}

// article is the parsed skeleton of a Knowledge Center page: its title,
// the article number and dates of the info bar, and the blocks under each
// h2 heading.
type article struct {
	title, number     string
	created, modified string
	sections          []*goquery.Selection
	headings          []string
}

func readArticle(body []byte, u *url.URL) (*article, error) {
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", u, err)
	}
	a := &article{title: clean(doc.Find("main h1").First().Text())}
	if a.title == "" {
		return nil, fmt.Errorf("%s: no article title (main h1)", u)
	}
	info := doc.Find("main .article-info")
	a.number = clean(info.Find(".article-number").Text())
	if a.created, err = citrixDate(info.Find(".created").Text()); err != nil {
		return nil, fmt.Errorf("%s: created date: %w", u, err)
	}
	if a.modified, err = citrixDate(info.Find(".modified").Text()); err != nil {
		return nil, fmt.Errorf("%s: modified date: %w", u, err)
	}
	doc.Find("main h2").Each(func(_ int, h *goquery.Selection) {
		a.headings = append(a.headings, clean(h.Text()))
		a.sections = append(a.sections, h.NextUntil("h2"))
	})
	return a, nil
}

// section returns the block under the first heading that starts with one
// of the given prefixes (case-insensitive: 2012 pages write "Issues resolved
// in this hotfix", later ones capitalise every word).
func (a *article) section(prefixes ...string) *goquery.Selection {
	for i, h := range a.headings {
		for _, p := range prefixes {
			if strings.HasPrefix(strings.ToLower(h), strings.ToLower(p)) {
				return a.sections[i]
			}
		}
	}
	return nil
}

// parseArticle tells a hotfix from a bulletin by its title and hands it
// to the matching parser.
func parseArticle(body []byte, u *url.URL, ctx string) (scrapers.Parsed, error) {
	a, err := readArticle(body, u)
	if err != nil {
		return scrapers.Parsed{}, err
	}
	if a.number != ctx {
		return scrapers.Parsed{}, fmt.Errorf("%s: page holds article %q, not %s", u, a.number, ctx)
	}
	if m := hotfixTitle.FindStringSubmatch(a.title); m != nil {
		return parseHotfix(a, u, m[1], strings.TrimSpace(m[2]))
	}
	if a.section("Applicable Products") != nil {
		return parseBulletin(a, u, ctx)
	}
	return scrapers.Parsed{}, fmt.Errorf("%s: neither a hotfix (title %q) nor a security bulletin (no Applicable Products section)", u, a.title)
}

// parseBulletin reads a security bulletin: the advisory, and one fix per
// CVE line of "Description of Problem", each pointing at every hotfix the
// "What Customers Should Do" section names.
func parseBulletin(a *article, u *url.URL, ctx string) (scrapers.Parsed, error) {
	products := items(a.section("Applicable Products"))
	if len(products) == 0 {
		return scrapers.Parsed{}, fmt.Errorf("%s: Applicable Products section lists no product", u)
	}
	problem := a.section("Description of Problem")
	if problem == nil {
		return scrapers.Parsed{}, fmt.Errorf("%s: no Description of Problem section", u)
	}
	todo := a.section("What Customers Should Do", "What XenServer Customers Should Do")
	if todo == nil {
		return scrapers.Parsed{}, fmt.Errorf("%s: no What Customers Should Do section", u)
	}
	var hotfixes []string
	for _, line := range items(todo) {
		for _, h := range hotfixName.FindAllString(line, -1) {
			if !slices.Contains(hotfixes, h) {
				hotfixes = append(hotfixes, h)
			}
		}
	}
	if len(hotfixes) == 0 {
		return scrapers.Parsed{}, fmt.Errorf("%s: What Customers Should Do names no hotfix", u)
	}
	adv := normalize.Advisory{
		ID: ctx, Vendor: Vendor, Status: normalize.StatusPublished, Title: a.title,
		Published: a.created, Updated: a.modified, URL: u.String(),
		Affected: strings.Join(products, "; "), CVEs: []string{},
		Sections: []normalize.Section{
			{Title: "Applicable Products", Text: strings.Join(products, "\n")},
			{Title: "Description of Problem", Text: blockText(problem)},
			{Title: "What Customers Should Do", Text: blockText(todo)},
		},
	}
	var fixes []normalize.Fix
	for _, line := range items(problem) {
		cves := cveInText.FindAllString(line, -1)
		if len(cves) == 0 {
			continue
		}
		adv.CVEs = append(adv.CVEs, cves...)
		tag := normalize.Classify(Vendor,
			normalize.Field{Name: "CVE line", Text: line},
			normalize.Field{Name: "description of problem", Text: blockText(problem)},
		)
		fixes = append(fixes, normalize.Fix{
			ID: fmt.Sprintf("%s/%d", ctx, len(fixes)+1), AdvisoryID: ctx, PatchIDs: hotfixes,
			Vendor: Vendor, Product: Product, Versions: products, Component: tag.Component,
			Category: tag.Category, Security: true, CVEs: cves, Summary: line,
			Rule: tag.Rule, Evidence: tag.Evidence,
		})
	}
	if len(fixes) == 0 {
		return scrapers.Parsed{}, fmt.Errorf("%s: Description of Problem lists no CVE", u)
	}
	slices.Sort(adv.CVEs)
	adv.CVEs = slices.Compact(adv.CVEs)
	return scrapers.Parsed{Result: normalize.Result{Advisories: []normalize.Advisory{adv}, Fixes: fixes}}, nil
}

// parseHotfix reads a hotfix article: the patch event, and one fix per
// bullet of "Issues Resolved In This Hotfix".
func parseHotfix(a *article, u *url.URL, name, version string) (scrapers.Parsed, error) {
	issues := a.section("Issues Resolved In This Hotfix", "Issue Resolved In This Hotfix")
	if issues == nil {
		return scrapers.Parsed{}, fmt.Errorf("%s: %s has no Issues Resolved In This Hotfix section", u, name)
	}
	bulletin := ""
	if who := a.section("Who Should Install This Hotfix"); who != nil {
		bulletin = ctxInText.FindString(who.Text())
	}
	patch := normalize.Patch{
		ID: name, Vendor: Vendor, Product: Product, Version: version, Released: "",
		Classification: "Bugfix", URL: u.String(), AdvisoryID: bulletin,
	}
	if bulletin != "" {
		patch.Classification = "Security"
	}
	if info := a.section("Information About this Hotfix", "Information About "+name); info != nil {
		rows := table(info)
		if len(rows) == 0 {
			return scrapers.Parsed{}, fmt.Errorf("%s: %s information section has no table rows", u, name)
		}
		released, err := citrixDate(rows["Revision History"])
		if err != nil || released == "" {
			return scrapers.Parsed{}, fmt.Errorf("%s: %s Revision History has no publication date (%q)", u, name, rows["Revision History"])
		}
		patch.Released = released
		post := strings.ToLower(rows["Post-update tasks"] + rows["Post-update action"])
		switch {
		case strings.Contains(post, "restart host") || strings.Contains(post, "reboot"):
			patch.RebootRequired = ptr(true)
		case strings.TrimSpace(post) == "none":
			patch.RebootRequired = ptr(false)
		}
		if live := strings.ToLower(rows["Content live patchable"] + rows["Contains Live Patch"]); strings.HasPrefix(live, "yes") {
			patch.RebootRequired = ptr(false)
		}
	} else if install := a.section("Installing the Hotfix"); install != nil {
		if strings.Contains(strings.ToLower(install.Text()), "restart the host") {
			patch.RebootRequired = ptr(true)
		}
	}
	var fixes []normalize.Fix
	var included []string
	intoIncludes := false
	issues.Each(func(_ int, s *goquery.Selection) {
		if goquery.NodeName(s) == "p" && strings.Contains(strings.ToLower(s.Text()), "previously released hotfix") {
			intoIncludes = true
			return
		}
		if goquery.NodeName(s) != "ul" && goquery.NodeName(s) != "ol" {
			return
		}
		s.Children().Each(func(_ int, li *goquery.Selection) {
			line := clean(li.Text())
			if intoIncludes {
				if h := hotfixName.FindString(line); h != "" && h != name {
					included = append(included, h)
				}
				return
			}
			tag := normalize.Classify(Vendor, normalize.Field{Name: "issue", Text: line})
			fixes = append(fixes, normalize.Fix{
				ID: fmt.Sprintf("%s/%d", name, len(fixes)+1), AdvisoryID: bulletin,
				PatchIDs: []string{name}, Vendor: Vendor, Product: Product, Versions: []string{version},
				Component: tag.Component, Category: tag.Category, CVEs: cveInText.FindAllString(line, -1),
				Summary: line, Rule: tag.Rule, Evidence: tag.Evidence,
			})
		})
	})
	patch.Supersedes = included
	for i := range fixes {
		if fixes[i].CVEs == nil {
			fixes[i].CVEs = []string{}
		}
	}
	return scrapers.Parsed{Result: normalize.Result{Patches: []normalize.Patch{patch}, Fixes: fixes}}, nil
}

// items returns the list items of a block, each on one line.
func items(block *goquery.Selection) []string {
	var out []string
	if block == nil {
		return out
	}
	block.Filter("ul, ol").Children().Each(func(_ int, li *goquery.Selection) {
		if t := clean(li.Text()); t != "" {
			out = append(out, t)
		}
	})
	return out
}

// table reads a two-column table of label and value rows; footnote marks
// ("Content live patchable**") are dropped from the labels.
func table(block *goquery.Selection) map[string]string {
	rows := map[string]string{}
	block.Filter("table").Find("tr").Each(func(_ int, tr *goquery.Selection) {
		cells := tr.Find("td")
		if cells.Length() >= 2 {
			rows[strings.TrimRight(clean(cells.Eq(0).Text()), "* ")] = clean(cells.Eq(1).Text())
		}
	})
	return rows
}

func blockText(block *goquery.Selection) string {
	var parts []string
	block.Each(func(_ int, s *goquery.Selection) {
		if t := clean(s.Text()); t != "" {
			parts = append(parts, t)
		}
	})
	return strings.Join(parts, "\n\n")
}

// citrixDate finds a date written "04 Jan 2018" or "Mar 30, 2021" in s and
// returns it as YYYY-MM-DD; empty text gives an empty date.
func citrixDate(s string) (string, error) {
	s = clean(s)
	if s == "" {
		return "", nil
	}
	d := dateInText.FindString(s)
	for _, layout := range []string{"02 Jan 2006", "2 Jan 2006", "Jan 2, 2006", "January 2, 2006"} {
		if t, err := time.Parse(layout, d); err == nil {
			return t.Format(normalize.DateLayout), nil
		}
	}
	return "", fmt.Errorf("unrecognised date in %q", s)
}

func clean(s string) string { return strings.Join(strings.Fields(s), " ") }

func ptr(b bool) *bool { return &b }
