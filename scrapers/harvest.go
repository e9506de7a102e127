package scrapers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gocolly/colly/v2"

	"github.com/patchwatch/patchwatch/normalize"
)

// Fetched is one page as it came off the wire, for the store's raw archive.
type Fetched struct {
	Source       string
	URL          string
	Status       int
	ContentType  string
	Body         []byte
	FetchedAt    time.Time
	ETag         string
	LastModified string
	// Links are the URLs the page led to; ParseError is why it did not
	// parse (empty when it did).
	Links      []string
	ParseError string
}

// PageState is what the sink remembers of a URL from its latest fetch.
type PageState struct {
	Known        bool
	SHA256       string
	ETag         string
	LastModified string
	LastFetched  time.Time
	Links        []string
	ParseError   string
	// Captured says LastFetched is when the Internet Archive captured the
	// stored body, not a fetch from the vendor.
	Captured bool
}

// Sink receives the harvest's pages. SavePage must write a page and its
// records atomically; SaveUnparsed keeps a page whose parse failed, so it
// can be re-parsed after a fix without fetching it again, and leaves the
// records stored earlier untouched. Records counts the records last stored
// from a URL: a page that had some and now yields none has changed layout.
type Sink interface {
	State(ctx context.Context, url string) (PageState, error)
	Records(ctx context.Context, url string) (int, error)
	SavePage(ctx context.Context, f Fetched, res normalize.Result) error
	SaveUnparsed(ctx context.Context, f Fetched) error
}

// PageError is one page that could not be fetched, parsed or stored.
type PageError struct {
	Source string
	URL    string
	Status int // HTTP status when there was a response, else 0
	Err    error
}

func (e PageError) Error() string {
	if e.Status != 0 {
		return fmt.Sprintf("%s: %s: HTTP %d: %v", e.Source, e.URL, e.Status, e.Err)
	}
	return fmt.Sprintf("%s: %s: %v", e.Source, e.URL, e.Err)
}

func (e PageError) Unwrap() error { return e.Err }

// ErrLayoutDrift marks a page that used to yield records and now fails to
// parse or yields nothing: its earlier records are kept and the run fails.
var ErrLayoutDrift = errors.New("layout drift")

// Report says what one source's harvest did.
type Report struct {
	Source     string
	StartedAt  time.Time
	FinishedAt time.Time
	// Pages were stored: New were never seen before, Changed differ from
	// the stored copy. Unchanged were not modified (304, same body, or
	// fetched within the revisit age) and nothing was written for them.
	Pages, New, Changed, Unchanged int
	// Failed pages could not be fetched, parsed or stored.
	Failed int
	// What went on the wire, by outcome.
	HTTP2xx, HTTP304, HTTP4xx, HTTP5xx, NetErrors int
	Advisories, Patches, Fixes                    int
	Errors                                        []PageError
}

// Requests is how many requests reached a server or failed on the way.
func (r Report) Requests() int {
	return r.HTTP2xx + r.HTTP304 + r.HTTP4xx + r.HTTP5xx + r.NetErrors
}

// stored counts one page written with its records: new, or a changed
// copy of a known page.
func (r *Report) stored(known bool, res normalize.Result) {
	r.Pages++
	if known {
		r.Changed++
	} else {
		r.New++
	}
	r.Advisories += len(res.Advisories)
	r.Patches += len(res.Patches)
	r.Fixes += len(res.Fixes)
}

// Harvester runs sources through a Fetcher into a Sink.
type Harvester struct {
	Fetcher *Fetcher
	Sink    Sink
	// Revisit is how long a detail page fetched earlier is trusted without
	// asking the server again, when its listing gives no change signal
	// (Parsed.Changed); 0 asks (conditionally) every time, signal or not.
	// Seeds, the index pages, are always fetched.
	Revisit time.Duration
	// Now stamps fetched pages; tests fix it.
	Now    func() time.Time
	Logger *slog.Logger
	// Progress, if set, is called after every page with the reports so
	// far, for a progress display.
	Progress func(Report)
}

