package main

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/patchwatch/patchwatch/store"
)

// runExport writes the dataset for other tools. The output is
// deterministic — same database, same bytes — so exports can be diffed,
// committed and cached: rows are ordered by vendor and ID, field names are
// the stable view columns of docs/schema.md, text is valid UTF-8.
func runExport(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "export", "[--db PATH] --format csv|jsonl|osv --out DIR|- [--vendor V] [--since DATE] [--table T]",
		`Export advisories, patches and fixes.

  csv    RFC 4180 (CRLF line ends, UTF-8) with a header row; a cell that
         starts with = + - @ tab or CR gets a leading ' so a spreadsheet shows
         it as text instead of running it as a formula. Lists (CVEs, patch
         IDs) are space-separated; JSON columns (versions) stay JSON text.
  jsonl  one JSON object per line, "record" (advisory, patch, fix) first,
         then the view's columns; lists are arrays, flags true/false/null.
  osv    one OSV record per advisory (https://ossf.github.io/osv-schema/),
         id the vendor's (XSA-355, VMSA-2012-0016), CVEs as aliases,
         "affected" per product with its versions, and database_specific
         carrying category, component and patch IDs. Unused advisory
         numbers are skipped; withdrawn ones carry "withdrawn".

--out DIR writes advisories.csv, patches.csv and fixes.csv (or .jsonl), or
one <ID>.json per advisory for osv. --out - writes to stdout: every table
for jsonl, a JSON array for osv, and one table (--table, default fixes)
for csv.

--since keeps advisories published, and patches and fixes released, on or
after DATE; records without a date are then left out.`)
	db := dbFlag(e, fs)
	format := fs.String("format", "", "csv, jsonl or osv (required)")
	out := fs.String("out", "", "output `DIR`, or - for stdout (required)")
	var vendors, tables listFlag
	fs.Var(&vendors, "vendor", "only this `vendor` (repeatable, or comma-separated)")
	since := fs.String("since", "", "only records dated on or after `DATE` (YYYY-MM-DD)")
	fs.Var(&tables, "table", "only these tables: advisories, patches, fixes (csv and jsonl)")
	if code, stop := parseFlags(fs, args); stop {
		return code
	}
	fail := func(code int, err error) int {
		fmt.Fprintln(e.stderr, "patchwatch export:", err)
		return code
	}
	if fs.NArg() != 0 {
		return fail(exitFatal, fmt.Errorf("unexpected arguments %q", fs.Args()))
	}
	if *out == "" {
		return fail(exitFatal, errors.New("--out DIR or --out - is required"))
	}
	if *since != "" {
		if _, err := parseDay("since", *since); err != nil {
			return fail(exitFatal, err)
		}
	}
	f := exportFilter{vendors: vendors, since: *since}
	var selected []exportTable
	for _, name := range tables {
		t, ok := exportTableByName(name)
		if !ok {
			return fail(exitFatal, fmt.Errorf("--table must be advisories, patches or fixes, not %q", name))
		}
		selected = append(selected, t)
	}
	if len(selected) == 0 {
		selected = exportTables
		if *out == "-" && *format == "csv" {
			selected = []exportTable{exportTables[2]} // fixes
		}
	}
	if *out == "-" && *format == "csv" && len(selected) != 1 {
		return fail(exitFatal, errors.New("csv to stdout holds one table: pick it with --table, or use --out DIR"))
	}
	if *format != "csv" && *format != "jsonl" && *format != "osv" {
		return fail(exitFatal, fmt.Errorf("--format must be csv, jsonl or osv, not %q", *format))
	}
	conn, err := store.OpenReadOnly(*db)
	if err != nil {
		return fail(exitFatal, err)
	}
	defer conn.Close()

	if *format == "osv" {
		recs, err := osvRecords(ctx, conn, f)
		if err != nil {
			return fail(exitFatal, err)
		}
		if *out == "-" {
			err = writeOSVArray(e.stdout, recs)
		} else {
			err = writeOSVDir(*out, recs)
		}
		if err != nil {
			return fail(exitFatal, err)
		}
		fmt.Fprintf(e.stderr, "export: %d OSV records\n", len(recs))
		return exitOK
	}
	for _, t := range selected {
		cols, rows, err := exportRows(ctx, conn, t, f)
		if err != nil {
			return fail(exitFatal, err)
		}
		if err := writeExport(*out, *format, t, cols, rows, e.stdout); err != nil {
			return fail(exitFatal, err)
		}
		fmt.Fprintf(e.stderr, "export: %s: %d rows\n", t.name, len(rows))
	}
	return exitOK
}

// colKind says how a column is rendered beyond plain text.
type colKind int

const (
	colText   colKind = iota
	colInt            // integer
	colBool           // 0/1/NULL in SQL; true/false/null in JSON lines
	colList           // separated list in the view; array in JSON lines
	colJSON           // JSON text in the view; raw JSON in JSON lines
	colCommas         // comma-separated list in the view
)

type exportCol struct {
	name string
	kind colKind
}

// exportTable is one exported table: which view, which columns in which
// order, and which column the --since filter reads.
type exportTable struct {
	name, record, view, dateCol string
	cols                        []exportCol
}

