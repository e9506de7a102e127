package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/patchwatch/patchwatch/normalize"
	"github.com/patchwatch/patchwatch/scrapers"
	"github.com/patchwatch/patchwatch/store"
)

func runHarvest(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "harvest", "[flags]",
		`Fetch every source's index pages and the detail pages they list, parse them and
store the records and the raw pages. A page that fails is recorded in the run
ledger and skipped; the other pages and sources go on. Only one harvest may
write to a database at a time.

Index pages are always fetched. A detail page fetched within --revisit is not
asked for again; an older one is asked for conditionally (ETag /
Last-Modified), and a 304 or an identical body writes nothing.

With --history the run reads the sources' historical pages (listed by
'patchwatch sources') from the Internet Archive instead: every capture the
CDX API lists between --from and --to, one per distinct body, parsed as its
original URL and stored under it with the capture time and archive address.
Captures already held cost no request; an interrupted run continues its
listings where it stopped; web.archive.org gets one request per
--archive-delay. A later live page wins over a capture; an older capture
never overwrites newer records.

Examples:
  patchwatch harvest --replay fixtures          # from the recorded pages, no network
  patchwatch harvest --history --source vmware --from 2007-01-01 --to 2008-01-31
  patchwatch harvest --source xen               # live, politely
  patchwatch harvest --record /tmp/pages        # live, and save every page fetched
  patchwatch harvest --mirror xenbits.xen.org=http://127.0.0.1:8080`)
	db := dbFlag(e, fs)
	var sourceNames, mirrors listFlag
	fs.Var(&sourceNames, "source", "harvest only this source `name` (repeatable; default all; see 'patchwatch sources')")
	fs.Var(&mirrors, "mirror", "send requests for HOST to BASEURL, storing canonical URLs (`HOST=BASEURL`, repeatable)")
	replay := fs.String("replay", "", "serve every request from recorded pages in `dir` (laid out like wget -x); never touches the network")
	record := fs.String("record", "", "fetch live and write every page to `dir` in the replay layout")
	revisit := fs.Duration("revisit", 7*24*time.Hour, "trust a detail page fetched within this long without asking again (0: always ask)")
	wait := fs.Duration("wait", 0, "if another harvest holds the database, wait this long for it instead of exiting 2")
	delay := fs.Duration("delay", time.Second, "pause after each request to one host (live only)")
	parallel := fs.Int("parallel", 2, "requests in flight at once across hosts")
	timeout := fs.Duration("timeout", 2*time.Minute, "limit for fetching one page, retries included")
	parseTimeout := fs.Duration("parse-timeout", scrapers.DefaultParseTimeout, "limit for parsing one page; a slower page fails as too slow")
	maxBody := fs.Int64("max-body", 32<<20, "fail a page larger than this many `bytes`")
	retries := fs.Int("retries", 3, "retry a 429, a 5xx or a network error this many times")
	retryWait := fs.Duration("retry-wait", 30*time.Second, "longest wait before a retry, Retry-After included")
	commitEvery := fs.Int("commit-every", 1000, "commit this many pages per transaction (a kill loses the pages of the open batch, fetched again next run)")
	logFormat := fs.String("log-format", "text", "log format on stderr: text or json")
	quiet := fs.Bool("quiet", false, "log only warnings and errors, and show no progress")
	verbose := fs.Bool("v", false, "log every page")
	history := fs.Bool("history", false, "read the sources' historical pages from the Internet Archive instead of the live sites")
	from := fs.String("from", "", "with --history: only captures taken on or after this `day` (YYYY-MM-DD)")
	to := fs.String("to", "", "with --history: only captures taken on or before this `day` (YYYY-MM-DD)")
	archiveDelay := fs.Duration("archive-delay", scrapers.DefaultArchiveDelay, "with --history: pause between requests to web.archive.org (live only)")
	if code, stop := parseFlags(fs, args); stop {
		return code
	}
	fail := func(err error) int {
		fmt.Fprintln(e.stderr, "patchwatch harvest:", err)
		return exitFatal
	}
	if fs.NArg() > 0 {
		return fail(fmt.Errorf("unexpected arguments %q", fs.Args()))
	}
	if err := errors.Join(
		inRange("parallel", *parallel, 1, maxParallel),
		inRange("commit-every", *commitEvery, 1, maxCommitEvery),
		inRange("retries", *retries, 0, maxRetries),
		inRange("max-body", *maxBody, 1, maxBodyLimit),
		positive("timeout", *timeout),
		positive("parse-timeout", *parseTimeout),
		notNegative("delay", *delay),
		notNegative("retry-wait", *retryWait),
		notNegative("revisit", *revisit),
		notNegative("wait", *wait),
		notNegative("archive-delay", *archiveDelay),
		historyOnly(fs, *history, "from", "to", "archive-delay"),
	); err != nil {
		return fail(err)
	}
	log, err := newLogger(e.stderr, *logFormat, *quiet, *verbose)
	if err != nil {
		return fail(err)
	}
	boundMemory(e)
	sources, err := pickSources(sourceNames)
	if err != nil {
		return fail(err)
	}
	cfg := scrapers.Config{
		ReplayDir: *replay, RecordDir: *record,
		Parallel: *parallel, Timeout: *timeout, ParseTimeout: *parseTimeout, MaxBodyBytes: *maxBody,
		Logger: log,
	}
	cfg.Delay, cfg.Retries, cfg.RetryWaitMax = *delay, *retries, *retryWait
	if *delay == 0 {
		cfg.Delay = -1 // Config's zero means the default; the flag's 0 means none
	}
	if *retries == 0 {
		cfg.Retries = -1
	}
	for _, m := range mirrors {
		host, base, err := scrapers.ParseMirror(m)
		if err != nil {
			return fail(err)
		}
		if cfg.Mirrors == nil {
			cfg.Mirrors = map[string]*url.URL{}
		}
		cfg.Mirrors[host] = base
	}
	if *history {
		ad := *archiveDelay
		if ad == 0 {
			ad = -1 // the flag's 0 means no pause
		}
		return runHistory(ctx, e, historyOptions{cfg: cfg, sources: sources, db: *db, wait: *wait, commitEvery: *commitEvery,
			from: *from, to: *to, archiveDelay: ad, log: log})
	}
	fetcher, err := scrapers.NewFetcher(cfg)
	if err != nil {
		return fail(err)
	}
	st, closeStore, err := openWriter(ctx, e, *db, *wait, *commitEvery)
	if err != nil {
		return fail(err)
	}
	defer closeStore()
	if n, err := st.AbortStaleRuns(ctx); err != nil {
		return fail(err)
	} else if n > 0 {
		log.Warn("closed runs left open by an interrupted harvest", "runs", n)
	}

	names := make([]string, len(sources))
	for i, s := range sources {
		names[i] = s.Name()
	}
	runID, err := st.StartRun(ctx, names)
	if err != nil {
		return fail(err)
	}
	// A broken database (corrupted pages) fails every page the same way:
	// the first such error stops the run, and the harvest exits 2.
	runCtx, stopRun := context.WithCancelCause(ctx)
	defer stopRun(nil)
	h := &scrapers.Harvester{Fetcher: fetcher, Sink: sink{st, stopRun}, Logger: log, Revisit: *revisit}
	if !*quiet {
		h.Progress = newProgress(e.stderr).update
	}
	reports := h.Run(runCtx, sources)
	if h.Progress != nil {
		fmt.Fprint(e.stderr, clearLine(e.stderr))
	}
	if cause := context.Cause(runCtx); store.Unusable(cause) {
		return fail(fmt.Errorf("stopped: database %s is unusable: %w", *db, cause))
	}

	if err := st.Flush(); err != nil {
		return fail(err)
	}
	// The ledger is written even when the run was interrupted by a signal.
	ledger := context.WithoutCancel(ctx)
	var stats store.RunStats
	for _, r := range reports {
		stats.Pages += r.Pages + r.Unchanged
		stats.Failed += r.Failed
		for _, pe := range r.Errors {
			msg := pe.Err.Error()
			if pe.Status != 0 {
				msg = fmt.Sprintf("HTTP %d: %s", pe.Status, msg)
			}
			if err := st.RecordError(ledger, runID, pe.Source, pe.URL, msg); err != nil {
				log.Error("cannot record page error", "url", pe.URL, "err", err)
			}
		}
		if err := st.FinishSource(ledger, runID, sourceRun(r)); err != nil {
			log.Error("cannot record source result", "source", r.Source, "err", err)
		}
	}
	status := runStatus(stats.Pages, stats.Failed)
	if ctx.Err() != nil {
		status = "failed"
	}
	if err := st.FinishRun(ledger, runID, status, stats); err != nil {
		return fail(err)
	}
	printSummary(ledger, e, st, *db, reports)
	if status != "ok" {
		return exitPartial
	}
	return exitOK
}

