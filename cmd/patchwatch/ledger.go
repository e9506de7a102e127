package main

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/patchwatch/patchwatch/store"
)

func runRuns(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "runs", "[--db PATH] [--limit N] [--run ID]",
		`List recent harvest runs, newest first; with --run, show one run's
per-source lines and every page error with its URL and reason.`)
	db := dbFlag(e, fs)
	limit := fs.Int("limit", 10, "how many runs to list")
	one := fs.Int64("run", 0, "show this run's sources and errors")
	if code, stop := parseFlags(fs, args); stop {
		return code
	}
	conn, err := store.OpenReadOnly(*db)
	if err != nil {
		fmt.Fprintln(e.stderr, "patchwatch runs:", err)
		return exitFatal
	}
	defer conn.Close()
	fail := func(err error) int {
		fmt.Fprintln(e.stderr, "patchwatch runs:", err)
		return exitFatal
	}
	if *one == 0 {
		runs, err := store.ListRuns(ctx, conn, *limit)
		if err != nil {
			return fail(err)
		}
		rows := make([][]any, len(runs))
		for i, r := range runs {
			rows[i] = []any{r.ID, r.StartedAt, r.FinishedAt, r.Status, r.Sources, r.Pages, r.Failed, r.Errors}
		}
		if err := writeTable(e.stdout, []string{"id", "started_at", "finished_at", "status", "sources", "pages", "failed", "errors"}, rows); err != nil {
			return fail(err)
		}
		return exitOK
	}
	lines, err := store.ReadRunSources(ctx, conn, *one)
	if err != nil {
		return fail(err)
	}
	rows := make([][]any, len(lines))
	for i, l := range lines {
		rows[i] = []any{l.Source, l.StartedAt, l.FinishedAt, l.Status, l.Requests, l.HTTP2xx, l.HTTP304, l.HTTP4xx, l.HTTP5xx,
			l.NetErrors, l.New, l.Changed, l.Unchanged, l.Failed}
	}
	if err := writeTable(e.stdout, []string{"source", "started_at", "finished_at", "status", "requests", "http_2xx", "http_304",
		"http_4xx", "http_5xx", "net_errors", "new", "changed", "unchanged", "failed"}, rows); err != nil {
		return fail(err)
	}
	errs, err := store.ReadRunErrors(ctx, conn, *one)
	if err != nil {
		return fail(err)
	}
	if len(errs) > 0 {
		rows := make([][]any, len(errs))
		for i, r := range errs {
			rows[i] = []any{r.Source, r.URL, r.Message}
		}
		fmt.Fprintln(e.stdout)
		if err := writeTable(e.stdout, []string{"source", "url", "message"}, rows); err != nil {
			return fail(err)
		}
	}
	return exitOK
}

func runStatusCmd(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "status", "[--db PATH] [--days N] [--source NAME ...]",
		`Show each source's last harvest and last full success, and flag sources whose
last success is older than --days (or that never succeeded). Exit 1 if any
source is flagged, so a monitoring job can alert on it.`)
	db := dbFlag(e, fs)
	days := fs.Int("days", 2, "flag a source whose last full success is older than this many days")
	var sourceNames listFlag
	fs.Var(&sourceNames, "source", "check only this source (repeatable; default all)")
	if code, stop := parseFlags(fs, args); stop {
		return code
	}
	sources, err := pickSources(sourceNames)
	if err != nil {
		fmt.Fprintln(e.stderr, "patchwatch status:", err)
		return exitFatal
	}
	conn, err := store.OpenReadOnly(*db)
	if err != nil {
		fmt.Fprintln(e.stderr, "patchwatch status:", err)
		return exitFatal
	}
	defer conn.Close()
	health, err := store.ReadSourceHealth(ctx, conn)
	if err != nil {
		fmt.Fprintln(e.stderr, "patchwatch status:", err)
		return exitFatal
	}
	byName := map[string]store.SourceHealth{}
	for _, h := range health {
		byName[h.Source] = h
	}
	now := time.Now().UTC()
	limit := time.Duration(*days) * 24 * time.Hour
	stale := 0
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "source\tlast run\tlast status\tlast success\tage\tflag")
	for _, src := range sources {
		h := byName[src.Name()]
		flag, age := "", "-"
		switch {
		case h.LastSuccess.IsZero():
			flag = "NEVER SUCCEEDED"
		case now.Sub(h.LastSuccess) > limit:
			flag = fmt.Sprintf("STALE (> %d days)", *days)
		}
		if !h.LastSuccess.IsZero() {
			age = now.Sub(h.LastSuccess).Round(time.Minute).String()
		}
		if flag != "" {
			stale++
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", src.Name(), stamp(h.LastRun), dash(h.LastStatus), stamp(h.LastSuccess), age, flag)
	}
	tw.Flush()
	if stale > 0 {
		fmt.Fprintf(e.stderr, "patchwatch status: %d source(s) without a success in the last %d days\n", stale, *days)
		return exitPartial
	}
	return exitOK
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
