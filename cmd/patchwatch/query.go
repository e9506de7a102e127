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
	"strings"
	"text/tabwriter"
	"time"

	"github.com/patchwatch/patchwatch/export"
	"github.com/patchwatch/patchwatch/store"
)

func runQuery(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "query", "[--db PATH] [--format table|csv|json|jsonl] [--timeout D] SQL",
		`Run one SQL statement against the database, opened read-only. Only
SELECT, WITH, VALUES, EXPLAIN and read-only PRAGMA statements run; anything
that would write (INSERT, DELETE, DROP, ATTACH, PRAGMA x = y, ...) is refused
before it reaches SQLite, and the database itself is opened read-only as a
second guard. Results go to stdout as SQLite produces them, so a large result
does not have to fit in memory (the table format aligns its columns in blocks
of 1,000 rows); a statement still running after --timeout is interrupted
(exit 1). In csv output a text cell that starts with = + - @ tab or CR gets a
leading ' so a spreadsheet shows it as text instead of running it as a
formula. The views v_advisories, v_patches, v_fixes and v_fix_remedies and
the full-text table search_text are described in docs/schema.md.

Example:
  patchwatch query "SELECT category, count(*) FROM fixes GROUP BY category"`)
	db := dbFlag(e, fs)
	format := fs.String("format", "table", "output format: table, csv, json or jsonl (one JSON object per row)")
	timeout := fs.Duration("timeout", 30*time.Second, "interrupt the statement after `D` (0 for no limit)")
	if code, stop := parseFlags(fs, args); stop {
		return code
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(e.stderr, "patchwatch query: need exactly one SQL argument (quote it)")
		return exitFatal
	}
	if *timeout < 0 {
		fmt.Fprintf(e.stderr, "patchwatch query: --timeout must not be negative, not %s\n", *timeout)
		return exitFatal
	}
	newWriter, ok := writers[*format]
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
	if *timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *timeout)
		defer cancel()
	}
	out := bufio.NewWriter(e.stdout)
	n, err := streamRows(ctx, conn, newWriter(out), fs.Arg(0))
	if ferr := out.Flush(); err == nil && ferr != nil {
		fmt.Fprintln(e.stderr, "patchwatch query:", ferr)
		return exitFatal
	}
	if err != nil {
		switch {
		case errors.Is(ctx.Err(), context.DeadlineExceeded):
			err = fmt.Errorf("stopped after --timeout %s with %d rows written: %w", *timeout, n, err)
		case strings.Contains(err.Error(), "readonly") || strings.Contains(err.Error(), "read-only"):
			err = fmt.Errorf("the database is opened read-only, so this statement cannot run: %w", err)
		}
		fmt.Fprintln(e.stderr, "patchwatch query:", err)
		return exitPartial
	}
	return exitOK
}

// streamRows runs q and hands each row to w as SQLite produces it, SQL NULL
// as nil and text as string; it returns how many rows it wrote.
func streamRows(ctx context.Context, db *sql.DB, w rowWriter, q string, args ...any) (int, error) {
	rs, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	defer rs.Close()
	cols, err := rs.Columns()
	if err != nil {
		return 0, err
	}
	if err := w.header(cols); err != nil {
		return 0, err
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	n := 0
	for rs.Next() {
		if err := rs.Scan(ptrs...); err != nil {
			return n, err
		}
		for i, v := range vals {
			if b, ok := v.([]byte); ok {
				vals[i] = string(b)
			}
		}
		if err := w.row(vals); err != nil {
			return n, err
		}
		n++
	}
	if err := rs.Err(); err != nil {
		return n, err
	}
	return n, w.close()
}

// fetchAll runs q with args and reads every row, with SQL NULL as nil and
// text as string. For small results only: query streams instead.
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

// rowWriter writes a result row by row: header once, then each row, then
// close. A row's values are only valid during the call.
type rowWriter interface {
	header(cols []string) error
	row(vals []any) error
	close() error
}

// writers makes the rowWriter of each --format.
var writers = map[string]func(io.Writer) rowWriter{
	"table": func(w io.Writer) rowWriter { return &tableWriter{tw: tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)} },
	"csv":   func(w io.Writer) rowWriter { return &csvWriter{cw: csv.NewWriter(w)} },
	"json":  func(w io.Writer) rowWriter { return &jsonWriter{w: w} },
	"jsonl": func(w io.Writer) rowWriter { return &jsonlWriter{w: w} },
}

