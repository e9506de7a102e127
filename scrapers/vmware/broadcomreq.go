package vmware

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"time"

	"github.com/patchwatch/patchwatch/scrapers"
)

// broadcomPageSize is how many advisories one list request asks for.
const broadcomPageSize = 50

// broadcomQuery is the JSON body of a list request (the fields the
// Broadcom page itself sends). The list is sorted by last update, newest
// first, so that a page whose newest entry is older than its stored copy
// has nothing new, and neither have the pages after it.
type broadcomQuery struct {
	PageNumber int    `json:"pageNumber"`
	PageSize   int    `json:"pageSize"`
	SearchVal  string `json:"searchVal"`
	Segment    string `json:"segment"`
	SortInfo   struct {
		Column string `json:"column"`
		Order  string `json:"order"`
	} `json:"sortInfo"`
}

// broadcomRequest is the POST for one page of the list.
func broadcomRequest(page int) scrapers.Request {
	q := broadcomQuery{PageNumber: page, PageSize: broadcomPageSize, Segment: "VC"}
	q.SortInfo.Column, q.SortInfo.Order = "updated", "DESC"
	body, _ := json.Marshal(q) // a struct of strings and ints always encodes
	return scrapers.Request{Method: "POST", URL: BroadcomList, ContentType: "application/json", Body: string(body)}
}

// SeedRequests implements scrapers.RequestSeeder: the first page of the
// Broadcom advisory list, read on every harvest.
func (Source) SeedRequests() []scrapers.Request {
	return []scrapers.Request{broadcomRequest(0)}
}

// FrozenSeeds implements scrapers.FrozenSeeder: every GET seed indexes an
// era that has ended (the security-announce years, the retired vmware.com
// and kb.vmware.com pages), so only the Broadcom list is read every night
// and those pages are asked for again after the revisit age.
func (s Source) FrozenSeeds() []string { return s.Seeds() }

// broadcomPage is which page of the list a stored answer is, from the
// request its key carries; a key without one (an answer recorded before
// requests had keys) is page 0.
func broadcomPage(u *url.URL) (int, error) {
	q, ok := scrapers.RequestOf(u)
	if !ok || q.Body == "" {
		return 0, nil
	}
	var b broadcomQuery
	if err := json.Unmarshal([]byte(q.Body), &b); err != nil {
		return 0, fmt.Errorf("%s: request body: %w", u, err)
	}
	return b.PageNumber, nil
}

// broadcomUpdated reads an item's "updated" ("2026-01-24 05:14:24.820000",
// UTC by every sign) as a change time.
func broadcomUpdated(s string) (time.Time, error) {
	return time.Parse("2006-01-02 15:04:05.999999", s)
}

// broadcomNotification is the path of an advisory page the list names.
var broadcomNotification = regexp.MustCompile(`^/web/ecx/support-content-notification/-/external/content/SecurityAdvisories/0/\d+$`)