// Run harvests every source, concurrently, and returns one report per
// source in the order given. A failing page never stops its source and a
// failing source never stops the others.
func (h *Harvester) Run(ctx context.Context, sources []Source) []Report {
	reports := make([]Report, len(sources))
	var wg sync.WaitGroup
	for i, src := range sources {
		wg.Add(1)
		go func() {
			defer wg.Done()
			reports[i] = h.runSource(ctx, src)
		}()
	}
	wg.Wait()
	return reports
}

// sourceRun is the state of one source's harvest, shared by colly's
// callbacks.
type sourceRun struct {
	h      *Harvester
	ctx    context.Context
	src    Source
	c      *colly.Collector
	log    *slog.Logger
	seeds  map[string]bool
	queued map[string]bool // every URL queued in this run, so each is visited once
	queue  *frontier
	// since is when the archive the source was filled from was built:
	// a document the change list dates earlier is in the store already or
	// was left out of it on purpose. Zero for sources without an archive.
	since time.Time

	mu  sync.Mutex
	rep Report
	// changed and requests are what the listings said of the URLs they
	// named: the change signal, and the request to make for a key that is
	// not a plain GET. Guarded by mu.
	changed  map[string]time.Time
	requests map[string]Request
}

func (h *Harvester) runSource(ctx context.Context, src Source) Report {
	r := &sourceRun{
		h: h, ctx: ctx, src: src,
		log:      h.logger().With("source", src.Name()),
		seeds:    map[string]bool{},
		queued:   map[string]bool{},
		queue:    newFrontier(),
		rep:      Report{Source: src.Name(), StartedAt: h.now().UTC()},
		changed:  map[string]time.Time{},
		requests: map[string]Request{},
	}
	c, err := h.Fetcher.Collector(ctx, src.Domains())
	if err != nil {
		r.fail("", 0, err)
		return r.finish()
	}
	r.c = c
	c.OnRequest(r.onRequest)
	c.OnResponse(r.onResponse)
	c.OnError(r.onError)
	if as, ok := src.(ArchiveSource); ok {
		since, perr := r.fillFromArchive(as)
		if perr != nil {
			// Without the archive the change list cannot tell a document
			// left out on purpose from one never seen: reading it would
			// ask for every document the vendor has.
			r.fail(perr.URL, perr.Status, perr.Err)
			return r.finish()
		}
		r.since = since
	}
	seeds := src.Seeds()
	if rs, ok := src.(RequestSeeder); ok {
		for _, q := range rs.SeedRequests() {
			r.requests[canonical(q.Key())] = q
			seeds = append(seeds, q.Key())
		}
	}
	frozen := map[string]bool{}
	if fs, ok := src.(FrozenSeeder); ok {
		for _, seed := range fs.FrozenSeeds() {
			frozen[canonical(seed)] = true
		}
	}
	for _, seed := range seeds {
		if !frozen[canonical(seed)] {
			r.seeds[canonical(seed)] = true
		}
	}
	r.follow(seeds)
	var workers sync.WaitGroup
	for range h.Fetcher.cfg.Parallel {
		workers.Add(1)
		go func() {
			defer workers.Done()
			for u, ok := r.queue.pop(); ok; u, ok = r.queue.pop() {
				if ctx.Err() == nil {
					r.visit(u)
				}
				r.queue.done()
			}
		}()
	}
	workers.Wait()
	return r.finish()
}

func (r *sourceRun) finish() Report {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rep.FinishedAt = r.h.now().UTC()
	r.log.Info("source done", "stored", r.rep.Pages, "new", r.rep.New, "changed", r.rep.Changed,
		"unchanged", r.rep.Unchanged, "failed", r.rep.Failed)
	return r.rep
}

// canonical is how colly spells a URL, so seeds can be recognised in
// callbacks.
func canonical(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return u
	}
	return p.String()
}

