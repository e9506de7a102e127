package virtuozzo

import "github.com/patchwatch/patchwatch/scrapers"

// HistorySeeds implements scrapers.HistorySource: the VZA advisory index,
// whose older captures list advisories as first published. The SWsoft and
// Parallels support pages that came before it are in layouts this package
// does not parse, so they are not declared.
func (Source) HistorySeeds() []scrapers.HistorySeed {
	return []scrapers.HistorySeed{{URL: Base, Note: "Virtuozzo VZA advisory index and the advisories it links to"}}
}
