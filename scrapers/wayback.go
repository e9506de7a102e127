package scrapers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The Internet Archive's Wayback Machine: its CDX API lists the captures of
// a URL, and /web/<timestamp>id_/<original> serves one capture's body as the
// original server sent it (id_ asks for no archive banner or rewritten
// links), so the vendor's parser reads it as it read the live page.
const (
	// ArchiveHost is the Wayback Machine's host.
	ArchiveHost = "web.archive.org"
	// CDXEndpoint is the CDX search API.
	CDXEndpoint = "https://" + ArchiveHost + "/cdx/search/cdx"
	// DefaultArchiveDelay is the pause between two requests to the
	// archive unless configured otherwise: archive.org asks crawlers to
	// be gentle, and a history run is not in a hurry.
	DefaultArchiveDelay = 2 * time.Second
)

// Bounds on what one CDX answer may make the harvest do: a listing page
// asks for cdxPageRows captures and may not hold more, a resumption key is
// short text, and a listing is at most cdxMaxPages pages, so a hostile or
// broken answer cannot keep a run going forever.
const (
	cdxPageRows     = 500
	cdxMaxPages     = 200
	cdxMaxResumeKey = 1024
	// maxRetryAfter is the longest Retry-After the archive client waits;
	// a longer one fails the request rather than stalling the run.
	maxRetryAfter = 10 * time.Minute
	// archiveAttempts is how many times one archive request is made
	// while the archive answers 429 or 503.
	archiveAttempts = 4
)

// Capture is one capture of a URL as the CDX API lists it.
type Capture struct {
	// Timestamp is the capture time as the archive spells it,
	// YYYYMMDDhhmmss (UTC).
	Timestamp string
	// Original is the URL the archive captured, as it recorded it
	// (sometimes with :80 or another scheme than the one asked about).
	Original string
	MimeType string
	// Digest is the archive's hash of the captured body (base32 SHA-1):
	// two captures with one digest hold the same bytes.
	Digest string
}

// Time is the capture time.
func (c Capture) Time() time.Time {
	t, _ := time.Parse(cdxTimeLayout, c.Timestamp)
	return t
}

// ArchiveURL is the address of the capture's raw body.
func (c Capture) ArchiveURL() string {
	return "https://" + ArchiveHost + "/web/" + c.Timestamp + "id_/" + c.Original
}

// FirstCapture is when the Internet Archive began capturing the web; a
// capture dated earlier is not one, and a history run asks for none.
var FirstCapture = time.Date(1996, 1, 1, 0, 0, 0, 0, time.UTC)

const (
	cdxTimeLayout = "20060102150405"
	cdxDayLayout  = "20060102"
)

var (
	timestampRE = regexp.MustCompile(`^\d{14}$`)
	digestRE    = regexp.MustCompile(`^[A-Za-z0-9+/=_-]{8,64}$`)
	resumeKeyRE = regexp.MustCompile(`^[A-Za-z0-9%+._~-]+$`)
)

// CDXPage is one page of a CDX listing: its captures, and the key that
// asks for the next page ("" on the last).
type CDXPage struct {
	Captures  []Capture
	ResumeKey string
}

// ParseCDX reads a CDX answer in JSON output (a header row naming the
// fields, one row per capture, and with showResumeKey an empty row then a
// one-element row holding the resumption key). It validates every field it
// keeps: a timestamp is 14 digits and a real time, an original is an
// absolute http(s) URL, a digest is short and plain. An answer with more
// than max captures is refused.
func ParseCDX(body []byte, max int) (CDXPage, error) {
	var rows [][]string
	if len(bytes.TrimSpace(body)) == 0 {
		return CDXPage{}, nil // the archive answers an empty body when it has no capture
	}
	if err := json.Unmarshal(body, &rows); err != nil {
		return CDXPage{}, fmt.Errorf("cdx answer is not JSON rows: %w", err)
	}
	if len(rows) == 0 {
		return CDXPage{}, nil
	}
	col := map[string]int{}
	for i, name := range rows[0] {
		col[name] = i
	}
	for _, need := range []string{"timestamp", "original", "digest"} {
		if _, ok := col[need]; !ok {
			return CDXPage{}, fmt.Errorf("cdx answer has no %q column (header %q)", need, rows[0])
		}
	}
	var page CDXPage
	rows = rows[1:]
	// With showResumeKey the answer ends in [] then [key].
	if n := len(rows); n >= 2 && len(rows[n-2]) == 0 && len(rows[n-1]) == 1 {
		page.ResumeKey = rows[n-1][0]
		rows = rows[:n-2]
		if len(page.ResumeKey) > cdxMaxResumeKey || !resumeKeyRE.MatchString(page.ResumeKey) {
			return CDXPage{}, fmt.Errorf("cdx resumption key %.40q is not %d or fewer URL-escaped bytes", page.ResumeKey, cdxMaxResumeKey)
		}
	}
	if len(rows) > max {
		return CDXPage{}, fmt.Errorf("cdx answer lists %d captures, asked for at most %d", len(rows), max)
	}
	get := func(row []string, name string) string {
		if i, ok := col[name]; ok && i < len(row) {
			return row[i]
		}
		return ""
	}
	for i, row := range rows {
		c := Capture{Timestamp: get(row, "timestamp"), Original: get(row, "original"), MimeType: get(row, "mimetype"), Digest: get(row, "digest")}
		if !timestampRE.MatchString(c.Timestamp) || c.Time().Before(FirstCapture) {
			return CDXPage{}, fmt.Errorf("cdx row %d: bad timestamp %q: want 14 digits YYYYMMDDhhmmss from 1996 on", i+1, c.Timestamp)
		}
		if !digestRE.MatchString(c.Digest) {
			return CDXPage{}, fmt.Errorf("cdx row %d: bad digest %q", i+1, c.Digest)
		}
		u, err := url.Parse(c.Original)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
			return CDXPage{}, fmt.Errorf("cdx row %d: original %q is not an absolute http(s) URL", i+1, c.Original)
		}
		page.Captures = append(page.Captures, c)
	}
	return page, nil
}

