package main

import (
	"context"
	"fmt"
	"net/url"

	"github.com/patchwatch/patchwatch/scrapers"
	"github.com/patchwatch/patchwatch/store"
)

func runReparse(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "reparse", "[--db PATH] [--source NAME ...]",
		`Rebuild the records from the raw pages already in the database, with no
network: after a parser fix, nothing needs downloading again. The latest
stored copy of each URL is parsed; a page that no longer parses keeps its
earlier records and is reported. Exit 1 if any page failed.`)
	db := dbFlag(e, fs)
	var sourceNames listFlag
	fs.Var(&sourceNames, "source", "re-parse only this source's pages (repeatable; default all)")
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
	st, closeStore, err := openWriter(ctx, *db, *wait, 500)
	if err != nil {
		return fail(err)
	}
	defer closeStore()

	failed := 0
	for _, src := range sources {
		ok, errs, err := reparseSource(ctx, st, src)
		if err != nil {
			return fail(err)
		}
		for _, pe := range errs {
			fmt.Fprintf(e.stderr, "  error: %v\n", pe)
		}
		failed += len(errs)
		fmt.Fprintf(e.stderr, "reparse %s: %d pages re-parsed, %d failed\n", src.Name(), ok, len(errs))
	}
	if err := st.Flush(); err != nil {
		return fail(err)
	}
	if failed > 0 {
		return exitPartial
	}
	return exitOK
}

// reparseSource parses the latest stored copy of each of src's pages again
// and stores the records. Only pages that were fetched successfully are
// considered; one page's failure never stops the others.
func reparseSource(ctx context.Context, st *store.Store, src scrapers.Source) (int, []scrapers.PageError, error) {
	ids, err := st.LatestDocumentIDs(ctx, src.Name())
	if err != nil {
		return 0, nil, err
	}
	ok := 0
	var errs []scrapers.PageError
	for _, id := range ids {
		if err := ctx.Err(); err != nil {
			return ok, errs, err
		}
		doc, err := st.Document(ctx, id)
		if err != nil {
			return ok, errs, err
		}
		if doc.Status != 200 {
			continue
		}
		if err := reparsePage(ctx, st, src, doc); err != nil {
			errs = append(errs, scrapers.PageError{Source: src.Name(), URL: doc.URL, Err: err})
			continue
		}
		ok++
	}
	return ok, errs, nil
}

func reparsePage(ctx context.Context, st *store.Store, src scrapers.Source, doc store.Document) error {
	u, err := url.Parse(doc.URL)
	if err != nil {
		return err
	}
	parsed, err := src.Parse(scrapers.Page{URL: u, ContentType: doc.ContentType, Body: doc.Body})
	if err == nil {
		err = parsed.Validate()
	}
	if err == nil && parsed.Empty() && len(parsed.Follow) == 0 {
		// Some pages yield nothing by design (a Red Hat advisory that does
		// not touch KVM); only one that used to yield records has drifted.
		n, rerr := st.RecordsFrom(ctx, doc.URL)
		switch {
		case rerr != nil:
			err = rerr
		case n > 0:
			err = fmt.Errorf("page yields no records, %d were stored from it before", n)
		}
	}
	if err != nil {
		return fmt.Errorf("parse (earlier records kept): %w", err)
	}
	doc.Links, doc.ParseError = parsed.Follow, ""
	return st.SavePage(ctx, doc, parsed.Result)
}
