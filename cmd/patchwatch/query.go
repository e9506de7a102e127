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
	"strings"
	"text/tabwriter"
	"time"

	"github.com/patchwatch/patchwatch/export"
	"github.com/patchwatch/patchwatch/internal/sqlrows"
	"github.com/patchwatch/patchwatch/sqlguard"
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
	if err := sqlguard.Check(fs.Arg(0)); err != nil {
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
	n := 0
	err := sqlrows.Each(ctx, db, w.header, func(vals []any) error {
		if err := w.row(vals); err != nil {
			return err
		}
		n++
		return nil
	}, q, args...)
	if err != nil {
		return n, err
	}
	return n, w.close()
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
		cells[i] = strings.Join(strings.Fields(sqlrows.Cell(v)), " ")
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
			cells[i] = sqlrows.Cell(v)
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