// Upper bounds of harvest's numeric flags: beyond them a value is a typo
// (--parallel 1000000 would open a connection per goroutine) rather than a
// setting.
const (
	maxParallel    = 64
	maxCommitEvery = 1_000_000
	maxRetries     = 100
	maxBodyLimit   = 1 << 30
)

// inRange says, as a usage error, why a numeric flag's value is out of
// [lo, hi].
func inRange[T int | int64](flag string, v, lo, hi T) error {
	if v < lo || v > hi {
		return fmt.Errorf("--%s %d is out of range: want %d to %d", flag, v, lo, hi)
	}
	return nil
}

// historyOnly rejects flags that mean something only with --history.
func historyOnly(fs *flag.FlagSet, history bool, names ...string) error {
	var errs []error
	fs.Visit(func(f *flag.Flag) {
		if !history && slices.Contains(names, f.Name) {
			errs = append(errs, fmt.Errorf("--%s needs --history", f.Name))
		}
	})
	return errors.Join(errs...)
}

// positive rejects a duration flag that is zero or negative.
func positive(flag string, d time.Duration) error {
	if d <= 0 {
		return fmt.Errorf("--%s %s is out of range: want a duration above 0", flag, d)
	}
	return nil
}

// notNegative rejects a negative duration flag (0 has a meaning: none).
func notNegative(flag string, d time.Duration) error {
	if d < 0 {
		return fmt.Errorf("--%s %s is out of range: want 0 or more", flag, d)
	}
	return nil
}