// CDXQuery is the address of one page of the listing of url's captures
// taken on the days from to to, both included (zero means unbounded; the
// archive reads a day as its first or last second): JSON output, only captures
// the original server answered 200, one row per distinct body (collapsed
// by digest), paged with a resumption key.
func CDXQuery(rawURL string, from, to time.Time, resumeKey string) string {
	v := url.Values{}
	v.Set("url", rawURL)
	v.Set("output", "json")
	v.Set("filter", "statuscode:200")
	v.Set("collapse", "digest")
	if !from.IsZero() {
		v.Set("from", from.UTC().Format(cdxDayLayout))
	}
	if !to.IsZero() {
		v.Set("to", to.UTC().Format(cdxDayLayout))
	}
	v.Set("limit", strconv.Itoa(cdxPageRows))
	v.Set("showResumeKey", "true")
	q := CDXEndpoint + "?" + v.Encode()
	if resumeKey != "" {
		// The archive hands out the key already escaped, to be sent
		// back as it is (ParseCDX checked it holds only URL-safe bytes).
		q += "&resumeKey=" + resumeKey
	}
	return q
}

// Archive is a client of the Wayback Machine with its own politeness: one
// request at a time, at most one every Delay, patchwatch's user agent,
// and 429/503 answers waited out as their Retry-After says.
type Archive struct {
	client *http.Client
	delay  time.Duration
	// Now and Sleep are the clock; tests replace them to measure waits
	// without waiting.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error

	mu   sync.Mutex
	next time.Time // no request before this
}