// writeAll writes a whole result held in memory with the writer of format.
func writeAll(w io.Writer, format string, cols []string, rows [][]any) error {
	rw := writers[format](w)
	if err := rw.header(cols); err != nil {
		return err
	}
	for _, r := range rows {
		if err := rw.row(r); err != nil {
			return err
		}
	}
	return rw.close()
}

func cell(v any) string { return export.Cell(v) }

// tableBlock is how many rows the table format aligns at a time: enough for
// a screenful to line up, few enough that a huge result is not held.
const tableBlock = 1000

type tableWriter struct {
	tw *tabwriter.Writer
	n  int
}

func (t *tableWriter) header(cols []string) error {
	_, err := fmt.Fprintln(t.tw, strings.Join(cols, "\t"))
	return err
}

func (t *tableWriter) row(vals []any) error {
	cells := make([]string, len(vals))
	for i, v := range vals {
		// Keep one row on one line.
		cells[i] = strings.Join(strings.Fields(cell(v)), " ")
	}
	if _, err := fmt.Fprintln(t.tw, strings.Join(cells, "\t")); err != nil {
		return err
	}
	if t.n++; t.n%tableBlock == 0 {
		return t.tw.Flush()
	}
	return nil
}

func (t *tableWriter) close() error { return t.tw.Flush() }

// writeTable prints a small result as an aligned table.
func writeTable(w io.Writer, cols []string, rows [][]any) error {
	return writeAll(w, "table", cols, rows)
}

// csvWriter writes RFC 4180 CSV as encoding/csv does. Text cells pass
// through export.SafeCell, as in export, so a cell that a spreadsheet would
// run as a formula is shown as text; numbers are written as they are (a
// negative number is not a formula).
type csvWriter struct{ cw *csv.Writer }

func (c *csvWriter) header(cols []string) error {
	cells := make([]string, len(cols))
	for i, col := range cols {
		cells[i] = export.SafeCell(col)
	}
	return c.cw.Write(cells)
}

func (c *csvWriter) row(vals []any) error {
	cells := make([]string, len(vals))
	for i, v := range vals {
		if s, ok := v.(string); ok {
			cells[i] = export.SafeCell(s)
		} else {
			cells[i] = cell(v)
		}
	}
	return c.cw.Write(cells)
}

func (c *csvWriter) close() error {
	c.cw.Flush()
	return c.cw.Error()
}

// jsonWriter writes one JSON array of objects, keys in column order, one
// indented object after another as rows arrive.
type jsonWriter struct {
	w    io.Writer
	cols []string
	n    int
}

func (j *jsonWriter) header(cols []string) error {
	j.cols = append([]string(nil), cols...)
	return nil
}

func (j *jsonWriter) row(vals []any) error {
	obj, err := export.OrderedObject(j.cols, vals)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if j.n == 0 {
		b.WriteString("[\n  ")
	} else {
		b.WriteString(",\n  ")
	}
	if err := json.Indent(&b, obj, "  ", "  "); err != nil {
		return err
	}
	j.n++
	_, err = j.w.Write(b.Bytes())
	return err
}

func (j *jsonWriter) close() error {
	end := "\n]\n"
	if j.n == 0 {
		end = "[]\n"
	}
	_, err := io.WriteString(j.w, end)
	return err
}

// jsonlWriter writes one JSON object per row, keys in column order, so
// line-oriented tools (jq -c, grep, split) can stream the result.
type jsonlWriter struct {
	w    io.Writer
	cols []string
}

func (j *jsonlWriter) header(cols []string) error {
	j.cols = append([]string(nil), cols...)
	return nil
}

func (j *jsonlWriter) row(vals []any) error {
	line, err := export.OrderedObject(j.cols, vals)
	if err != nil {
		return err
	}
	_, err = j.w.Write(append(line, '\n'))
	return err
}

func (j *jsonlWriter) close() error { return nil }

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

func sortedKeys(m map[string]bool) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