// runStatus is ok when nothing failed, failed when nothing succeeded, and
// partial in between.
func runStatus(done, failed int) string {
	switch {
	case failed == 0:
		return "ok"
	case done == 0:
		return "failed"
	}
	return "partial"
}

func sourceRun(r scrapers.Report) store.SourceRun {
	return store.SourceRun{
		Source: r.Source, StartedAt: r.StartedAt, FinishedAt: r.FinishedAt,
		Status:   runStatus(r.Pages+r.Unchanged, r.Failed),
		Requests: r.Requests(), HTTP2xx: r.HTTP2xx, HTTP304: r.HTTP304, HTTP4xx: r.HTTP4xx, HTTP5xx: r.HTTP5xx,
		NetErrors: r.NetErrors, New: r.New, Changed: r.Changed, Unchanged: r.Unchanged, Failed: r.Failed,
	}
}

// openWriter takes the database's writer lock (waiting up to wait, and
// saying so on stderr) and opens the store with pages committed
// commitEvery at a time; closing it commits what is pending and gives the
// lock back.
func openWriter(ctx context.Context, e *env, db string, wait time.Duration, commitEvery int) (*store.Store, func(), error) {
	lock, err := store.AcquireLock(ctx, db, 0)
	if errors.Is(err, store.ErrLocked) && wait > 0 {
		fmt.Fprintf(e.stderr, "patchwatch: %v; waiting up to %s\n", err, wait)
		lock, err = store.AcquireLock(ctx, db, wait)
	}
	if err != nil {
		return nil, nil, err
	}
	st, err := store.Open(db)
	if err != nil {
		lock.Release()
		return nil, nil, err
	}
	st.CommitEvery = commitEvery
	return st, func() {
		st.Close()
		lock.Release()
	}, nil
}

