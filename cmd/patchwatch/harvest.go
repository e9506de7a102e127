package main

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/patchwatch/patchwatch/normalize"
	"github.com/patchwatch/patchwatch/scrapers"
	"github.com/patchwatch/patchwatch/store"
)

func runHarvest(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "harvest", "[flags]",
		`Fetch every source's index and detail pages, parse them and store the records
and the raw pages. A page that fails is recorded and skipped; the others go on.

Examples:
  patchwatch harvest --replay fixtures          # from the recorded pages, no network
  patchwatch harvest --source xen               # live, politely
  patchwatch harvest --record /tmp/pages        # live, and save every page fetched`)
	db := dbFlag(e, fs)
	var sourceNames listFlag
	fs.Var(&sourceNames, "source", "harvest only this source `name` (repeatable; default all; see 'patchwatch sources')")
	replay := fs.String("replay", "", "serve every request from recorded pages in `dir` (laid out like wget -x); never touches the network")
	record := fs.String("record", "", "fetch live and write every page to `dir` in the replay layout")
	delay := fs.Duration("delay", time.Second, "pause after each request to one host (live only)")
	parallel := fs.Int("parallel", 2, "requests in flight at once across hosts")
	timeout := fs.Duration("timeout", 2*time.Minute, "limit for one page, retries included")
	maxBody := fs.Int64("max-body", 32<<20, "fail a page larger than this many `bytes`")
	logFormat := fs.String("log-format", "text", "log format on stderr: text or json")
	quiet := fs.Bool("quiet", false, "log only warnings and errors")
	verbose := fs.Bool("v", false, "log every page")
	if code, stop := parseFlags(fs, args); stop {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(e.stderr, "patchwatch harvest: unexpected arguments %q\n", fs.Args())
		return exitFatal
	}
	log, err := newLogger(e.stderr, *logFormat, *quiet, *verbose)
	if err != nil {
		fmt.Fprintln(e.stderr, "patchwatch harvest:", err)
		return exitFatal
	}
	sources, err := pickSources(sourceNames)
	if err != nil {
		fmt.Fprintln(e.stderr, "patchwatch harvest:", err)
		return exitFatal
	}
	cfg := scrapers.Config{
		ReplayDir: *replay, RecordDir: *record,
		Parallel: *parallel, Timeout: *timeout, MaxBodyBytes: *maxBody,
		Logger: log,
	}
	if *replay == "" {
		cfg.Delay = *delay
	}
	fetcher, err := scrapers.NewFetcher(cfg)
	if err != nil {
		fmt.Fprintln(e.stderr, "patchwatch harvest:", err)
		return exitFatal
	}
	st, err := store.Open(*db)
	if err != nil {
		fmt.Fprintln(e.stderr, "patchwatch harvest:", err)
		return exitFatal
	}
	defer st.Close()

	names := make([]string, len(sources))
	for i, s := range sources {
		names[i] = s.Name()
	}
	runID, err := st.StartRun(ctx, names)
	if err != nil {
		fmt.Fprintln(e.stderr, "patchwatch harvest:", err)
		return exitFatal
	}
	h := &scrapers.Harvester{Fetcher: fetcher, Sink: sink{st}, Logger: log}
	reports := h.Run(ctx, sources)

	var stats store.RunStats
	for _, r := range reports {
		stats.Pages += r.Pages
		stats.Failed += r.Failed
		for _, pe := range r.Errors {
			msg := pe.Err.Error()
			if pe.Status != 0 {
				msg = fmt.Sprintf("HTTP %d: %s", pe.Status, msg)
			}
			if err := st.RecordError(ctx, runID, pe.Source, pe.URL, msg); err != nil {
				log.Error("cannot record page error", "url", pe.URL, "err", err)
			}
		}
	}
	status := "ok"
	switch {
	case stats.Pages == 0 && stats.Failed > 0:
		status = "failed"
	case stats.Failed > 0:
		status = "partial"
	}
	if ctx.Err() != nil {
		status = "failed"
	}
	if err := st.FinishRun(context.WithoutCancel(ctx), runID, status, stats); err != nil {
		fmt.Fprintln(e.stderr, "patchwatch harvest:", err)
		return exitFatal
	}
	printSummary(ctx, e, st, *db, reports)
	if status != "ok" {
		return exitPartial
	}
	return exitOK
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
		fmt.Fprintf(e.stderr, "harvest %s: %d pages stored, %d failed (%d advisories, %d patches, %d fixes parsed)\n",
			r.Source, r.Pages, r.Failed, r.Advisories, r.Patches, r.Fixes)
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

// sink adapts the store to the harvester.
type sink struct{ st *store.Store }

func (s sink) SavePage(ctx context.Context, f scrapers.Fetched, res normalize.Result) error {
	return s.st.SavePage(ctx, document(f), res)
}

func (s sink) SaveUnparsed(ctx context.Context, f scrapers.Fetched) error {
	return s.st.SaveDocument(ctx, document(f))
}

func document(f scrapers.Fetched) store.Document {
	return store.Document{
		URL: f.URL, Source: f.Source, FetchedAt: f.FetchedAt,
		Status: f.Status, ContentType: f.ContentType, Body: f.Body,
	}
}
