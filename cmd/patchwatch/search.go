package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/patchwatch/patchwatch/analysis"
	"github.com/patchwatch/patchwatch/store"
)

// runSearch looks words up in the full-text index the store keeps over
// advisory and fix text (search_text, see docs/schema.md), so an analyst
// can find "every pygrub fix" without knowing which table holds the words.
func runSearch(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "search", "[--db PATH] [--vendor V] [--kind advisory|fix] [--limit N] [--raw] [--format table|csv|json|jsonl] TERMS...",
		`Search advisory and fix text (titles, affected versions, advisory sections,
fix components, summaries and the classifier's evidence) and print the
matches best first, each with a snippet in which the matched words are
[bracketed].

Every TERM must occur (AND); a term ending in * matches as a prefix
(overflo*); hyphenated words (XSA-355, use-after-free) match as phrases.
--raw passes TERMS to SQLite FTS5 as a query expression instead (OR, NOT,
NEAR, "phrases", column filters like title:grant).

Examples:
  patchwatch search pygrub
  patchwatch search --kind fix --vendor xen "grant table"
  patchwatch search --raw 'qemu NOT xenstored'`)
	db := dbFlag(e, fs)
	var vendors listFlag
	fs.Var(&vendors, "vendor", "only this `vendor` (repeatable, or comma-separated)")
	kind := fs.String("kind", "", "only advisories or only fixes: advisory or fix")
	limit := fs.Int("limit", 20, "at most `N` matches")
	raw := fs.Bool("raw", false, "TERMS are an FTS5 query expression")
	format := fs.String("format", "table", "output format: table, csv, json or jsonl")
	if code, stop := parseFlags(fs, args); stop {
		return code
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(e.stderr, "patchwatch search: need at least one search term")
		return exitFatal
	}
	if _, ok := writers[*format]; !ok {
		fmt.Fprintf(e.stderr, "patchwatch search: --format must be table, csv, json or jsonl, not %q\n", *format)
		return exitFatal
	}
	if *kind != "" && *kind != "advisory" && *kind != "fix" {
		fmt.Fprintf(e.stderr, "patchwatch search: --kind must be advisory or fix, not %q\n", *kind)
		return exitFatal
	}
	if *limit <= 0 {
		fmt.Fprintln(e.stderr, "patchwatch search: --limit must be positive")
		return exitFatal
	}
	conn, err := store.OpenReadOnly(*db)
	if err != nil {
		fmt.Fprintln(e.stderr, "patchwatch search:", err)
		return exitFatal
	}
	defer conn.Close()
	q := analysis.SearchQuery{Terms: fs.Args(), Raw: *raw, Kind: *kind, Vendors: vendors, Limit: *limit}
	cols, rows, err := analysis.Search(ctx, conn, q)
	var exprErr *analysis.ExpressionError
	switch {
	case errors.Is(err, analysis.ErrNoWords):
		fmt.Fprintf(e.stderr, "patchwatch search: %q has %v\n", strings.Join(fs.Args(), " "), err)
		return exitFatal
	case errors.As(err, &exprErr):
		fmt.Fprintf(e.stderr, "patchwatch search: %v (drop --raw to search plain words)\n", err)
		return exitFatal
	case err != nil:
		fmt.Fprintln(e.stderr, "patchwatch search:", schemaHint(err))
		return exitFatal
	}
	match := strings.Join(fs.Args(), " ")
	if len(rows) == 0 {
		fmt.Fprintf(e.stderr, "patchwatch search: no advisory or fix text matches %s\n", match)
	}
	if err := writeAll(e.stdout, *format, cols, rows); err != nil {
		fmt.Fprintln(e.stderr, "patchwatch search:", err)
		return exitFatal
	}
	return exitOK
}