// exportTables lists the exported tables and their columns. The names are
// the views' column names and are part of the export's interface: add at
// the end, never rename.
var exportTables = []exportTable{
	{name: "advisories", record: "advisory", view: "v_advisories", dateCol: "published", cols: []exportCol{
		{"id", colText}, {"vendor", colText}, {"status", colText}, {"title", colText}, {"severity", colText},
		{"published", colText}, {"updated", colText}, {"version", colInt}, {"url", colText}, {"affected", colText},
		{"cves", colList}, {"fix_count", colInt}, {"patch_count", colInt},
	}},
	{name: "patches", record: "patch", view: "v_patches", dateCol: "released", cols: []exportCol{
		{"id", colText}, {"vendor", colText}, {"product", colText}, {"version", colText}, {"released", colText},
		{"classification", colText}, {"reboot_required", colBool}, {"vm_restart_required", colBool},
		{"severity", colText}, {"advisory_id", colText}, {"url", colText}, {"build", colText}, {"release_id", colText},
		{"supersedes", colJSON}, {"packages", colJSON}, {"fix_count", colInt}, {"categories", colCommas}, {"security", colBool},
	}},
	{name: "fixes", record: "fix", view: "v_fixes", dateCol: "released", cols: []exportCol{
		{"id", colText}, {"vendor", colText}, {"product", colText}, {"versions", colJSON}, {"advisory_id", colText},
		{"advisory_title", colText}, {"patch_ids", colList}, {"released", colText}, {"category", colText},
		{"security", colBool}, {"severity", colText}, {"cves", colList}, {"component", colText}, {"summary", colText},
		{"rule", colText}, {"evidence", colText},
	}},
}

func exportTableByName(name string) (exportTable, bool) {
	for _, t := range exportTables {
		if t.name == name {
			return t, true
		}
	}
	return exportTable{}, false
}

// exportFilter is what --vendor and --since select.
type exportFilter struct {
	vendors []string
	since   string
}

// exportRows reads one table through its view in the export order.
func exportRows(ctx context.Context, db *sql.DB, t exportTable, f exportFilter) ([]string, [][]any, error) {
	names := make([]string, len(t.cols))
	for i, c := range t.cols {
		names[i] = c.name
	}
	// Table, view and column names come from exportTables, never from input.
	q := fmt.Sprintf(`SELECT %s FROM %s
WHERE (?1 = '[]' OR vendor IN (SELECT value FROM json_each(?1)))
	AND (?2 = '' OR %s >= ?2)
ORDER BY vendor, id`, strings.Join(names, ", "), t.view, t.dateCol)
	cols, rows, err := fetchAll(ctx, db, q, jsonStrings(f.vendors), f.since)
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", t.view, err)
	}
	return cols, rows, nil
}

// writeExport writes one table in format to DIR/<table>.<format>, or to
// stdout when out is "-".
func writeExport(out, format string, t exportTable, cols []string, rows [][]any, stdout io.Writer) (err error) {
	w := stdout
	var file *os.File
	if out != "-" {
		if err := os.MkdirAll(out, 0o755); err != nil {
			return fmt.Errorf("export %s: %w", t.name, err)
		}
		path := filepath.Join(out, t.name+"."+format)
		file, err = os.Create(path)
		if err != nil {
			return fmt.Errorf("export %s: %w", t.name, err)
		}
		defer func() {
			if cerr := file.Close(); cerr != nil && err == nil {
				err = fmt.Errorf("export %s: %w", path, cerr)
			}
		}()
		w = file
	}
	bw := bufio.NewWriter(w)
	switch format {
	case "csv":
		err = writeExportCSV(bw, t, rows)
	case "jsonl":
		err = writeExportJSONL(bw, t, rows)
	}
	if err != nil {
		return fmt.Errorf("export %s: %w", t.name, err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("export %s: %w", t.name, err)
	}
	return nil
}

// safeCell makes a CSV cell safe to open in a spreadsheet: invalid UTF-8
// is replaced, and a cell a spreadsheet would evaluate as a formula (it
// starts with = + - @, or a tab or carriage return that some strip before
// looking) gets a leading apostrophe, which spreadsheets show as text.
func safeCell(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func writeExportCSV(w io.Writer, t exportTable, rows [][]any) error {
	cw := csv.NewWriter(w)
	cw.UseCRLF = true // RFC 4180
	header := make([]string, len(t.cols))
	for i, c := range t.cols {
		header[i] = c.name
	}
	if err := cw.Write(header); err != nil {
		return err
	}
	for _, r := range rows {
		cells := make([]string, len(r))
		for i, v := range r {
			cells[i] = safeCell(cell(v))
		}
		if err := cw.Write(cells); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func writeExportJSONL(w io.Writer, t exportTable, rows [][]any) error {
	cols := append([]string{"record"}, make([]string, len(t.cols))...)
	for i, c := range t.cols {
		cols[i+1] = c.name
	}
	for _, r := range rows {
		vals := make([]any, len(r)+1)
		vals[0] = t.record
		for i, v := range r {
			jv, err := jsonValue(t.cols[i], v)
			if err != nil {
				return fmt.Errorf("%s %v: %w", t.record, r[0], err)
			}
			vals[i+1] = jv
		}
		line, err := orderedObject(cols, vals)
		if err != nil {
			return err
		}
		if _, err := w.Write(append(line, '\n')); err != nil {
			return err
		}
	}
	return nil
}

// jsonValue converts one view cell to its JSON lines form.
func jsonValue(c exportCol, v any) (any, error) {
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
		list := []string{}
		for _, s := range strings.Split(cell(v), sep) {
			if s = strings.TrimSpace(s); s != "" {
				list = append(list, s)
			}
		}
		return list, nil
	case colJSON:
		s := cell(v)
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
	if s, ok := v.(string); ok && !utf8.ValidString(s) {
		return strings.ToValidUTF8(s, "\uFFFD"), nil
	}
	return v, nil
}