// harvestMemoryLimit is the Go heap's soft limit for harvest and reparse,
// unless GOMEMLIMIT says otherwise: a long harvest's live heap is small
// (one page at a time, one batch of records), and without a limit the
// collector let it grow to twice its peak, which on 100,000 pages put the
// process past 300 MB.
const harvestMemoryLimit = 96 << 20

func boundMemory(e *env) {
	if e.getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(harvestMemoryLimit)
	}
}

// pickSources resolves --source names; none means every source.
func pickSources(names []string) ([]scrapers.Source, error) {
	if len(names) == 0 {
		return scrapers.All(), nil
	}
	var out []scrapers.Source
	for _, n := range names {
		s, err := scrapers.Lookup(n)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// printSummary tells the operator, on stderr, what the run did per source
// and what the database now holds.
func printSummary(ctx context.Context, e *env, st *store.Store, db string, reports []scrapers.Report) {
	for _, r := range reports {
		fmt.Fprintf(e.stderr, "harvest %s: %d new, %d changed, %d unchanged, %d failed; %d requests (%d 304); %d advisories, %d patches, %d fixes parsed\n",
			r.Source, r.New, r.Changed, r.Unchanged, r.Failed, r.Requests(), r.HTTP304, r.Advisories, r.Patches, r.Fixes)
		for _, pe := range r.Errors {
			fmt.Fprintf(e.stderr, "  error: %v\n", pe)
		}
	}
	counts, err := st.Counts(ctx)
	if err != nil {
		fmt.Fprintln(e.stderr, "patchwatch harvest: cannot count rows:", err)
		return
	}
	tables := make([]string, 0, len(counts))
	for t := range counts {
		tables = append(tables, t)
	}
	sort.Strings(tables)
	parts := make([]string, len(tables))
	for i, t := range tables {
		parts[i] = fmt.Sprintf("%s=%d", t, counts[t])
	}
	fmt.Fprintf(e.stderr, "database %s: %s\n", db, strings.Join(parts, " "))
}

// sink adapts the store to the harvester. An error saying the database
// itself is broken stops the run through stop.
type sink struct {
	st   *store.Store
	stop context.CancelCauseFunc
}

func (s sink) check(err error) error {
	if store.Unusable(err) {
		s.stop(err)
	}
	return err
}

func (s sink) State(ctx context.Context, u string) (scrapers.PageState, error) {
	st, err := s.st.PageState(ctx, u)
	return scrapers.PageState(st), s.check(err)
}

func (s sink) Records(ctx context.Context, u string) (int, error) {
	n, err := s.st.RecordsFrom(ctx, u)
	return n, s.check(err)
}

func (s sink) SavePage(ctx context.Context, f scrapers.Fetched, res normalize.Result) error {
	return s.check(s.st.SavePage(ctx, document(f), res))
}

func (s sink) SaveUnparsed(ctx context.Context, f scrapers.Fetched) error {
	return s.check(s.st.SaveDocument(ctx, document(f)))
}

func (s sink) Withdraw(ctx context.Context, urls []string) (int, error) {
	return s.st.WithdrawDocuments(ctx, urls)
}

func document(f scrapers.Fetched) store.Document {
	return store.Document{
		URL: f.URL, Source: f.Source, FetchedAt: f.FetchedAt, Status: f.Status,
		ContentType: f.ContentType, Body: f.Body, ETag: f.ETag, LastModified: f.LastModified,
		Links: f.Links, ParseError: f.ParseError,
	}
}