// Keys of what onRequest remembers in a request's colly context.
const (
	stateKey = "patchwatch.state"
	urlKey   = "patchwatch.url"
	keyKey   = "patchwatch.key" // a Request's key, for requests that are not plain GETs
)

// onRequest makes a detail page's request conditional on what is stored
// (visit put the page's state in the request's context) and notes that the
// request was made.
func (r *sourceRun) onRequest(req *colly.Request) {
	u := req.URL.String()
	st := stateOf(req.Ctx)
	req.Ctx.Put(urlKey, u)
	if k := req.Ctx.Get(keyKey); k != "" {
		u = k
	}
	if r.seeds[u] || !st.Known || st.ParseError != "" || r.changedSince(u, st) {
		return
	}
	if st.ETag != "" {
		req.Headers.Set("If-None-Match", st.ETag)
	}
	if st.LastModified != "" {
		req.Headers.Set("If-Modified-Since", st.LastModified)
	}
}

func stateOf(ctx *colly.Context) PageState {
	st, _ := ctx.GetAny(stateKey).(PageState)
	return st
}

// requestedURL is the URL the harvest asked for. After a redirect colly's
// request carries the final URL; the ledger and the store keep the one the
// source listed, so a page has one name from run to run.
func requestedURL(resp *colly.Response) string {
	if k := resp.Ctx.Get(keyKey); k != "" {
		return k
	}
	if u, ok := resp.Ctx.GetAny(urlKey).(string); ok {
		return u
	}
	return resp.Request.URL.String()
}

func (r *sourceRun) onError(resp *colly.Response, err error) {
	u := requestedURL(resp)
	switch {
	case resp.StatusCode == http.StatusNotModified:
		r.count(func(rep *Report) { rep.HTTP304++; rep.Unchanged++ })
		r.follow(stateOf(resp.Ctx).Links)
		return
	case resp.StatusCode >= 500:
		r.count(func(rep *Report) { rep.HTTP5xx++ })
	case resp.StatusCode >= 400:
		r.count(func(rep *Report) { rep.HTTP4xx++ })
	case resp.StatusCode >= 300:
		err = fmt.Errorf("gave up following redirects (last answer %d %s to %s)", resp.StatusCode, err, resp.Headers.Get("Location"))
	case resp.StatusCode == 0:
		r.count(func(rep *Report) { rep.NetErrors++ })
		var timeout interface{ Timeout() bool }
		if errors.Is(err, context.DeadlineExceeded) || errors.As(err, &timeout) && timeout.Timeout() {
			err = fmt.Errorf("timed out after %s: %w", r.h.Fetcher.cfg.Timeout, err)
		}
	}
	r.fail(u, resp.StatusCode, err)
}

