package export

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/patchwatch/patchwatch/internal/sqlrows"
)

// colKind says how a column is rendered beyond plain text.
type colKind int

const (
	colText   colKind = iota
	colInt            // integer
	colBool           // 0/1/NULL in SQL; true/false/null in JSON lines
	colList           // space-separated list in the view; array in JSON lines
	colJSON           // JSON text in the view; raw JSON in JSON lines
	colCommas         // comma-separated list in the view
)

type column struct {
	name string
	kind colKind
}

// Table is one exported table: which view, which columns in which order,
// and which column --since filters on.
type Table struct {
	Name, Record, view, dateCol string
	cols                        []column
}

// Tables lists the exported tables and their columns. The names are the
// views' column names and are part of the export's interface: add at the
// end, never rename.
var Tables = []Table{
	{Name: "advisories", Record: "advisory", view: "v_advisories", dateCol: "published", cols: []column{
		{"id", colText}, {"vendor", colText}, {"status", colText}, {"title", colText}, {"severity", colText},
		{"published", colText}, {"updated", colText}, {"version", colInt}, {"url", colText}, {"affected", colText},
		{"cves", colList}, {"fix_count", colInt}, {"patch_count", colInt},
	}},
	{Name: "patches", Record: "patch", view: "v_patches", dateCol: "released", cols: []column{
		{"id", colText}, {"vendor", colText}, {"product", colText}, {"version", colText}, {"released", colText},
		{"classification", colText}, {"reboot_required", colBool}, {"vm_restart_required", colBool},
		{"severity", colText}, {"advisory_id", colText}, {"url", colText}, {"build", colText}, {"release_id", colText},
		{"supersedes", colJSON}, {"packages", colJSON}, {"fix_count", colInt}, {"categories", colCommas}, {"security", colBool},
	}},
	{Name: "fixes", Record: "fix", view: "v_fixes", dateCol: "released", cols: []column{
		{"id", colText}, {"vendor", colText}, {"product", colText}, {"versions", colJSON}, {"advisory_id", colText},
		{"advisory_title", colText}, {"patch_ids", colList}, {"released", colText}, {"category", colText},
		{"security", colBool}, {"severity", colText}, {"cves", colList}, {"component", colText}, {"summary", colText},
		{"rule", colText}, {"evidence", colText},
	}},
}

// TableByName returns the exported table called name.
func TableByName(name string) (Table, bool) {
	for _, t := range Tables {
		if t.Name == name {
			return t, true
		}
	}
	return Table{}, false
}

// colNames lists the table's column names in export order.
func (t Table) colNames() []string {
	names := make([]string, len(t.cols))
	for i, c := range t.cols {
		names[i] = c.name
	}
	return names
}

// Rows reads one table through its view in the export order.
func (t Table) Rows(ctx context.Context, db *sql.DB, f Filter) ([][]any, error) {
	// View and column names come from Tables, never from input.
	q := fmt.Sprintf(`SELECT %s FROM %s
WHERE (?1 = '[]' OR vendor IN (SELECT value FROM json_each(?1)))
	AND (?2 = '' OR %s >= ?2)
ORDER BY vendor, id`, strings.Join(t.colNames(), ", "), t.view, t.dateCol)
	_, rows, err := sqlrows.All(ctx, db, q, f.vendorsJSON(), f.Since)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", t.view, err)
	}
	return rows, nil
}

// WriteCSV writes rows as RFC 4180 CSV (CRLF line ends, UTF-8) with a
// header row, every cell passed through SafeCell.
func (t Table) WriteCSV(w io.Writer, rows [][]any) error {
	bw := bufio.NewWriter(w)
	cw := csv.NewWriter(bw)
	cw.UseCRLF = true // RFC 4180
	if err := cw.Write(t.colNames()); err != nil {
		return err
	}
	for _, r := range rows {
		cells := make([]string, len(r))
		for i, v := range r {
			cells[i] = SafeCell(sqlrows.Cell(v))
		}
		if err := cw.Write(cells); err != nil {
			return err
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return bw.Flush()
}

// WriteJSONL writes one JSON object per row: "record" first, then the
// view's columns; lists are arrays, flags true/false/null.
func (t Table) WriteJSONL(w io.Writer, rows [][]any) error {
	bw := bufio.NewWriter(w)
	cols := append([]string{"record"}, t.colNames()...)
	for _, r := range rows {
		vals := make([]any, len(r)+1)
		vals[0] = t.Record
		for i, v := range r {
			jv, err := jsonValue(t.cols[i], v)
			if err != nil {
				return fmt.Errorf("%s %v: %w", t.Record, r[0], err)
			}
			vals[i+1] = jv
		}
		line, err := OrderedObject(cols, vals)
		if err != nil {
			return err
		}
		if _, err := bw.Write(append(line, '\n')); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// jsonValue converts one view cell to its JSON lines form.
func jsonValue(c column, v any) (any, error) {
	if s, ok := v.(string); ok {
		v = strings.ToValidUTF8(s, "\uFFFD")
	}
	switch c.kind {
	case colBool:
		switch v {
		case nil:
			return nil, nil
		case int64(0):
			return false, nil
		case int64(1):
			return true, nil
		}
		return nil, fmt.Errorf("column %s: %v is not 0, 1 or NULL", c.name, v)
	case colList, colCommas:
		sep := " "
		if c.kind == colCommas {
			sep = ","
		}
		list := splitList(sqlrows.Cell(v), sep)
		if list == nil {
			list = []string{}
		}
		return list, nil
	case colJSON:
		s := sqlrows.Cell(v)
		if s == "" {
			s = "[]"
		}
		if !json.Valid([]byte(s)) {
			return nil, fmt.Errorf("column %s: not JSON: %q", c.name, s)
		}
		return json.RawMessage(s), nil
	case colInt:
		if s, ok := v.(string); ok { // never expected, but keep the type stable
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("column %s: %w", c.name, err)
			}
			return n, nil
		}
	}
	return v, nil
}

// OrderedObject encodes cols and vals as one JSON object with the keys in
// column order, which encoding/json's maps would sort away.
func OrderedObject(cols []string, vals []any) ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, c := range cols {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := json.Marshal(c)
		if err != nil {
			return nil, err
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
