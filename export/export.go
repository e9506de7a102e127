// Package export turns the stored dataset into files other programs read:
// CSV and JSON lines of the three views, and one OSV record or one CSAF 2.0
// security advisory per advisory.
//
// It reads only the documented views (docs/schema.md: v_advisories,
// v_patches, v_fixes, v_fix_remedies), never the tables under them, so a
// change to the harvester's tables cannot change an export. Output is
// deterministic — same database, same bytes — so exports can be diffed and
// cached. Files are written through internal/safefile, which never follows
// a symlink planted at the output path.
package export

import (
	"sort"
	"strings"

	"github.com/patchwatch/patchwatch/internal/sqlrows"
)

// Filter is what --vendor and --since select: records of these vendors
// (all when empty) dated on or after Since (YYYY-MM-DD, none when empty).
type Filter struct {
	Vendors []string
	Since   string
}

// vendorsJSON encodes the vendor filter for SQL's json_each, "[]" meaning
// no filter, so one statement serves with and without one.
func (f Filter) vendorsJSON() string { return sqlrows.JSONList(f.Vendors) }

// SafeCell makes a CSV cell safe to open in a spreadsheet: invalid UTF-8
// is replaced, and a cell a spreadsheet would evaluate as a formula (it
// starts with = + - @, or a tab or carriage return that some strip before
// looking) gets a leading apostrophe, which spreadsheets show as text.
func SafeCell(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// splitList splits a separated list, trimming and dropping empty items.
func splitList(s, sep string) []string {
	var out []string
	for _, p := range strings.Split(s, sep) {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// sortedUnique returns the distinct items of v in order, never nil, so
// lists encode as [] rather than null.
func sortedUnique(v []string) []string {
	out := make([]string, 0, len(v))
	seen := map[string]bool{}
	for _, s := range v {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}

func isHTTPURL(s string) bool {
	return strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "http://")
}
