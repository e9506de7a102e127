package microsoft

import (
	"encoding/json"
	"fmt"
	"net/url"
	"time"

	"github.com/patchwatch/patchwatch/scrapers"
)

// updateEntry is one entry of the OData "updates" index.
type updateEntry struct {
	ID                 string `json:"ID"`
	DocumentTitle      string `json:"DocumentTitle"`
	InitialReleaseDate string `json:"InitialReleaseDate"`
	CurrentReleaseDate string `json:"CurrentReleaseDate"`
	CvrfURL            string `json:"CvrfUrl"`
}

// parseUpdates reads the updates index. It holds no Hyper-V facts, only
// the monthly documents to fetch, so it yields links and no records. Each
// month's CurrentReleaseDate is its change signal: a month fetched after
// that date is not asked for again (each document is 5-15 MB).
func parseUpdates(body []byte, u *url.URL) (scrapers.Parsed, error) {
	var idx struct {
		Value []updateEntry `json:"value"`
	}
	if err := json.Unmarshal(body, &idx); err != nil {
		return scrapers.Parsed{}, fmt.Errorf("%s: updates index: %w", u, err)
	}
	if len(idx.Value) == 0 {
		return scrapers.Parsed{}, fmt.Errorf("%s: no \"value\" entries in the updates index", u)
	}
	var out scrapers.Parsed
	for _, e := range idx.Value {
		target, err := url.Parse(e.CvrfURL)
		if err != nil || target.Host != Host || !documentPath.MatchString(target.Path) {
			return scrapers.Parsed{}, fmt.Errorf("%s: update %q has no usable CvrfUrl (%q)", u, e.ID, e.CvrfURL)
		}
		if id := documentPath.FindStringSubmatch(target.Path)[1]; id != e.ID {
			return scrapers.Parsed{}, fmt.Errorf("%s: update %q points at document %s", u, e.ID, id)
		}
		out.Follow = append(out.Follow, documentURL(e.ID))
		if e.CurrentReleaseDate == "" {
			continue // no signal: the month falls back to the revisit age
		}
		at, err := time.Parse(time.RFC3339, e.CurrentReleaseDate)
		if err != nil {
			return scrapers.Parsed{}, fmt.Errorf("%s: update %q: CurrentReleaseDate: %w", u, e.ID, err)
		}
		out.NoteChange(documentURL(e.ID), at.UTC())
	}
	return out, nil
}
