package scrapers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"sync"
	"time"

	"github.com/gocolly/colly/v2"

	"github.com/patchwatch/patchwatch/normalize"
)

// Fetched is one page as it came off the wire, for the store's raw archive.
type Fetched struct {
	Source      string
	URL         string
	Status      int
	ContentType string
	Body        []byte
	FetchedAt   time.Time
}

// Sink receives the harvest's pages. SavePage must write a page and its
// records atomically; SaveUnparsed keeps a page whose parse failed, so it
// can be re-parsed after a fix without fetching it again.
type Sink interface {
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

// Report says what one source's harvest did.
type Report struct {
	Source     string
	Pages      int // pages fetched, parsed and stored
	Failed     int // pages that failed at any step
	Advisories int
	Patches    int
	Fixes      int
	Errors     []PageError
}

// Harvester runs sources through a Fetcher into a Sink.
type Harvester struct {
	Fetcher *Fetcher
	Sink    Sink
	// Now stamps fetched pages; tests fix it.
	Now    func() time.Time
	Logger *slog.Logger
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

func (h *Harvester) runSource(ctx context.Context, src Source) Report {
	log := h.logger().With("source", src.Name())
	rep := &Report{Source: src.Name()}
	var mu sync.Mutex
	fail := func(u string, status int, err error) {
		mu.Lock()
		defer mu.Unlock()
		rep.Failed++
		rep.Errors = append(rep.Errors, PageError{Source: src.Name(), URL: u, Status: status, Err: err})
		log.Warn("page failed", "url", u, "status", status, "err", err)
	}

	c, err := h.Fetcher.Collector(ctx, src.Domains())
	if err != nil {
		fail("", 0, err)
		return *rep
	}
	visit := func(from *colly.Request, u string) {
		var err error
		if from != nil {
			err = from.Visit(u)
		} else {
			err = c.Visit(u)
		}
		var already *colly.AlreadyVisitedError
		switch {
		case err == nil, errors.As(err, &already):
		case errors.Is(err, colly.ErrRobotsTxtBlocked):
			fail(u, 0, fmt.Errorf("disallowed by robots.txt"))
		case errors.Is(err, colly.ErrForbiddenDomain):
			fail(u, 0, fmt.Errorf("host not among the source's domains %v", src.Domains()))
		default:
			fail(u, 0, err)
		}
	}

	c.OnError(func(r *colly.Response, err error) {
		fail(r.Request.URL.String(), r.StatusCode, err)
	})
	c.OnResponse(func(r *colly.Response) {
		f := Fetched{
			Source:      src.Name(),
			URL:         r.Request.URL.String(),
			Status:      r.StatusCode,
			ContentType: r.Headers.Get("Content-Type"),
			Body:        r.Body,
			FetchedAt:   h.now().UTC(),
		}
		parsed, err := src.Parse(Page{URL: r.Request.URL, ContentType: f.ContentType, Body: r.Body})
		if err == nil {
			err = parsed.Validate()
		}
		if err != nil {
			if serr := h.Sink.SaveUnparsed(ctx, f); serr != nil {
				err = errors.Join(err, serr)
			}
			fail(f.URL, f.Status, fmt.Errorf("parse: %w", err))
			return
		}
		if err := h.Sink.SavePage(ctx, f, parsed.Result); err != nil {
			fail(f.URL, f.Status, fmt.Errorf("store: %w", err))
			return
		}
		mu.Lock()
		rep.Pages++
		rep.Advisories += len(parsed.Advisories)
		rep.Patches += len(parsed.Patches)
		rep.Fixes += len(parsed.Fixes)
		mu.Unlock()
		log.Debug("page stored", "url", f.URL, "advisories", len(parsed.Advisories), "fixes", len(parsed.Fixes))
		for _, next := range parsed.Follow {
			visit(r.Request, next)
		}
	})

	for _, seed := range src.Seeds() {
		visit(nil, seed)
	}
	c.Wait()
	log.Info("source done", "pages", rep.Pages, "failed", rep.Failed)
	return *rep
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
	if err := p.Validate(); err != nil {
		return Parsed{}, fmt.Errorf("%s: %w", rawURL, err)
	}
	return p, nil
}
