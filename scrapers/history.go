package scrapers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/patchwatch/patchwatch/normalize"
)

// HistorySeed is one page whose past versions a history harvest asks the
// Internet Archive for. The pages it links to, on the source's domains,
// are looked up in the archive in turn.
type HistorySeed struct {
	// URL is the page as the vendor served it, in the form the source's
	// parser reads.
	URL string
	// Note says what the page was, for `patchwatch sources`.
	Note string
}

// HistorySource is a Source whose vendor served pages that are gone, or
// changed, and that the Internet Archive kept. A source declares only pages
// in layouts its parser reads.
type HistorySource interface {
	Source
	HistorySeeds() []HistorySeed
}

// HistorySeedsOf returns a source's historical seeds, none if it declares
// none.
func HistorySeedsOf(s Source) []HistorySeed {
	if h, ok := s.(HistorySource); ok {
		return h.HistorySeeds()
	}
	return nil
}

// Archived is a page read from the archive: Fetched as for a live page
// (URL is the original URL, FetchedAt the capture time) and where it came
// from.
type Archived struct {
	Fetched
	CapturedAt time.Time
	ArchiveURL string
	Digest     string
}

// HistorySink stores a history harvest: captures as pages of their
// original URL, which captures are held, and how far each CDX listing has
// been read.
type HistorySink interface {
	// HaveCapture says whether the capture is stored, and the links
	// stored with it.
	HaveCapture(ctx context.Context, url, digest string) (bool, []string, error)
	SaveCapture(ctx context.Context, a Archived, res normalize.Result) error
	SaveUnparsedCapture(ctx context.Context, a Archived) error
	// ListingProgress returns where the listing query stopped: the
	// resumption key of its next page, and whether it was read to the end.
	ListingProgress(ctx context.Context, query string) (resumeKey string, captures int, complete bool, err error)
	SaveListingProgress(ctx context.Context, query, resumeKey string, captures int, complete bool) error
}

// HistoryReport says what one source's history harvest did.
type HistoryReport struct {
	Source string
	// Listings were read from the CDX API (Pages of them), Captures listed.
	Listings, ListingPages, Captures int
	// Stored captures parsed; Unparsed were kept with why they did not
	// parse (a soft 404, a truncated capture); Held were already stored
	// and cost no request.
	Stored, Unparsed, Held, Failed int
	// Requests counts every request to the archive, retries included.
	Requests                   int
	Advisories, Patches, Fixes int
	Errors                     []PageError
}

// HistoryHarvester reads sources' historical seeds from the Internet
// Archive into a HistorySink. It visits one page at a time: the archive's
// rate, not parallelism, bounds a history run.
type HistoryHarvester struct {
	Archive *Archive
	Sink    HistorySink
	// From and To are the first and last day of the captures read (zero:
	// unbounded).
	From, To time.Time
	// ParseTimeout bounds parsing one capture (default DefaultParseTimeout).
	ParseTimeout time.Duration
	Logger       *slog.Logger
}

// Run harvests each source's history in turn.
func (h *HistoryHarvester) Run(ctx context.Context, sources []Source) []HistoryReport {
	var out []HistoryReport
	for _, s := range sources {
		out = append(out, h.runSource(ctx, s))
	}
	return out
}

type historyRun struct {
	h      *HistoryHarvester
	src    Source
	rep    HistoryReport
	log    *slog.Logger
	queued map[string]bool
	queue  []string
}

func (h *HistoryHarvester) runSource(ctx context.Context, src Source) HistoryReport {
	log := h.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r := &historyRun{h: h, src: src, rep: HistoryReport{Source: src.Name()}, log: log.With("source", src.Name()), queued: map[string]bool{}}
	for _, s := range HistorySeedsOf(src) {
		r.follow([]string{s.URL})
	}
	for len(r.queue) > 0 && ctx.Err() == nil {
		u := r.queue[0]
		r.queue = r.queue[1:]
		r.page(ctx, u)
	}
	return r.rep
}

// follow queues the links on the source's domains not yet queued.
func (r *historyRun) follow(links []string) {
	for _, l := range links {
		u, err := url.Parse(l)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.User != nil || !slices.Contains(r.src.Domains(), u.Hostname()) {
			continue
		}
		u.Fragment = ""
		key := u.String()
		if !r.queued[key] {
			r.queued[key] = true
			r.queue = append(r.queue, key)
		}
	}
}

func (r *historyRun) fail(u string, status int, err error) {
	r.rep.Failed++
	r.rep.Errors = append(r.rep.Errors, PageError{Source: r.src.Name(), URL: u, Status: status, Err: err})
	r.log.Warn("capture failed", "url", u, "err", err)
}

