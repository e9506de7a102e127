// Package sqlguard decides whether an analyst's SQL statement only reads,
// before it reaches SQLite.
//
// `patchwatch query` opens the database read-only as well; the guard is the
// first line, so the analyst gets a plain reason instead of SQLite's
// "attempt to write a readonly database", and ATTACH (which would open
// another file) and PRAGMA assignments (which could lift query_only) never
// run at all. It splits the statement into the words SQLite would see,
// skipping comments, strings and quoted names, and judges those.
package sqlguard

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// writeKeywords start statements that change the database or the
// connection. The database is opened read-only anyway; refusing them up
// front gives the analyst a plain reason instead of SQLite's "attempt to
// write a readonly database", and stops ATTACH (which would open another
// file) and PRAGMA assignments (which could lift query_only) outright.
var writeKeywords = map[string]bool{
	"INSERT": true, "UPDATE": true, "DELETE": true, "REPLACE": true, "UPSERT": true,
	"CREATE": true, "DROP": true, "ALTER": true, "ATTACH": true, "DETACH": true,
	"VACUUM": true, "REINDEX": true, "ANALYZE": true, "BEGIN": true, "COMMIT": true,
	"END": true, "ROLLBACK": true, "SAVEPOINT": true, "RELEASE": true,
}

// readPragmas are the pragmas query lets through: each only reports.
var readPragmas = map[string]bool{
	"table_info": true, "table_xinfo": true, "table_list": true, "index_list": true,
	"index_info": true, "index_xinfo": true, "foreign_key_list": true, "foreign_key_check": true,
	"integrity_check": true, "quick_check": true, "compile_options": true, "user_version": true,
	"schema_version": true, "application_id": true, "page_count": true, "page_size": true,
	"freelist_count": true, "journal_mode": true, "encoding": true, "function_list": true,
	"module_list": true, "pragma_list": true, "collation_list": true, "database_list": true,
	"foreign_keys": true, "query_only": true,
}

// Check refuses a statement that would write, a PRAGMA that
// sets something, and more than one statement. Statements it does not
// recognise go on to SQLite, which reports their syntax errors itself.
func Check(q string) error {
	words, semis := sqlWords(q)
	if semis > 0 {
		return errors.New("the database is read-only here and query runs one statement at a time: remove the ';' between statements")
	}
	if len(words) == 0 {
		return errors.New("empty SQL statement")
	}
	first := strings.ToUpper(words[0])
	if first == "EXPLAIN" && len(words) > 1 {
		// EXPLAIN runs nothing, but EXPLAIN QUERY PLAN DELETE is still odd;
		// judge what it explains.
		rest := words[1:]
		if len(rest) > 1 && strings.EqualFold(rest[0], "QUERY") && strings.EqualFold(rest[1], "PLAN") {
			rest = rest[2:]
		}
		if len(rest) > 0 {
			first = strings.ToUpper(rest[0])
			words = rest
		}
	}
	if writeKeywords[first] {
		return fmt.Errorf("the database is read-only here: %s statements are refused (use SELECT, WITH, VALUES, EXPLAIN or a read-only PRAGMA)", first)
	}
	if first == "PRAGMA" {
		name := ""
		if len(words) > 1 {
			name = strings.ToLower(words[1])
			if _, after, ok := strings.Cut(name, "."); ok { // schema.pragma
				name = after
			}
		}
		for _, w := range words[2:] {
			if w == "=" {
				return fmt.Errorf("the database is read-only here: PRAGMA %s = … sets a value and is refused", name)
			}
		}
		if !readPragmas[name] {
			return fmt.Errorf("the database is read-only here: PRAGMA %s is not one of the read-only pragmas query allows (%s)", name, strings.Join(slices.Sorted(maps.Keys(readPragmas)), ", "))
		}
		if (name == "journal_mode" || name == "user_version" || name == "application_id" ||
			name == "foreign_keys" || name == "query_only") && len(words) > 2 {
			return fmt.Errorf("the database is read-only here: PRAGMA %s(…) sets a value and is refused", name)
		}
	}
	// A CTE can end in a write (WITH x AS (...) DELETE ...); refuse a WITH
	// statement that contains a write keyword outside strings and quoted
	// names.
	if first == "WITH" {
		for i, w := range words {
			// REPLACE is also a function (followed by "(") and END closes
			// CASE; REPLACE INTO is a write.
			u := strings.ToUpper(w)
			if u == "REPLACE" && i+1 < len(words) && words[i+1] == "(" {
				continue // the replace() function
			}
			if writeKeywords[u] && u != "END" {
				return fmt.Errorf("the database is read-only here: a WITH … %s statement is refused", u)
			}
		}
	}
	return nil
}

// sqlWords splits q into the words and punctuation SQLite would see at the
// top level, skipping comments, string literals and quoted identifiers (so a
// ';' or a keyword inside them does not count), and counts the ';' that are
// followed by another statement.
func sqlWords(q string) (words []string, extraStatements int) {
	sawSemi := false
	for i := 0; i < len(q); {
		c := q[i]
		switch {
		case c == '-' && i+1 < len(q) && q[i+1] == '-':
			for i < len(q) && q[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < len(q) && q[i+1] == '*':
			end := strings.Index(q[i+2:], "*/")
			if end < 0 {
				return words, extraStatements
			}
			i += end + 4
		case c == '\'' || c == '"' || c == '`' || c == '[':
			closer := c
			if c == '[' {
				closer = ']'
			}
			j := i + 1
			for j < len(q) {
				if q[j] == closer {
					if closer != ']' && j+1 < len(q) && q[j+1] == closer { // doubled quote
						j += 2
						continue
					}
					break
				}
				j++
			}
			if sawSemi {
				extraStatements++
				sawSemi = false
			}
			words = append(words, q[i:min(j+1, len(q))])
			i = j + 1
		case c == ';':
			sawSemi = true
			i++
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f':
			i++
		default:
			if sawSemi {
				extraStatements++
				sawSemi = false
			}
			j := i
			if isWordByte(c) {
				for j < len(q) && isWordByte(q[j]) {
					j++
				}
			} else {
				j++
			}
			words = append(words, q[i:j])
			i = j
		}
	}
	return words, extraStatements
}

func isWordByte(c byte) bool {
	return c == '_' || c == '.' || c == '$' || c >= 0x80 ||
		('0' <= c && c <= '9') || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')
}
