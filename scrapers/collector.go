package scrapers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/gocolly/colly/v2"
	"github.com/hashicorp/go-retryablehttp"
)

// Version is patchwatch's version, sent in the user agent so site owners
// can tell who is calling. The build may override it with -ldflags -X.
var Version = "0.1.0"

// UserAgent identifies patchwatch to the sites it reads.
func UserAgent() string {
	return "patchwatch/" + Version + " (+https://github.com/patchwatch/patchwatch)"
}

// Config holds the knobs of every fetch. The zero value is completed by
// Defaults: polite live fetching.
type Config struct {
	// ReplayDir serves every request from a recorded directory instead of
	// the network; RecordDir fetches live and writes what it gets there.
	ReplayDir string
	RecordDir string
	// Delay is the pause after each request to one host: 0 means the
	// default, 1s (at most one request a second per host); a negative
	// value means no pause. Replaying never pauses.
	Delay time.Duration
	// Parallel is how many requests may be in flight at once across all
	// hosts (default 2); one host never gets more than one at a time.
	Parallel int
	// Timeout bounds one page fetch, retries and backoff included.
	Timeout time.Duration
	// ParseTimeout bounds the parsing of one page (default
	// DefaultParseTimeout): a page that takes longer fails as too slow.
	ParseTimeout time.Duration
	// MaxBodyBytes fails a page larger than this instead of truncating it.
	// It also bounds each document inside an archive, after decompression.
	MaxBodyBytes int64
	// MaxArchiveBytes bounds a streamed archive as it comes off the wire
	// (default 4 GiB); the archive is never held whole.
	MaxArchiveBytes int64
	// Retries is how many times a 429, a 5xx or a network error is
	// retried: 0 means the default, 3; a negative value means never.
	Retries      int
	RetryWaitMin time.Duration
	RetryWaitMax time.Duration
	// Logger receives retry and error messages; nil discards them.
	Logger *slog.Logger
	// Mirrors sends requests for a host to another base URL while keeping
	// the canonical URL everywhere else (--mirror HOST=BASEURL).
	Mirrors map[string]*url.URL
	// Base is the transport under everything (tests use it to point at a
	// local server); nil means the standard one, which honours the proxy
	// environment variables.
	Base http.RoundTripper
}

// Defaults fills every unset field with its default.
func (c Config) Defaults() Config {
	switch {
	case c.ReplayDir != "" || c.Delay < 0:
		c.Delay = 0
	case c.Delay == 0:
		c.Delay = time.Second
	}
	if c.Parallel <= 0 {
		c.Parallel = 2
	}
	if c.Timeout <= 0 {
		c.Timeout = 2 * time.Minute
	}
	if c.ParseTimeout <= 0 {
		c.ParseTimeout = DefaultParseTimeout
	}
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = 32 << 20
	}
	if c.MaxArchiveBytes <= 0 {
		c.MaxArchiveBytes = 4 << 30
	}
	switch {
	case c.Retries < 0:
		c.Retries = 0
	case c.Retries == 0:
		c.Retries = 3
	}
	if c.RetryWaitMax <= 0 {
		c.RetryWaitMax = 30 * time.Second
	}
	if c.RetryWaitMin <= 0 {
		c.RetryWaitMin = min(time.Second, c.RetryWaitMax)
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return c
}

// Fetcher builds the collectors of one harvest. Its transport is shared, so
// the cap on requests in flight holds across sources.
type Fetcher struct {
	cfg       Config
	transport http.RoundTripper
	stream    http.RoundTripper // for archives: no charset pass, the archive limit
}

// NewFetcher checks the configuration and assembles the transport chain:
// in-flight cap → charset conversion → retries → (record) → size limit →
// gzip decoding → (mirror) → network, or the replay directory.
func NewFetcher(cfg Config) (*Fetcher, error) {
	cfg = cfg.Defaults()
	base, err := baseTransport(cfg)
	if err != nil {
		return nil, err
	}
	rt := recordedTransport(cfg, base)
	rt = &retryablehttp.RoundTripper{Client: retryClient(cfg, rt)}
	rt = charsetTransport{next: rt}
	slots := make(chan struct{}, cfg.Parallel)
	rt = slotTransport{slots: slots, next: rt}
	return &Fetcher{cfg: cfg, transport: rt, stream: streamTransport(cfg, base, slots)}, nil
}