func (r *sourceRun) onResponse(resp *colly.Response) {
	r.count(func(rep *Report) { rep.HTTP2xx++ })
	st := stateOf(resp.Ctx)
	sum := sha256.Sum256(resp.Body)
	f := Fetched{
		Source:       r.src.Name(),
		URL:          requestedURL(resp),
		Status:       resp.StatusCode,
		ContentType:  resp.Headers.Get("Content-Type"),
		Body:         resp.Body,
		FetchedAt:    r.h.now().UTC(),
		ETag:         resp.Headers.Get("ETag"),
		LastModified: resp.Headers.Get("Last-Modified"),
	}
	pageURL := resp.Request.URL
	if k := resp.Ctx.Get(keyKey); k != "" {
		if ku, err := url.Parse(k); err == nil {
			pageURL = ku
		}
	}
	same := st.Known && st.ParseError == "" && st.SHA256 == hex.EncodeToString(sum[:])
	// A body last seen in a capture is written again all the same: its
	// fetch time would otherwise stay the capture's, years old, and the
	// page be asked for again on every harvest.
	if same && !r.changedSince(f.URL, st) && !st.Captured {
		// Same body as stored: nothing to write.
		r.count(func(rep *Report) { rep.Unchanged++ })
		r.followUnchanged(f.URL, st, Page{URL: pageURL, ContentType: f.ContentType, Body: resp.Body})
		return
	}
	parsed, err := ParseWithin(r.ctx, r.src, Page{URL: pageURL, ContentType: f.ContentType, Body: resp.Body}, r.h.Fetcher.cfg.ParseTimeout)
	if err == nil {
		err = parsed.Validate()
	}
	records := 0
	// Only a page stored before can have records stored from it.
	if st.Known && (err != nil || parsed.Empty() && len(parsed.Follow) == 0) {
		if records, err = r.recordsBefore(f.URL, err); err == nil && records > 0 {
			err = fmt.Errorf("page yields no records, %d were stored from it before", records)
		}
	}
	if err != nil {
		if records > 0 {
			err = fmt.Errorf("%w: %w (earlier records kept)", ErrLayoutDrift, err)
		}
		f.ParseError = err.Error()
		if serr := r.h.Sink.SaveUnparsed(r.ctx, f); serr != nil {
			err = errors.Join(err, serr)
		}
		r.fail(f.URL, f.Status, fmt.Errorf("parse: %w", err))
		return
	}
	f.Links = parsed.Follow
	if err := r.h.Sink.SavePage(r.ctx, f, parsed.Result); err != nil {
		r.fail(f.URL, f.Status, fmt.Errorf("store: %w", err))
		return
	}
	r.count(func(rep *Report) {
		if same {
			// Written again only to move its fetch time past the listed
			// change or the capture; nothing in it changed.
			rep.Unchanged++
			return
		}
		rep.stored(st.Known, parsed.Result)
	})
	r.log.Debug("page stored", "url", f.URL, "advisories", len(parsed.Advisories), "fixes", len(parsed.Fixes))
	r.withdraw(f.URL, parsed.Withdrawn)
	r.followParsed(parsed)
}

// recordsBefore counts what u stored before, for telling layout drift from
// a page that never had records; parseErr passes through.
func (r *sourceRun) recordsBefore(u string, parseErr error) (int, error) {
	n, err := r.h.Sink.Records(r.ctx, u)
	if err != nil {
		return 0, errors.Join(parseErr, err)
	}
	return n, parseErr
}

// follow queues the links not yet queued in this run.
func (r *sourceRun) follow(links []string) {
	for _, next := range links {
		u := canonical(next)
		r.mu.Lock()
		dup := r.queued[u]
		r.queued[u] = true
		r.mu.Unlock()
		if !dup {
			r.queue.push(u)
		}
	}
}

// visit fetches u, unless it is a detail page fetched within the revisit
// age: that one is counted unchanged and its stored links followed without
// going near colly or the network. Each visit gets a fresh colly context (a
// child visit would share its parent's) carrying the page's stored state.
// Refusals that happen before any request (robots.txt, a foreign domain)
// are page failures too.
func (r *sourceRun) visit(u string) {
	if safe, err := followable(u); err != nil {
		r.fail(safe, 0, err)
		return
	}
	st, err := r.h.Sink.State(r.ctx, u)
	if err != nil {
		r.fail(u, 0, err)
		return
	}
	if !r.seeds[canonical(u)] && r.current(u, st) {
		r.count(func(rep *Report) { rep.Unchanged++ })
		r.follow(st.Links)
		return
	}
	ctx := colly.NewContext()
	ctx.Put(stateKey, st)
	r.mu.Lock()
	q, isRequest := r.requests[u]
	r.mu.Unlock()
	if isRequest {
		ctx.Put(keyKey, u)
		hdr := http.Header{}
		if q.ContentType != "" {
			hdr.Set("Content-Type", q.ContentType)
		}
		err = r.c.Request(q.Method, q.URL, strings.NewReader(q.Body), ctx, hdr)
	} else {
		err = r.c.Request(http.MethodGet, u, nil, ctx, nil)
	}
	switch {
	case err == nil:
	case ctx.Get(urlKey) != "":
		// The request was made: onError has already recorded the failure.
	case errors.Is(err, colly.ErrRobotsTxtBlocked):
		r.fail(u, 0, errors.New("disallowed by robots.txt"))
	case errors.Is(err, colly.ErrForbiddenDomain):
		r.fail(u, 0, fmt.Errorf("host not among the source's domains %v", r.src.Domains()))
	default:
		r.fail(u, 0, err)
	}
}

