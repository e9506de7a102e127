package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/patchwatch/patchwatch/normalize"
	"github.com/patchwatch/patchwatch/scrapers"
	"github.com/patchwatch/patchwatch/store"
)

// historyOptions are harvest's flags as a history run uses them.
type historyOptions struct {
	cfg          scrapers.Config
	sources      []scrapers.Source
	db           string
	wait         time.Duration
	commitEvery  int
	from, to     string
	archiveDelay time.Duration
	log          *slog.Logger
}

// captureWindow reads --from and --to: days, from not after to, neither
// before the archive began nor after today.
func captureWindow(from, to string, now time.Time) (time.Time, time.Time, error) {
	var start, end time.Time
	var err error
	if from != "" {
		if start, err = parseDay("from", from); err != nil {
			return start, end, err
		}
	}
	if to != "" {
		if end, err = parseDay("to", to); err != nil {
			return start, end, err
		}
	}
	for _, d := range []struct {
		flag string
		t    time.Time
	}{{"from", start}, {"to", end}} {
		if !d.t.IsZero() && (d.t.Before(scrapers.FirstCapture) || d.t.After(now)) {
			return start, end, fmt.Errorf("--%s %s is out of range: want a day from %s to today", d.flag, d.t.Format(normalize.DateLayout), scrapers.FirstCapture.Format(normalize.DateLayout))
		}
	}
	if !start.IsZero() && !end.IsZero() && end.Before(start) {
		return start, end, fmt.Errorf("--to %s is before --from %s", to, from)
	}
	return start, end, nil
}

// runHistory is `harvest --history`: every chosen source's historical
// seeds, read from the Internet Archive into the database, with the run in
// the ledger like a live harvest.
func runHistory(ctx context.Context, e *env, o historyOptions) int {
	fail := func(err error) int {
		fmt.Fprintln(e.stderr, "patchwatch harvest --history:", err)
		return exitFatal
	}
	from, to, err := captureWindow(o.from, o.to, time.Now().UTC())
	if err != nil {
		return fail(err)
	}
	archive, err := scrapers.NewArchive(o.cfg, o.archiveDelay)
	if err != nil {
		return fail(err)
	}
	st, closeStore, err := openWriter(ctx, e, o.db, o.wait, o.commitEvery)
	if err != nil {
		return fail(err)
	}
	defer closeStore()
	var names []string
	for _, s := range o.sources {
		if len(scrapers.HistorySeedsOf(s)) > 0 {
			names = append(names, historyLedgerName(s.Name()))
		}
	}
	runID, err := st.StartRun(ctx, names)
	if err != nil {
		return fail(err)
	}
	h := &scrapers.HistoryHarvester{Archive: archive, Sink: historySink{st}, From: from, To: to, ParseTimeout: o.cfg.ParseTimeout, Logger: o.log}
	started := time.Now().UTC()
	reports := h.Run(ctx, o.sources)
	if err := st.Flush(); err != nil {
		return fail(err)
	}
	ledger := context.WithoutCancel(ctx)
	var stats store.RunStats
	for _, r := range reports {
		if len(scrapers.HistorySeedsOf(sourceNamed(o.sources, r.Source))) == 0 {
			continue
		}
		done := r.Stored + r.Unparsed + r.Held
		stats.Pages += done
		stats.Failed += r.Failed
		for _, pe := range r.Errors {
			if err := st.RecordError(ledger, runID, historyLedgerName(pe.Source), pe.URL, pe.Err.Error()); err != nil {
				o.log.Error("cannot record page error", "url", pe.URL, "err", err)
			}
		}
		line := store.SourceRun{Source: historyLedgerName(r.Source), StartedAt: started, FinishedAt: time.Now().UTC(),
			Status: runStatus(done, r.Failed), Requests: r.Requests, HTTP2xx: r.ListingPages + r.Stored + r.Unparsed,
			New: r.Stored + r.Unparsed, Unchanged: r.Held, Failed: r.Failed}
		if err := st.FinishSource(ledger, runID, line); err != nil {
			o.log.Error("cannot record source result", "source", r.Source, "err", err)
		}
		fmt.Fprintf(e.stderr, "history %s: %d listings (%d pages, %d captures); %d stored, %d kept unparsed, %d already held, %d failed; %d archive requests; %d advisories, %d patches, %d fixes parsed\n",
			r.Source, r.Listings, r.ListingPages, r.Captures, r.Stored, r.Unparsed, r.Held, r.Failed, r.Requests, r.Advisories, r.Patches, r.Fixes)
		for _, pe := range r.Errors {
			fmt.Fprintf(e.stderr, "  error: %v\n", pe)
		}
	}
	status := runStatus(stats.Pages, stats.Failed)
	if ctx.Err() != nil {
		status = "failed"
	}
	if err := st.FinishRun(ledger, runID, status, stats); err != nil {
		return fail(err)
	}
	if status != "ok" {
		return exitPartial
	}
	return exitOK
}

// historyLedgerName is the name a history run gives a source in the run
// ledger: not the source's own, so that `status`, which watches the live
// harvests, never takes a history run for the source's last success.
func historyLedgerName(source string) string { return source + "/history" }

func sourceNamed(sources []scrapers.Source, name string) scrapers.Source {
	for _, s := range sources {
		if s.Name() == name {
			return s
		}
	}
	return nil
}

// historySink adapts the store to the history harvester.
type historySink struct{ st *store.Store }

func (s historySink) HaveCapture(ctx context.Context, url, digest string) (bool, []string, error) {
	return s.st.HaveCapture(ctx, url, digest)
}

func (s historySink) SaveCapture(ctx context.Context, a scrapers.Archived, res normalize.Result) error {
	return s.st.SavePage(ctx, captureDocument(a), res)
}

func (s historySink) SaveUnparsedCapture(ctx context.Context, a scrapers.Archived) error {
	return s.st.SaveDocument(ctx, captureDocument(a))
}

func (s historySink) ListingProgress(ctx context.Context, query string) (string, int, bool, error) {
	l, err := s.st.ListingProgress(ctx, query)
	return l.ResumeKey, l.Captures, l.Complete, err
}

func (s historySink) SaveListingProgress(ctx context.Context, query, resumeKey string, captures int, complete bool) error {
	if query == "" {
		return errors.New("save listing progress: empty query")
	}
	return s.st.SaveListingProgress(ctx, query, store.Listing{ResumeKey: resumeKey, Captures: captures, Complete: complete})
}

func captureDocument(a scrapers.Archived) store.Document {
	d := document(a.Fetched)
	d.CapturedAt, d.ArchiveURL, d.ArchiveDigest = a.CapturedAt, a.ArchiveURL, a.Digest
	return d
}