// baseTransport checks that the replay, record and mirror settings go
// together and returns what every request ends in: the replay directory,
// or the network (cfg.Base, else the standard transport with the proxy
// environment), behind the mirrors if any. cfg has its defaults.
func baseTransport(cfg Config) (http.RoundTripper, error) {
	if cfg.ReplayDir != "" && cfg.RecordDir != "" {
		return nil, errors.New("--replay and --record cannot be used together")
	}
	base := cfg.Base
	switch {
	case cfg.ReplayDir != "":
		base = replayTransport{dir: cfg.ReplayDir}
	case base == nil:
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.Proxy = http.ProxyFromEnvironment
		base = t
	}
	if len(cfg.Mirrors) > 0 {
		if cfg.ReplayDir != "" {
			return nil, errors.New("--mirror and --replay cannot be used together")
		}
		base = mirrorTransport{mirrors: cfg.Mirrors, next: base}
	}
	return base, nil
}

// recordedTransport puts gzip decoding, the page size limit and, when
// recording, the recorder over base: (record) → size limit → gzip
// decoding → base.
func recordedTransport(cfg Config, base http.RoundTripper) http.RoundTripper {
	var rt http.RoundTripper = limitTransport{max: cfg.MaxBodyBytes, next: gunzipTransport{next: base}}
	if cfg.RecordDir != "" {
		rt = recordTransport{dir: cfg.RecordDir, next: rt}
	}
	return rt
}

// retryClient retries 429, 5xx and network errors with exponential backoff,
// honouring Retry-After up to RetryWaitMax, never retries other 4xx, and
// never follows redirects itself: colly must see them to apply its domain
// checks.
func retryClient(cfg Config, next http.RoundTripper) *retryablehttp.Client {
	rc := retryablehttp.NewClient()
	rc.HTTPClient = &http.Client{
		Transport:     next,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	rc.RetryMax = cfg.Retries
	rc.RetryWaitMin = cfg.RetryWaitMin
	rc.RetryWaitMax = cfg.RetryWaitMax
	rc.Logger = retryLogger{cfg.Logger}
	rc.CheckRetry = func(ctx context.Context, resp *http.Response, err error) (bool, error) {
		if err != nil && permanent(err) {
			return false, err
		}
		return retryablehttp.DefaultRetryPolicy(ctx, resp, err)
	}
	rc.Backoff = func(lo, hi time.Duration, attempt int, resp *http.Response) time.Duration {
		// DefaultBackoff returns Retry-After as given, however long.
		return min(retryablehttp.DefaultBackoff(lo, hi, attempt, resp), hi)
	}
	// Hand the last response (a 503, say) to colly rather than a generic
	// "giving up" error, so the page's error names the real status.
	rc.ErrorHandler = retryablehttp.PassthroughErrorHandler
	return rc
}

// retryLogger puts retryablehttp's chatter at debug level, except its
// retries, which an operator wants to see.
type retryLogger struct{ l *slog.Logger }

func (r retryLogger) Error(msg string, kv ...any) { r.l.Warn(msg, kv...) }
func (r retryLogger) Info(msg string, kv ...any)  { r.l.Debug(msg, kv...) }
func (r retryLogger) Debug(msg string, kv ...any) { r.l.Debug(msg, kv...) }
func (r retryLogger) Warn(msg string, kv ...any)  { r.l.Warn(msg, kv...) }

// Collector returns a colly collector for one source: patchwatch's user
// agent, only the source's domains, robots.txt obeyed, one request at a
// time per host with the configured delay, the request timeout, no silent
// truncation, and the shared transport. It is synchronous: the harvester's
// workers call Visit, so concurrency is bounded by their number.
func (f *Fetcher) Collector(ctx context.Context, domains []string) (*colly.Collector, error) {
	if len(domains) == 0 {
		return nil, errors.New("a source must name the domains it may visit")
	}
	c := colly.NewCollector(
		colly.UserAgent(UserAgent()),
		colly.AllowedDomains(domains...),
		colly.StdlibContext(ctx),
	)
	c.IgnoreRobotsTxt = false
	// The harvester queues each URL once per run itself; colly's own
	// visited set would only repeat that bookkeeping for every page.
	c.AllowURLRevisit = true
	// The size limit lives in the transport, where exceeding it is an
	// error; colly's own limit truncates silently.
	c.MaxBodySize = 0
	c.DetectCharset = false
	c.WithTransport(f.transport)
	c.SetRequestTimeout(f.cfg.Timeout)
	for _, d := range domains {
		if err := c.Limit(&colly.LimitRule{DomainGlob: d, Parallelism: 1, Delay: f.cfg.Delay}); err != nil {
			return nil, fmt.Errorf("rate limit for %s: %w", d, err)
		}
	}
	return c, nil
}
