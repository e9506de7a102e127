package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/patchwatch/patchwatch/export"
	"github.com/patchwatch/patchwatch/internal/safefile"
	"github.com/patchwatch/patchwatch/store"
)

// runExport writes the dataset for other tools (package export). The output
// is deterministic — same database, same bytes — so exports can be diffed,
// committed and cached.
func runExport(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "export", "[--db PATH] --format csv|jsonl|osv|csaf --out DIR|- [--vendor V] [--since DATE] [--table T]",
		`Export advisories, patches and fixes.

  csv    RFC 4180 (CRLF line ends, UTF-8) with a header row; a cell that
         starts with = + - @ tab or CR gets a leading ' so a spreadsheet shows
         it as text instead of running it as a formula. Lists (CVEs, patch
         IDs) are space-separated; JSON columns (versions) stay JSON text.
  jsonl  one JSON object per line, "record" (advisory, patch, fix) first,
         then the view's columns; lists are arrays, flags true/false/null.
  osv    one OSV record per advisory (https://ossf.github.io/osv-schema/):
         id x_patchwatch-<vendor>-<vendor's ID>, the vendor's ID and the CVEs
         as aliases, "affected" per product with its versions, and
         database_specific carrying vendor, product, category, component and
         patch IDs. Unused advisory numbers are skipped; withdrawn ones carry
         "withdrawn". README.md describes the mapping.
  csaf   one CSAF 2.0 csaf_security_advisory per advisory
         (https://docs.oasis-open.org/csaf/csaf/v2.0/): product tree from the
         vendor's products and versions, one vulnerability per CVE, vendor
         fixes naming the patch IDs, patchwatch's category in a note.

--out DIR writes advisories.csv, patches.csv and fixes.csv (or .jsonl), or
one JSON file per advisory for osv and csaf. --out - writes to stdout: every
table for jsonl, a JSON array for osv and csaf, and one table (--table,
default fixes) for csv. Files are replaced, never written through a symlink.

--since keeps advisories published, and patches and fixes released, on or
after DATE; records without a date are then left out.

An advisory that cannot be exported (unreadable stored data, or a file name
another advisory already took) is skipped and reported; the others are
written and the exit code is 1.`)
	db := dbFlag(e, fs)
	format := fs.String("format", "", "csv, jsonl, osv or csaf (required)")
	out := fs.String("out", "", "output `DIR`, or - for stdout (required)")
	var vendors, tables listFlag
	fs.Var(&vendors, "vendor", "only this `vendor` (repeatable, or comma-separated)")
	since := fs.String("since", "", "only records dated on or after `DATE` (YYYY-MM-DD)")
	fs.Var(&tables, "table", "only these tables: advisories, patches, fixes (csv and jsonl)")
	if code, stop := parseFlags(fs, args); stop {
		return code
	}
	fail := func(code int, err error) int {
		fmt.Fprintln(e.stderr, "patchwatch export:", schemaHint(err))
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
	f := export.Filter{Vendors: vendors, Since: *since}
	var selected []export.Table
	for _, name := range tables {
		t, ok := export.TableByName(name)
		if !ok {
			return fail(exitFatal, fmt.Errorf("--table must be advisories, patches or fixes, not %q", name))
		}
		selected = append(selected, t)
	}
	if len(selected) == 0 {
		selected = export.Tables
		if *out == "-" && *format == "csv" {
			selected = []export.Table{export.Tables[2]} // fixes
		}
	}
	if *out == "-" && *format == "csv" && len(selected) != 1 {
		return fail(exitFatal, errors.New("csv to stdout holds one table: pick it with --table, or use --out DIR"))
	}
	switch *format {
	case "csv", "jsonl", "osv", "csaf":
	default:
		return fail(exitFatal, fmt.Errorf("--format must be csv, jsonl, osv or csaf, not %q", *format))
	}
	conn, err := store.OpenReadOnly(*db)
	if err != nil {
		return fail(exitFatal, err)
	}
	defer conn.Close()

	if *format == "osv" || *format == "csaf" {
		advs, bad, err := export.LoadAdvisories(ctx, conn, f)
		if err != nil {
			return fail(exitFatal, err)
		}
		var n int
		if *format == "osv" {
			recs := make([]export.OSVRecord, 0, len(advs))
			for _, a := range advs {
				recs = append(recs, export.OSV(a))
			}
			n, err = writeDocs(e.stdout, *out, recs, func(r export.OSVRecord) string { return r.ID }, export.FileName)
		} else {
			docs := make([]export.CSAFDocument, 0, len(advs))
			for _, a := range advs {
				d, err := export.CSAF(a)
				if err != nil {
					bad = append(bad, err)
					continue
				}
				docs = append(docs, d)
			}
			n, err = writeDocs(e.stdout, *out, docs, func(d export.CSAFDocument) string { return d.Document.Tracking.ID }, export.CSAFFileName)
		}
		if err != nil {
			bad = append(bad, err)
		}
		fmt.Fprintf(e.stderr, "export: %d %s documents\n", n, *format)
		if len(bad) > 0 {
			for _, b := range bad {
				fmt.Fprintln(e.stderr, "patchwatch export: skipped:", b)
			}
			return exitPartial
		}
		return exitOK
	}
	for _, t := range selected {
		rows, err := t.Rows(ctx, conn, f)
		if err != nil {
			return fail(exitFatal, err)
		}
		write := t.WriteCSV
		if *format == "jsonl" {
			write = t.WriteJSONL
		}
		if *out == "-" {
			err = write(e.stdout, rows)
		} else if err = os.MkdirAll(*out, 0o755); err == nil {
			err = safefile.WriteFunc(filepath.Join(*out, t.Name+"."+*format), func(w io.Writer) error { return write(w, rows) })
		}
		if err != nil {
			return fail(exitFatal, fmt.Errorf("%s: %w", t.Name, err))
		}
		fmt.Fprintf(e.stderr, "export: %s: %d rows\n", t.Name, len(rows))
	}
	return exitOK
}

// writeDocs writes OSV or CSAF documents to stdout as one array, or one
// file each into dir; it returns how many it wrote.
func writeDocs[T any](stdout io.Writer, out string, docs []T, id func(T) string, name func(string) (string, error)) (int, error) {
	if out == "-" {
		if err := export.WriteArray(stdout, docs); err != nil {
			return 0, err
		}
		return len(docs), nil
	}
	return export.WriteDir(out, docs, id, name)
}
