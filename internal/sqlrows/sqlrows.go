// Package sqlrows reads query results whose columns are not known in
// advance, as analysis, export and the query command do: every value as
// SQLite produced it, SQL NULL as nil and text as string (never []byte), so
// the three read rows and render cells the same way. JSONList encodes the
// list parameters their statements read with json_each.
package sqlrows

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
)

// Each runs q, hands the column names to header once, then each row's
// values to row as SQLite produces them, so a large result need not fit in
// memory. The values passed to row are only valid during the call.
func Each(ctx context.Context, db *sql.DB, header func(cols []string) error, row func(vals []any) error, q string, args ...any) error {
	rs, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rs.Close()
	cols, err := rs.Columns()
	if err != nil {
		return err
	}
	if err := header(cols); err != nil {
		return err
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rs.Next() {
		if err := rs.Scan(ptrs...); err != nil {
			return err
		}
		for i, v := range vals {
			if b, ok := v.([]byte); ok {
				vals[i] = string(b)
			}
		}
		if err := row(vals); err != nil {
			return err
		}
	}
	return rs.Err()
}

// All runs q and reads every row into memory, for the small results of
// analysis and export.
func All(ctx context.Context, db *sql.DB, q string, args ...any) ([]string, [][]any, error) {
	var cols []string
	var rows [][]any
	err := Each(ctx, db,
		func(c []string) error { cols = c; return nil },
		func(vals []any) error { rows = append(rows, append([]any(nil), vals...)); return nil },
		q, args...)
	if err != nil {
		return nil, nil, err
	}
	return cols, rows, nil
}

// Cell renders one SQL value as text: NULL as "", numbers in Go's shortest
// form.
func Cell(v any) string {
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

// JSONList encodes v as a JSON array for SQL's json_each, "[]" when empty,
// so one statement can test ?n = '[]' to mean "no filter".
func JSONList(v []string) string {
	if len(v) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(v) // a []string always encodes
	return string(b)
}
