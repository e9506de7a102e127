package vmware

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"github.com/patchwatch/patchwatch/normalize"
	"github.com/patchwatch/patchwatch/scrapers"
)

// broadcomList is the answer of the Broadcom advisory list endpoint.
type broadcomList struct {
	Success bool `json:"success"`
	Data    *struct {
		List []broadcomItem `json:"list"`
	} `json:"data"`
}

type broadcomItem struct {
	NotificationID  json.Number `json:"notificationId"`
	NotificationURL string      `json:"notificationUrl"`
	DocumentID      string      `json:"documentId"`
	Title           string      `json:"title"`
	Severity        string      `json:"severity"`
	AffectedCve     string      `json:"affectedCve"`
	SupportProducts string      `json:"supportProducts"`
	Published       string      `json:"published"`
	Updated         string      `json:"updated"`
}

// parseBroadcomList reads the JSON list behind the Broadcom advisory index:
// each VMSA with its title, severity, dates and CVEs. It discovers new
// advisories; their detail pages are not followed (they are rendered by
// JavaScript), and the endpoint answers only POST, so it is never a seed.
func parseBroadcomList(body []byte, u *url.URL) (scrapers.Parsed, error) {
	var l broadcomList
	if err := json.Unmarshal(body, &l); err != nil {
		return scrapers.Parsed{}, fmt.Errorf("%s: %w", u, err)
	}
	if !l.Success || l.Data == nil {
		return scrapers.Parsed{}, fmt.Errorf("%s: answer without \"success\": true and a \"data\" object", u)
	}
	if len(l.Data.List) == 0 {
		return scrapers.Parsed{}, fmt.Errorf("%s: empty advisory \"list\"", u)
	}
	var out scrapers.Parsed
	for _, it := range l.Data.List {
		m := advisoryIDPattern.FindStringSubmatch(it.Title)
		if m == nil {
			return scrapers.Parsed{}, fmt.Errorf("%s: notification %s: title %q names no VMSA", u, it.NotificationID, it.Title)
		}
		published, err := day(it.Published)
		if err != nil {
			return scrapers.Parsed{}, fmt.Errorf("%s: %s published: %w", u, m[1], err)
		}
		updated, err := day(it.Updated)
		if err != nil {
			return scrapers.Parsed{}, fmt.Errorf("%s: %s updated: %w", u, m[1], err)
		}
		title := strings.TrimSpace(it.Title)
		if _, rest, ok := strings.Cut(title, ":"); ok && strings.HasPrefix(title, m[0]) {
			title = strings.TrimSpace(rest)
		}
		out.Advisories = append(out.Advisories, normalize.Advisory{
			ID: m[1], Vendor: Vendor, Status: normalize.StatusPublished, Title: title,
			Severity: titleCase(it.Severity), Published: published, Updated: updated,
			URL: it.NotificationURL, Affected: strings.TrimSpace(it.SupportProducts),
			CVEs: sortedUnique(cvePattern.FindAllString(it.AffectedCve, -1)),
		})
	}
	return out, nil
}
