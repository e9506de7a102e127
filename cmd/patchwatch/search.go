package main

import (
	"context"
	"fmt"
	"strings"

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
	match := strings.Join(fs.Args(), " ")
	if !*raw {
		match = ftsQuery(fs.Args())
		if match == "" {
			// Only "*"s: a prefix of nothing. Say so instead of passing an
			// empty expression to FTS5 and blaming --raw.
			fmt.Fprintf(e.stderr, "patchwatch search: %q has no word to search for: * only marks a prefix (overflo*); give at least one word\n", strings.Join(fs.Args(), " "))
			return exitFatal
		}
	}
	conn, err := store.OpenReadOnly(*db)
	if err != nil {
		fmt.Fprintln(e.stderr, "patchwatch search:", err)
		return exitFatal
	}
	defer conn.Close()

	// The best matches are picked by rank first, which FTS5 answers from
	// its index alone; only those few get a snippet and their record's date
	// and title. They are joined to the tables, not to v_fixes, whose
	// per-fix subqueries would run for every fix.
	q := `
WITH top AS (
	SELECT rowid AS rid, rank AS r FROM search_text
	WHERE search_text MATCH ?1
		AND (?2 = '' OR kind = ?2)
		AND (?3 = '[]' OR vendor IN (SELECT value FROM json_each(?3)))
	ORDER BY rank
	LIMIT ?4)
SELECT s.kind, s.ref AS id, s.vendor,
	CASE s.kind WHEN 'advisory' THEN a.published ELSE f.released END AS date,
	CASE s.kind WHEN 'advisory' THEN a.title ELSE f.category || ': ' || f.component END AS title,
	snippet(search_text, -1, '[', ']', '…', 12) AS snippet
FROM top
JOIN search_text s ON s.rowid = top.rid
LEFT JOIN advisories a ON s.kind = 'advisory' AND a.id = s.ref
LEFT JOIN fixes f ON s.kind = 'fix' AND f.id = s.ref
WHERE search_text MATCH ?1
ORDER BY top.r, s.kind, s.ref`
	cols, rows, err := fetchAll(ctx, conn, q, match, *kind, jsonStrings(vendors), *limit)
	if err != nil {
		if *raw && (strings.Contains(err.Error(), "fts5") || strings.Contains(err.Error(), "syntax error")) {
			fmt.Fprintf(e.stderr, "patchwatch search: the search expression %q is not valid FTS5 (drop --raw to search plain words): %v\n", match, err)
			return exitFatal
		}
		fmt.Fprintln(e.stderr, "patchwatch search:", err)
		return exitFatal
	}
	if len(rows) == 0 {
		fmt.Fprintf(e.stderr, "patchwatch search: no advisory or fix text matches %s\n", match)
	}
	if err := writeAll(e.stdout, *format, cols, rows); err != nil {
		fmt.Fprintln(e.stderr, "patchwatch search:", err)
		return exitFatal
	}
	return exitOK
}

// ftsQuery turns plain words into an FTS5 expression that cannot be a
// syntax error: each word becomes a quoted phrase (so "XSA-355" is the
// phrase "xsa 355" rather than a column filter), a trailing * stays a prefix
// search, and the phrases are ANDed.
func ftsQuery(terms []string) string {
	var parts []string
	for _, t := range terms {
		for _, w := range strings.Fields(t) {
			prefix := strings.HasSuffix(w, "*")
			w = strings.TrimRight(w, "*")
			if w == "" {
				continue
			}
			p := `"` + strings.ReplaceAll(w, `"`, `""`) + `"`
			if prefix {
				p += "*"
			}
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, " AND ")
}
