// Package citrix reads Citrix XenServer / Citrix Hypervisor security
// bulletins and hotfix articles from the Citrix Knowledge Center.
//
// Every Knowledge Center article lives at
// https://support.citrix.com/article/CTX<n> — bulletins (CTX231390) and
// hotfixes (CTX306480, "Hotfix XS71ECU2058 - For XenServer 7.1 Cumulative
// Update 2") alike. The site also serves the same article with a slug
// (/article/CTX575089/citrix-hypervisor-multiple-security-updates) and,
// since 2023, under /support-home/kbsearch/article?articleNumber=CTX…; this
// source uses only the bare /article/CTX<n> form, so no recorded file is
// also a directory. There is no feed: two listings are the seeds, the
// "Security Bulletin" topic list of the support portal and CTX138115
// ("Recommended Updates for XenServer Hotfixes"), and every article they
// link is visited.
//
// A bulletin is an advisory; each CVE line of its "Description of Problem"
// is a fix pointing at the hotfixes named under "What Customers Should Do".
// A hotfix is a patch event: its "Information About this Hotfix" table
// gives the release date, the post-update task (a host restart or none) and
// whether the content is live patchable; "Issues Resolved In This Hotfix"
// bullets are its own fixes; the hotfixes it includes are the ones it
// supersedes. Hotfix pages from 2012 (XenServer 6.0.2) have no table: their
// reboot flag comes from the installation text and their date is unknown.
package citrix

import (
	"fmt"
	"regexp"

	"github.com/patchwatch/patchwatch/scrapers"
)

// Host is the Knowledge Center host.
const Host = "support.citrix.com"

// ArticleBase prefixes every article URL.
const ArticleBase = "https://support.citrix.com/article/"

// BulletinIndex is the support portal's list of security bulletins.
const BulletinIndex = "https://support.citrix.com/support-home/topic-article-list?trendingCategory=20&trendingTopicName=Security%20Bulletin"

// HotfixIndex is CTX138115, the article listing the hotfixes for each
// XenServer release.
const HotfixIndex = ArticleBase + "CTX138115"

// Vendor is the vendor name on every record.
const Vendor = "citrix"

// Product is the product family on patches and fixes.
const Product = "XenServer"

func init() { scrapers.Register(Source{}) }

// Source is the Citrix Knowledge Center source.
type Source struct{}

// Name implements scrapers.Source.
func (Source) Name() string { return Vendor }

// Description implements scrapers.Source.
func (Source) Description() string {
	return "Citrix XenServer / Citrix Hypervisor security bulletins and hotfix articles (support.citrix.com CTX articles)"
}

// Seeds implements scrapers.Source.
func (Source) Seeds() []string { return []string{BulletinIndex, HotfixIndex} }

// Domains implements scrapers.Source.
func (Source) Domains() []string { return []string{Host} }

var articlePath = regexp.MustCompile(`^/article/(CTX\d+)$`)

// Parse implements scrapers.Source. Bulletins and hotfixes share one URL
// shape, so after the URL picks "an article" the page's own title decides.
func (Source) Parse(p scrapers.Page) (scrapers.Parsed, error) {
	u := p.URL
	if u.Host != Host {
		return scrapers.Parsed{}, fmt.Errorf("%s: not a %s page", u, Host)
	}
	switch {
	case u.Path == "/support-home/topic-article-list":
		return parseIndex(p.Body, u)
	case u.String() == HotfixIndex:
		return parseIndex(p.Body, u)
	case articlePath.MatchString(u.Path):
		return parseArticle(p.Body, u, articlePath.FindStringSubmatch(u.Path)[1])
	}
	return scrapers.Parsed{}, fmt.Errorf("%s: no citrix parser for this path", u)
}
