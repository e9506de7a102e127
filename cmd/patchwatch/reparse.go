package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"sync"

	"github.com/patchwatch/patchwatch/scrapers"
	"github.com/patchwatch/patchwatch/store"
)

func runReparse(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "reparse", "[--db PATH] [--source NAME ...] [--force]",
		`Rebuild the records from the raw pages already in the database, with no
network: after a parser fix, nothing needs downloading again. The latest
stored copy of each URL is parsed; only pages whose records changed are
written (--force writes every page, to repair records changed by hand). A
page that no longer parses keeps its earlier records and is reported. Exit
1 if any page failed.`)
	db := dbFlag(e, fs)
	var sourceNames listFlag
	fs.Var(&sourceNames, "source", "re-parse only this source's pages (repeatable; default all)")
	force := fs.Bool("force", false, "write every page's records, even those the parser left unchanged")
	wait := fs.Duration("wait", 0, "if a harvest holds the database, wait this long for it instead of exiting 2")
	if code, stop := parseFlags(fs, args); stop {
		return code
	}
	fail := func(err error) int {
		fmt.Fprintln(e.stderr, "patchwatch reparse:", err)
		return exitFatal
	}
	if fs.NArg() > 0 {
		return fail(fmt.Errorf("unexpected arguments %q", fs.Args()))
	}
	boundMemory(e)
	sources, err := pickSources(sourceNames)
	if err != nil {
		return fail(err)
	}
	st, closeStore, err := openWriter(ctx, e, *db, *wait, 1000)
	if err != nil {
		return fail(err)
	}
	defer closeStore()

	failed := 0
	for _, src := range sources {
		n, errs, err := reparseSource(ctx, st, src, *force)
		if err != nil {
			return fail(err)
		}
		for _, pe := range errs {
			fmt.Fprintf(e.stderr, "  error: %v\n", pe)
		}
		failed += len(errs)
		fmt.Fprintf(e.stderr, "reparse %s: %d pages re-parsed, %d written, %d unchanged, %d failed\n",
			src.Name(), n.parsed, n.written, n.parsed-n.written, len(errs))
	}
	if err := st.Flush(); err != nil {
		return fail(err)
	}
	if failed > 0 {
		return exitPartial
	}
	return exitOK
}

// reparsed counts a source's re-parsed pages and those written.
type reparsed struct{ parsed, written int }

// reparseJob is one stored page on its way through the re-parse pipeline.
type reparseJob struct {
	id     int64
	done   chan struct{} // closed when the fields below are set
	doc    store.Document
	parsed scrapers.Parsed
	digest string
	skip   bool  // not a 200 response, or a capture kept unparsed as cut off or a soft 404: nothing to re-parse
	err    error // the page failed to parse
	fatal  error // the store failed: stop
}

// reparseSource parses the latest stored copy of each of src's pages again
// and stores the records that changed. Loading and parsing run on one
// worker per CPU while this goroutine writes, in the order the pages were
// stored (so later pages' merges still win); a bounded window of pages is
// in flight, so memory stays flat. Only pages that were fetched
// successfully are considered; one page's failure never stops the others.
func reparseSource(ctx context.Context, st *store.Store, src scrapers.Source, force bool) (reparsed, []scrapers.PageError, error) {
	var n reparsed
	ids, err := st.LatestDocumentIDs(ctx, src.Name())
	if err != nil {
		return n, nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	var running sync.WaitGroup
	defer running.Wait() // after cancel (defers run last first): no worker outlives the call
	defer cancel()
	workers := runtime.GOMAXPROCS(0)
	jobs := make(chan *reparseJob)
	inOrder := make(chan *reparseJob, 8*workers)
	go func() {
		defer close(jobs)
		defer close(inOrder)
		for _, id := range ids {
			j := &reparseJob{id: id, done: make(chan struct{})}
			select {
			case inOrder <- j:
			case <-ctx.Done():
				return
			}
			select {
			case jobs <- j:
			case <-ctx.Done():
				return
			}
		}
	}()
	for range workers {
		running.Go(func() {
			for j := range jobs {
				reparseLoad(ctx, st, src, j)
				close(j.done)
			}
		})
	}
	var errs []scrapers.PageError
	// Withdrawals (deletions.csv) are applied after every page, since a
	// re-parsed advisory page writes its status as published.
	var withdrawn []string
	for j := range inOrder {
		select {
		case <-j.done:
		case <-ctx.Done():
			return n, errs, ctx.Err()
		}
		switch {
		case j.fatal != nil:
			return n, errs, j.fatal
		case j.skip:
			continue
		case j.err != nil:
			errs = append(errs, scrapers.PageError{Source: src.Name(), URL: j.doc.URL, Err: fmt.Errorf("parse (earlier records kept): %w", j.err)})
			continue
		}
		n.parsed++
		withdrawn = append(withdrawn, j.parsed.Withdrawn...)
		if !force && j.digest == j.doc.RecordsDigest && j.doc.ParseError == "" {
			continue
		}
		j.doc.Links = j.parsed.Follow
		if err := st.SaveReparsed(ctx, j.doc, j.parsed.Result); err != nil {
			errs = append(errs, scrapers.PageError{Source: src.Name(), URL: j.doc.URL, Err: err})
			continue
		}
		n.written++
	}
	if _, err := st.WithdrawDocuments(ctx, withdrawn); err != nil {
		errs = append(errs, scrapers.PageError{Source: src.Name(), Err: err})
	}
	return n, errs, ctx.Err()
}

// reparseLoad loads j's stored page, parses it and digests the records.
func reparseLoad(ctx context.Context, st *store.Store, src scrapers.Source, j *reparseJob) {
	if j.doc, j.fatal = st.Document(ctx, j.id); j.fatal != nil {
		return
	}
	if j.doc.Status != 200 {
		j.skip = true
		return
	}
	u, err := url.Parse(j.doc.URL)
	if err != nil {
		j.err = err
		return
	}
	j.parsed, j.err = scrapers.ParseWithin(ctx, src, scrapers.Page{URL: u, ContentType: j.doc.ContentType, Body: j.doc.Body}, scrapers.DefaultParseTimeout)
	if j.err == nil {
		j.err = j.parsed.Validate()
	}
	if !j.doc.CapturedAt.IsZero() && j.doc.ParseError != "" {
		// A capture the history harvest kept unparsed as cut off or a
		// soft 404 is not a copy of the page, however well it parses
		// today: written, its records would replace (and, as the latest
		// copy, drop) those of the whole captures. (The same bytes
		// parsed from a live fetch are stored parsed, and re-parsed.)
		if err := scrapers.CaptureProblem(j.doc.ContentType, j.doc.Body, j.parsed, j.err); errors.Is(err, scrapers.ErrTruncated) || errors.Is(err, scrapers.ErrSoft404) {
			j.skip = true
			return
		}
	}
	if j.err == nil && j.parsed.Empty() && len(j.parsed.Follow) == 0 {
		// Some pages yield nothing by design (a Red Hat advisory that does
		// not touch KVM); only one that used to yield records has drifted.
		n, err := st.RecordsFrom(ctx, j.doc.URL)
		switch {
		case err != nil:
			j.fatal = err
		case n > 0:
			j.err = fmt.Errorf("page yields no records, %d were stored from it before", n)
		}
	}
	if j.err == nil && j.fatal == nil {
		j.digest, j.fatal = store.RecordsDigest(j.parsed.Follow, j.parsed.Result)
	}
}
