package analysis

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/patchwatch/patchwatch/internal/sqlrows"
)

// SearchQuery is a full-text search over advisory and fix text.
type SearchQuery struct {
	// Terms are plain words (all must occur, word* is a prefix), or with
	// Raw an FTS5 query expression.
	Terms   []string
	Raw     bool
	Kind    string   // "advisory", "fix" or "" for both
	Vendors []string // none means every vendor
	Limit   int
}

// ErrNoWords is returned for plain terms that hold no word (only "*").
var ErrNoWords = errors.New("no word to search for: * only marks a prefix (overflo*); give at least one word")

// ExpressionError is a raw FTS5 expression SQLite could not parse.
type ExpressionError struct {
	Expr string
	Err  error
}

func (e *ExpressionError) Error() string {
	return fmt.Sprintf("the search expression %q is not valid FTS5: %v", e.Expr, e.Err)
}

func (e *ExpressionError) Unwrap() error { return e.Err }

// Search returns the best matches first, as columns kind, id, vendor, date,
// title and snippet (the matched words [bracketed]).
//
// The best matches are picked by rank first, which FTS5 answers from its
// index alone; only those few are joined to v_advisories and v_fixes for
// their date and title, and only the views' plain columns are read, so their
// per-row subqueries never run.
func Search(ctx context.Context, db *sql.DB, q SearchQuery) ([]string, [][]any, error) {
	match := strings.Join(q.Terms, " ")
	if !q.Raw {
		match = FTSQuery(q.Terms)
		if match == "" {
			return nil, nil, ErrNoWords
		}
	}
	cols, rows, err := sqlrows.All(ctx, db, `
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
LEFT JOIN v_advisories a ON s.kind = 'advisory' AND a.vendor = s.vendor AND a.id = s.ref
LEFT JOIN v_fixes f ON s.kind = 'fix' AND f.vendor = s.vendor AND f.id = s.ref
WHERE search_text MATCH ?1
ORDER BY top.r, s.kind, s.ref, s.vendor`, match, q.Kind, sqlrows.JSONList(q.Vendors), q.Limit)
	if err != nil {
		if q.Raw && (strings.Contains(err.Error(), "fts5") || strings.Contains(err.Error(), "syntax error")) {
			return nil, nil, &ExpressionError{Expr: match, Err: err}
		}
		return nil, nil, fmt.Errorf("search %q: %w", match, err)
	}
	return cols, rows, nil
}

// FTSQuery turns plain words into an FTS5 expression that cannot be a
// syntax error: each word becomes a quoted phrase (so "XSA-355" is the
// phrase "xsa 355" rather than a column filter), a trailing * stays a prefix
// search, and the phrases are ANDed. It is "" when no word is left.
func FTSQuery(terms []string) string {
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
