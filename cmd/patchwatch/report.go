package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/patchwatch/patchwatch/internal/safefile"
	"github.com/patchwatch/patchwatch/report"
	"github.com/patchwatch/patchwatch/store"
)

// runReport writes the project's picture (package report): one HTML file
// with inline SVG charts and the tables behind them, readable offline and
// mailable as one attachment.
func runReport(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "report", "[--db PATH] --out FILE|- [--vendor V]",
		`Write a self-contained HTML report (inline SVG and CSS, no scripts, no
network at view time):

  1. a timeline of patch events per product (one row per vendor/product,
     each dot one release day, coloured by what most of its fixes touch);
  2. fixes by category per year per vendor (stacked bars; a fix's year is
     its first patch's release year, else its advisory's);
  3. the distribution of days between consecutive patch events;

each followed by the table it is drawn from.`)
	db := dbFlag(e, fs)
	out := fs.String("out", "", "output `FILE`, or - for stdout (required)")
	var vendors listFlag
	fs.Var(&vendors, "vendor", "only this `vendor` (repeatable, or comma-separated)")
	if code, stop := parseFlags(fs, args); stop {
		return code
	}
	fail := func(code int, err error) int {
		fmt.Fprintln(e.stderr, "patchwatch report:", schemaHint(err))
		return code
	}
	if fs.NArg() != 0 {
		return fail(exitFatal, fmt.Errorf("unexpected arguments %q", fs.Args()))
	}
	if *out == "" {
		return fail(exitFatal, errors.New("--out FILE (or --out -) is required"))
	}
	conn, err := store.OpenReadOnly(*db)
	if err != nil {
		return fail(exitFatal, err)
	}
	defer conn.Close()
	rep, err := report.Load(ctx, conn, vendors)
	if err != nil {
		return fail(exitFatal, err)
	}
	if *out == "-" {
		err = rep.WriteHTML(e.stdout)
	} else {
		// Replace the file by rename: a symlink planted at --out is
		// replaced, never followed (issue 15).
		err = safefile.WriteFunc(*out, rep.WriteHTML)
	}
	if err != nil {
		return fail(exitFatal, fmt.Errorf("write %s: %w", *out, err))
	}
	if *out != "-" {
		fmt.Fprintf(e.stderr, "report: %s: %d products, %d patch events, %d fixes\n", *out, rep.Products(), rep.Events(), rep.Fixes())
	}
	return exitOK
}