// page reads the CDX listing of one URL, from where an earlier run
// stopped, and stores every capture not held yet. Links found in any
// capture (or recorded with a held one) are followed. A listing already
// read to the end is read again from the start: the archive may have taken
// new captures since, and the ones held cost nothing.
func (r *historyRun) page(ctx context.Context, u string) {
	query := CDXQuery(u, r.h.From, r.h.To, "")
	key, captures, complete, err := r.h.Sink.ListingProgress(ctx, query)
	if err != nil {
		r.fail(u, 0, err)
		return
	}
	if complete {
		key, captures = "", 0
	}
	r.rep.Listings++
	for pages := 0; ; pages++ {
		if pages == cdxMaxPages {
			r.fail(u, 0, fmt.Errorf("cdx listing of %s: more than %d pages, stopped", u, cdxMaxPages))
			return
		}
		listing, err := r.h.Archive.List(ctx, u, r.h.From, r.h.To, key, &r.rep.Requests)
		if err != nil {
			r.fail(u, 0, err)
			return
		}
		r.rep.ListingPages++
		r.rep.Captures += len(listing.Captures)
		for _, c := range listing.Captures {
			if ctx.Err() != nil {
				return
			}
			r.capture(ctx, u, c)
		}
		captures += len(listing.Captures)
		done := listing.ResumeKey == ""
		// Recorded after the page's captures: an interrupted run asks
		// for this page again, and its held captures cost nothing.
		if err := r.h.Sink.SaveListingProgress(ctx, query, listing.ResumeKey, captures, done); err != nil {
			r.fail(u, 0, err)
			return
		}
		if done {
			return
		}
		key = listing.ResumeKey
	}
}

// capture fetches, parses and stores one capture of u, unless it is held.
func (r *historyRun) capture(ctx context.Context, u string, c Capture) {
	held, links, err := r.h.Sink.HaveCapture(ctx, u, c.Digest)
	if err != nil {
		r.fail(u, 0, err)
		return
	}
	if held {
		r.rep.Held++
		r.follow(links)
		return
	}
	got, resp, err := r.h.Archive.Fetch(ctx, c, &r.rep.Requests)
	if err != nil {
		r.fail(c.ArchiveURL(), resp.Status, err)
		return
	}
	orig, _ := url.Parse(u)
	a := Archived{
		Fetched: Fetched{
			Source: r.src.Name(), URL: u, Status: resp.Status, ContentType: resp.ContentType,
			Body: resp.Body, FetchedAt: got.Time(),
		},
		CapturedAt: got.Time(), ArchiveURL: got.ArchiveURL(), Digest: c.Digest,
	}
	limit := r.h.ParseTimeout
	if limit <= 0 {
		limit = DefaultParseTimeout
	}
	parsed, err := ParseWithin(ctx, r.src, Page{URL: orig, ContentType: resp.ContentType, Body: resp.Body}, limit)
	if err == nil {
		err = parsed.Validate()
	}
	err = CaptureProblem(resp.ContentType, resp.Body, parsed, err)
	if err != nil {
		a.ParseError = err.Error()
		if serr := r.h.Sink.SaveUnparsedCapture(ctx, a); serr != nil {
			r.fail(a.ArchiveURL, resp.Status, serr)
			return
		}
		r.rep.Unparsed++
		r.log.Info("capture kept unparsed", "url", a.ArchiveURL, "reason", err)
		return
	}
	a.Links = parsed.Follow
	if err := r.h.Sink.SaveCapture(ctx, a, parsed.Result); err != nil {
		r.fail(a.ArchiveURL, resp.Status, fmt.Errorf("store: %w", err))
		return
	}
	r.rep.Stored++
	r.rep.Advisories += len(parsed.Advisories)
	r.rep.Patches += len(parsed.Patches)
	r.rep.Fixes += len(parsed.Fixes)
	r.log.Debug("capture stored", "url", u, "archive", a.ArchiveURL, "records", parsed.Count())
	r.follow(parsed.Follow)
}

// Errors a capture that parsed can still have. The archive keeps what a
// server answered, and a server once answered 200 to a missing page with a
// page saying so (a soft 404), or the crawl stopped mid-body.
var (
	ErrSoft404   = errors.New("capture is a soft 404: a 200 page that says the page was not found")
	ErrTruncated = errors.New("capture is truncated: the HTML ends before </html>")
)

var notFoundRE = regexp.MustCompile(`(?i)<title>[^<]*(not found|404|no longer available|does not exist)[^<]*</title>|<h1[^>]*>[^<]*(not found|404|no longer available|does not exist)[^<]*</h1>`)

// CaptureProblem says why a capture must not be believed, given what its
// parse gave (records, or parseErr): it is HTML cut off before its end, or
// it yields no records and says "not found" (whether or not its parser
// choked on it), or it yields nothing at all. A capture with records and a
// whole body is kept whatever its title says.
// reparse applies it too, so a capture kept unparsed stays so.
func CaptureProblem(contentType string, body []byte, p Parsed, parseErr error) error {
	lower := bytes.ToLower(body)
	html := strings.Contains(contentType, "html") || bytes.Contains(lower[:min(len(lower), 512)], []byte("<html"))
	switch {
	case html && !bytes.Contains(lower, []byte("</html>")):
		return ErrTruncated
	case (parseErr != nil || p.Empty()) && notFoundRE.Match(body):
		return ErrSoft404
	case parseErr != nil:
		return parseErr
	case p.Empty() && len(p.Follow) == 0:
		return errors.New("capture yields no records and no links")
	}
	return nil
}
