package citrix

import "github.com/patchwatch/patchwatch/scrapers"

// HistorySeeds implements scrapers.HistorySource: the XenServer hotfix
// list article (CTX138115), whose older versions list hotfixes that later
// versions dropped, and through it the hotfix articles. Citrix's older
// bulletin index pages are in layouts this package does not parse, so
// they are not declared.
func (Source) HistorySeeds() []scrapers.HistorySeed {
	return []scrapers.HistorySeed{{URL: HotfixIndex, Note: "XenServer hotfix list (CTX138115) and the hotfix articles it links to"}}
}