// followable refuses a link the harvest must not request: a scheme other
// than http and https (ftp:, file:, gopher: on a source's host would reach
// whatever --mirror points at), or a user name or password in the URL,
// which the HTTP client would send as credentials. It returns the URL as it
// may be logged, with any password masked.
func followable(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return raw, fmt.Errorf("bad link: %w", err)
	}
	safe := u.Redacted()
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return safe, fmt.Errorf("refusing to follow a %s: link: only http and https are fetched", u.Scheme)
	case u.User != nil:
		return safe, errors.New("refusing to follow a link carrying credentials (user:password@)")
	}
	return safe, nil
}

func (r *sourceRun) count(f func(*Report)) {
	r.mu.Lock()
	f(&r.rep)
	rep := r.rep
	r.mu.Unlock()
	if r.h.Progress != nil {
		r.h.Progress(rep)
	}
}

func (r *sourceRun) fail(u string, status int, err error) {
	r.count(func(rep *Report) {
		rep.Failed++
		rep.Errors = append(rep.Errors, PageError{Source: r.src.Name(), URL: u, Status: status, Err: err})
	})
	r.log.Warn("page failed", "url", u, "status", status, "err", err)
}

func (h *Harvester) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

func (h *Harvester) logger() *slog.Logger {
	if h.Logger != nil {
		return h.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// DefaultParseTimeout is how long parsing one page may take unless
// configured otherwise: real pages parse in milliseconds, and the parsers'
// cost per megabyte is flat (BenchmarkParseBySize), so this is reached
// only by a page built or broken to be slow.
const DefaultParseTimeout = 30 * time.Second

// ErrParseTooSlow marks a page whose parsing ran past its time limit.
var ErrParseTooSlow = errors.New("parse too slow")

// ParseWithin parses p with src, giving up after limit or when ctx ends.
// Parsers are pure functions that cannot be interrupted, so a parse that
// runs over is abandoned: it finishes in the background and its result is
// dropped, while the caller goes on with the next page.
func ParseWithin(ctx context.Context, src Source, p Page, limit time.Duration) (Parsed, error) {
	type result struct {
		parsed Parsed
		err    error
	}
	done := make(chan result, 1)
	go func() {
		parsed, err := src.Parse(p)
		scrubNUL(&parsed)
		done <- result{parsed, err}
	}()
	timer := time.NewTimer(limit)
	defer timer.Stop()
	select {
	case r := <-done:
		return r.parsed, r.err
	case <-timer.C:
		return Parsed{}, fmt.Errorf("%w: %s took longer than %s", ErrParseTooSlow, p.URL, limit)
	case <-ctx.Done():
		return Parsed{}, fmt.Errorf("parse %s: %w", p.URL, ctx.Err())
	}
}

// ParseFile parses one saved page with a source's parser, exactly as the
// harvest would have parsed it at rawURL: the body is converted to UTF-8
// the same way, and the result validated.
func ParseFile(src Source, rawURL string, body []byte) (Parsed, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return Parsed{}, fmt.Errorf("bad --url %q: want an absolute URL", rawURL)
	}
	ct := contentTypeFor(u.Path, body)
	if isText(ct) {
		if body, ct, err = ToUTF8(body, ct); err != nil {
			return Parsed{}, fmt.Errorf("decode %s: %w", rawURL, err)
		}
	}
	p, err := src.Parse(Page{URL: u, ContentType: ct, Body: body})
	if err != nil {
		return Parsed{}, err
	}
	scrubNUL(&p)
	if err := p.Validate(); err != nil {
		return Parsed{}, fmt.Errorf("%s: %w", rawURL, err)
	}
	return p, nil
}
