package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/patchwatch/patchwatch/store"
)

func runQuery(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "query", "[--db PATH] [--format table|csv|json|jsonl] SQL",
		`Run one SQL statement against the database, opened read-only. Only
SELECT, WITH, VALUES, EXPLAIN and read-only PRAGMA statements run; anything
that would write (INSERT, DELETE, DROP, ATTACH, PRAGMA x = y, ...) is refused
before it reaches SQLite, and the database itself is opened read-only as a
second guard. Results go to stdout; the views v_advisories, v_patches and
v_fixes and the full-text table search_text are described in docs/schema.md.

Example:
  patchwatch query "SELECT category, count(*) FROM fixes GROUP BY category"`)
	db := dbFlag(e, fs)
	format := fs.String("format", "table", "output format: table, csv, json or jsonl (one JSON object per row)")
	if code, stop := parseFlags(fs, args); stop {
		return code
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(e.stderr, "patchwatch query: need exactly one SQL argument (quote it)")
		return exitFatal
	}
	write, ok := writers[*format]
	if !ok {
		fmt.Fprintf(e.stderr, "patchwatch query: --format must be table, csv, json or jsonl, not %q\n", *format)
		return exitFatal
	}
	if err := checkReadOnlySQL(fs.Arg(0)); err != nil {
		fmt.Fprintln(e.stderr, "patchwatch query:", err)
		return exitFatal
	}
	conn, err := store.OpenReadOnly(*db)
	if err != nil {
		fmt.Fprintln(e.stderr, "patchwatch query:", err)
		return exitFatal
	}
	defer conn.Close()
	cols, rows, err := fetchAll(ctx, conn, fs.Arg(0))
	if err != nil {
		if strings.Contains(err.Error(), "readonly") || strings.Contains(err.Error(), "read-only") {
			err = fmt.Errorf("the database is opened read-only, so this statement cannot run: %w", err)
		}
		fmt.Fprintln(e.stderr, "patchwatch query:", err)
		return exitPartial
	}
	if err := write(e.stdout, cols, rows); err != nil {
		fmt.Fprintln(e.stderr, "patchwatch query:", err)
		return exitFatal
	}
	return exitOK
}

// fetchAll runs q with args and reads every row, with SQL NULL as nil and
// text as string.
func fetchAll(ctx context.Context, db *sql.DB, q string, args ...any) ([]string, [][]any, error) {
	rs, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, nil, err
	}
	defer rs.Close()
	cols, err := rs.Columns()
	if err != nil {
		return nil, nil, err
	}
	var rows [][]any
	for rs.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rs.Scan(ptrs...); err != nil {
			return nil, nil, err
		}
		for i, v := range vals {
			if b, ok := v.([]byte); ok {
				vals[i] = string(b)
			}
		}
		rows = append(rows, vals)
	}
	return cols, rows, rs.Err()
}

var writers = map[string]func(io.Writer, []string, [][]any) error{
	"table": writeTable,
	"csv":   writeCSV,
	"json":  writeJSON,
	"jsonl": writeJSONL,
}

func cell(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	default:
		return fmt.Sprint(x)
	}
}

func writeTable(w io.Writer, cols []string, rows [][]any) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(cols, "\t"))
	for _, r := range rows {
		cells := make([]string, len(r))
		for i, v := range r {
			// Keep one row on one line.
			cells[i] = strings.Join(strings.Fields(cell(v)), " ")
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	return tw.Flush()
}

func writeCSV(w io.Writer, cols []string, rows [][]any) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(cols); err != nil {
		return err
	}
	for _, r := range rows {
		cells := make([]string, len(r))
		for i, v := range r {
			cells[i] = cell(v)
		}
		if err := cw.Write(cells); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func writeJSON(w io.Writer, cols []string, rows [][]any) error {
	out := make([]map[string]any, len(rows))
	for i, r := range rows {
		obj := make(map[string]any, len(cols))
		for j, c := range cols {
			obj[c] = r[j]
		}
		out[i] = obj
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// writeJSONL writes one JSON object per row, keys in column order, so
// line-oriented tools (jq -c, grep, split) can stream the result.
func writeJSONL(w io.Writer, cols []string, rows [][]any) error {
	bw := bufio.NewWriter(w)
	for _, r := range rows {
		line, err := orderedObject(cols, r)
		if err != nil {
			return err
		}
		bw.Write(line)
		bw.WriteByte('\n')
	}
	return bw.Flush()
}

// orderedObject encodes one row as a JSON object whose keys keep the
// column order, which encoding/json's maps would sort away.
func orderedObject(cols []string, vals []any) ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, c := range cols {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := json.Marshal(c)
		if err != nil {
			return nil, fmt.Errorf("encode column %s: %w", c, err)
		}
		v, err := json.Marshal(vals[i])
		if err != nil {
			return nil, fmt.Errorf("encode column %s: %w", c, err)
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

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

// checkReadOnlySQL refuses a statement that would write, a PRAGMA that
// sets something, and more than one statement. Statements it does not
// recognise go on to SQLite, which reports their syntax errors itself.
func checkReadOnlySQL(q string) error {
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
			return fmt.Errorf("the database is read-only here: PRAGMA %s is not one of the read-only pragmas query allows (%s)", name, strings.Join(sortedKeys(readPragmas), ", "))
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
		for _, w := range words {
			// REPLACE is also a function and END closes CASE.
			if u := strings.ToUpper(w); writeKeywords[u] && u != "REPLACE" && u != "END" {
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

func sortedKeys(m map[string]bool) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
