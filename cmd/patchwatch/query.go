package main

import (
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/patchwatch/patchwatch/store"
)

func runQuery(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "query", "[--db PATH] [--format table|csv|json] SQL",
		`Run one SQL statement against the database, opened read-only: a statement
that would write fails. Results go to stdout.

Example:
  patchwatch query "SELECT category, count(*) FROM fixes GROUP BY category"`)
	db := dbFlag(e, fs)
	format := fs.String("format", "table", "output format: table, csv or json")
	if code, stop := parseFlags(fs, args); stop {
		return code
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(e.stderr, "patchwatch query: need exactly one SQL argument (quote it)")
		return exitFatal
	}
	write, ok := writers[*format]
	if !ok {
		fmt.Fprintf(e.stderr, "patchwatch query: --format must be table, csv or json, not %q\n", *format)
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

// fetchAll runs q and reads every row, with SQL NULL as nil and text as
// string.
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