// NewArchive builds the archive client from a fetch configuration: the
// same replay, record, mirror, size limit, gzip and charset handling as
// every page, but its own rate (delay between requests; 0 means
// DefaultArchiveDelay, negative none) and its own retry of 429 and 503.
func NewArchive(cfg Config, delay time.Duration) (*Archive, error) {
	cfg = cfg.Defaults()
	base, err := baseTransport(cfg)
	if err != nil {
		return nil, err
	}
	switch {
	case cfg.ReplayDir != "" || delay < 0:
		delay = 0
	case delay == 0:
		delay = DefaultArchiveDelay
	}
	rt := charsetTransport{next: recordedTransport(cfg, base)}
	return &Archive{
		client: &http.Client{
			Transport: rt,
			Timeout:   cfg.Timeout,
			// Redirects are the caller's decision: a capture that
			// redirects elsewhere is not the page asked for.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		delay: delay,
		Now:   time.Now,
		Sleep: sleepCtx,
	}, nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// ArchiveReply is the archive's answer to one request: its status, type,
// redirect target and body (within the size limit, decoded to UTF-8 for
// text).
type ArchiveReply struct {
	Status      int
	ContentType string
	Location    string
	Body        []byte
}

// get asks the archive for u, pacing requests and waiting out 429 and 503
// answers (as Retry-After says, up to maxRetryAfter). requests counts every
// request that went out.
func (a *Archive) get(ctx context.Context, u string, requests *int) (ArchiveReply, error) {
	for attempt := 1; ; attempt++ {
		if err := a.pace(ctx); err != nil {
			return ArchiveReply{}, err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return ArchiveReply{}, fmt.Errorf("archive request %s: %w", u, err)
		}
		req.Header.Set("User-Agent", UserAgent())
		*requests++
		resp, err := a.client.Do(req)
		if err != nil {
			return ArchiveReply{}, fmt.Errorf("archive %s: %w", u, err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return ArchiveReply{}, fmt.Errorf("archive %s: read: %w", u, err)
		}
		r := ArchiveReply{Status: resp.StatusCode, ContentType: resp.Header.Get("Content-Type"), Location: resp.Header.Get("Location"), Body: body}
		if r.Status != http.StatusTooManyRequests && r.Status != http.StatusServiceUnavailable {
			return r, nil
		}
		wait, ok := retryAfter(resp.Header.Get("Retry-After"), a.Now())
		if !ok {
			wait = time.Duration(attempt) * max(a.delay, 10*time.Second)
		}
		if wait > maxRetryAfter {
			return r, fmt.Errorf("archive %s: HTTP %d asks to wait %s, longer than %s", u, r.Status, wait, maxRetryAfter)
		}
		if attempt == archiveAttempts {
			return r, fmt.Errorf("archive %s: HTTP %d after %d attempts", u, r.Status, attempt)
		}
		if err := a.Sleep(ctx, wait); err != nil {
			return r, fmt.Errorf("archive %s: %w", u, err)
		}
	}
}

// pace waits until the next request is allowed and books the one after.
func (a *Archive) pace(ctx context.Context) error {
	a.mu.Lock()
	now := a.Now()
	wait := a.next.Sub(now)
	if wait < 0 {
		wait = 0
	}
	a.next = now.Add(wait + a.delay)
	a.mu.Unlock()
	return a.Sleep(ctx, wait)
}

// retryAfter reads a Retry-After header: seconds or an HTTP date.
func retryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// List returns one page of the captures of rawURL between from and to,
// starting at resumeKey.
func (a *Archive) List(ctx context.Context, rawURL string, from, to time.Time, resumeKey string, requests *int) (CDXPage, error) {
	q := CDXQuery(rawURL, from, to, resumeKey)
	r, err := a.get(ctx, q, requests)
	if err != nil {
		return CDXPage{}, err
	}
	if r.Status != http.StatusOK {
		return CDXPage{}, fmt.Errorf("cdx listing of %s: HTTP %d", rawURL, r.Status)
	}
	page, err := ParseCDX(r.Body, cdxPageRows)
	if err != nil {
		return CDXPage{}, fmt.Errorf("cdx listing of %s: %w", rawURL, err)
	}
	if page.ResumeKey != "" && page.ResumeKey == resumeKey {
		return CDXPage{}, fmt.Errorf("cdx listing of %s: the resumption key did not advance", rawURL)
	}
	return page, nil
}

// ErrNotCapture marks a capture the archive did not serve as the page
// asked for: a redirect elsewhere, or an error status.
var ErrNotCapture = errors.New("not a capture of the page")

// Fetch returns the raw body of capture c. The archive redirects a
// timestamp it does not hold exactly to the nearest one it does; such a
// redirect, to another timestamp of the same original URL, is followed
// once, and the capture returned carries the timestamp actually served.
// Any other redirect fails with ErrNotCapture.
func (a *Archive) Fetch(ctx context.Context, c Capture, requests *int) (Capture, ArchiveReply, error) {
	u := c.ArchiveURL()
	r, err := a.get(ctx, u, requests)
	if err != nil {
		return c, r, err
	}
	if r.Status >= 300 && r.Status < 400 {
		next, ok := sameCapture(c, r.Location)
		if !ok {
			return c, r, fmt.Errorf("%w: %s redirects to %q", ErrNotCapture, u, r.Location)
		}
		c = next
		if r, err = a.get(ctx, c.ArchiveURL(), requests); err != nil {
			return c, r, err
		}
	}
	if r.Status != http.StatusOK {
		return c, r, fmt.Errorf("%w: %s: HTTP %d", ErrNotCapture, c.ArchiveURL(), r.Status)
	}
	// A capture dated in the future would count as newer than any live
	// fetch when records merge.
	if c.Time().After(a.Now().Add(24 * time.Hour)) {
		return c, r, fmt.Errorf("%w: %s is dated in the future", ErrNotCapture, c.ArchiveURL())
	}
	return c, r, nil
}

var (
	archivePathRE = regexp.MustCompile(`^/web/(\d{14})id_/(.+)$`)
	schemeSlashes = regexp.MustCompile(`^(https?):/+`)
)

// sameCapture reads a redirect's Location and accepts it when it names a
// raw capture, at another timestamp, of the same original host and path.
func sameCapture(c Capture, location string) (Capture, bool) {
	base, _ := url.Parse(c.ArchiveURL())
	loc, err := base.Parse(location)
	if err != nil || loc.Host != ArchiveHost {
		return c, false
	}
	m := archivePathRE.FindStringSubmatch(loc.Path)
	if m == nil || !timestampRE.MatchString(m[1]) {
		return c, false
	}
	// A path cleaner on the way may have folded the embedded "//".
	target := schemeSlashes.ReplaceAllString(m[2], "$1://")
	if loc.RawQuery != "" {
		target += "?" + loc.RawQuery
	}
	want, err1 := url.Parse(c.Original)
	got, err2 := url.Parse(target)
	if err1 != nil || err2 != nil || !strings.EqualFold(got.Hostname(), want.Hostname()) || got.Path != want.Path || got.RawQuery != want.RawQuery {
		return c, false
	}
	next := c
	next.Timestamp = m[1]
	if next.Time().IsZero() {
		return c, false
	}
	return next, true
}
