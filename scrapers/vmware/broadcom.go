package vmware

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/patchwatch/patchwatch/normalize"
	"github.com/patchwatch/patchwatch/scrapers"
)

// broadcomList is the answer of the Broadcom advisory list endpoint.
type broadcomList struct {
	Success bool `json:"success"`
	Data    *struct {
		List     []broadcomItem `json:"list"`
		PageInfo struct {
			TotalCount int  `json:"totalCount"`
			LastPage   bool `json:"lastPage"`
		} `json:"pageInfo"`
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

// parseBroadcomList reads one page of the JSON list behind the Broadcom
// advisory index: each VMSA with its title, severity, dates and CVEs, and
// its advisory page to follow, with the item's "updated" as its change
// signal. The next page is requested unless this one is the last; since
// the list is sorted by update, newest first, the next page changed no
// later than this page's last item, which is its change signal.
func parseBroadcomList(body []byte, u *url.URL) (scrapers.Parsed, error) {
	page, err := broadcomPage(u)
	if err != nil {
		return scrapers.Parsed{}, err
	}
	var l broadcomList
	if err := json.Unmarshal(body, &l); err != nil {
		if len(body) > 0 && body[0] == '<' {
			return scrapers.Parsed{}, fmt.Errorf("%s: an HTML page where the JSON advisory list should be (%w)", u, err)
		}
		return scrapers.Parsed{}, fmt.Errorf("%s: %w", u, err)
	}
	if !l.Success || l.Data == nil {
		return scrapers.Parsed{}, fmt.Errorf("%s: answer without \"success\": true and a \"data\" object", u)
	}
	if len(l.Data.List) == 0 {
		return scrapers.Parsed{}, fmt.Errorf("%s: empty advisory \"list\"", u)
	}
	out := scrapers.Parsed{Changed: map[string]time.Time{}}
	var last time.Time
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
		if last, err = broadcomUpdated(it.Updated); err != nil {
			return scrapers.Parsed{}, fmt.Errorf("%s: %s updated: %w", u, m[1], err)
		}
		if n, err := url.Parse(it.NotificationURL); err == nil && n.Host == hostBroadcom && broadcomNotification.MatchString(n.Path) {
			out.Follow = append(out.Follow, n.String())
			out.Changed[n.String()] = last
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
	if !l.Data.PageInfo.LastPage && len(l.Data.List) == broadcomPageSize {
		next := broadcomRequest(page + 1)
		out.Requests = []scrapers.Request{next}
		out.Changed[next.Key()] = last
	}
	return out, nil
}
