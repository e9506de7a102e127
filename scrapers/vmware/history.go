package vmware

import "github.com/patchwatch/patchwatch/scrapers"

// HistoryYears are the security-announce archive years a history harvest
// asks the Internet Archive for: the list carried VMSA mails from 2007 to
// 2016, and lists.vmware.com no longer serves them.
var HistoryYears = []string{"2007", "2008", "2009", "2010", "2011", "2012", "2013", "2014", "2015", "2016"}

// HistorySeeds implements scrapers.HistorySource: the pipermail date
// indexes (each leading to its message pages), the VI3 patch download page
// (leading to the ESX 3.x patch KB articles) and the ESX 4.1 patch release
// KB page. All are layouts this package parses.
func (Source) HistorySeeds() []scrapers.HistorySeed {
	seeds := make([]scrapers.HistorySeed, 0, len(HistoryYears)+2)
	for _, y := range HistoryYears {
		seeds = append(seeds, scrapers.HistorySeed{
			URL:  "http://" + hostLists + pipermailPath + y + "/date.html",
			Note: "security-announce mails of " + y + " (pipermail date index)",
		})
	}
	return append(seeds,
		scrapers.HistorySeed{URL: PatchIndex, Note: "VI3 (ESX 3.x) patch download page and the KB articles it links to"},
		scrapers.HistorySeed{URL: ESX41PatchRelease, Note: "ESX 4.1 patch release ESX410-201204001 (KB 2013057)"},
	)
}
