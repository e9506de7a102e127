package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/patchwatch/patchwatch/analysis"
	"github.com/patchwatch/patchwatch/normalize"
	"github.com/patchwatch/patchwatch/store"
)

// runCadence answers the project's question for one host: built on a given
// day with a given product version, which patch events did it need in the
// following months, how far apart were they, and what did their fixes
// touch (package analysis, over v_patches and v_fix_patches alone), so
// every vendor with patch release dates takes part.
func runCadence(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "cadence", "[--db PATH] --vendor V --product P [--version X] --built DATE [--until DATE | --months N] [--security-only] [--compare] [--format table|json]",
		`List the patch events a host of one product version needed after it was
built, then how often they came and what the fixes touched.

A patch event is one release date on which at least one patch for that
vendor, product and version came out; patches released the same day are
installed in one maintenance window. The window runs from the day after
--built to --until (or --months after --built; 12 months by default),
both inclusive of patches released on them except the build day itself:
a host built on a patch's release day is taken to have it.

Figures: count of events; mean and median days between consecutive events
(null with fewer than two); days per event = window days / count (the
seed's "a patch every 18.75 days" is 150 days / 8); and the share of the
events' fixes by category. --security-only keeps patches classified
Security or carrying a security fix.

--version matches the patch's version exactly or as one item of a
comma-separated list ("4.5.x" matches "xen-unstable, 4.5.x"); without it
every version of the product counts. Vendor and product ignore case.

--compare adds one row per other vendor/product with patch data, each over
a window of the same length that starts the day before that product's
first recorded patch (the data holds no build dates for them), all
versions together. Without --vendor/--product, --compare lists every
product that way and needs --months (or --built and --until for the
length).

Example:
  patchwatch cadence --vendor vmware --product ESX --version 3.0.2 \
      --built 2007-07-02 --until 2007-12-02`)
	db := dbFlag(e, fs)
	vendor := fs.String("vendor", "", "vendor, e.g. vmware or xen")
	product := fs.String("product", "", "product, e.g. ESX")
	version := fs.String("version", "", "product version, e.g. 3.0.2 (default: every version)")
	built := fs.String("built", "", "the day the host was built, YYYY-MM-DD")
	until := fs.String("until", "", "last day of the window, YYYY-MM-DD")
	months := fs.Int("months", 0, "window length in months after --built (default 12 when --until is absent)")
	securityOnly := fs.Bool("security-only", false, "count only security patches")
	compare := fs.Bool("compare", false, "add every other vendor/product over a window of the same length")
	format := fs.String("format", "table", "output format: table or json")
	if code, stop := parseFlags(fs, args); stop {
		return code
	}
	fail := func(code int, err error) int {
		fmt.Fprintln(e.stderr, "patchwatch cadence:", schemaHint(err))
		return code
	}
	if fs.NArg() != 0 {
		return fail(exitFatal, fmt.Errorf("unexpected arguments %q", fs.Args()))
	}
	if *format != "table" && *format != "json" {
		return fail(exitFatal, fmt.Errorf("--format must be table or json, not %q", *format))
	}
	single := *vendor != "" || *product != ""
	if single && (*vendor == "" || *product == "") {
		return fail(exitFatal, errors.New("--vendor and --product go together"))
	}
	if !single && !*compare {
		return fail(exitFatal, errors.New("need --vendor, --product and --built (or --compare)"))
	}
	if *until != "" && *months != 0 {
		return fail(exitFatal, errors.New("give --until or --months, not both"))
	}
	if *months < 0 {
		return fail(exitFatal, errors.New("--months must be positive"))
	}
	var start, end time.Time
	var err error
	if *built != "" {
		if start, err = parseDay("built", *built); err != nil {
			return fail(exitFatal, err)
		}
	} else if single {
		return fail(exitFatal, errors.New("--built DATE is required: the window starts when the host was built"))
	}
	switch {
	case *until != "":
		if end, err = parseDay("until", *until); err != nil {
			return fail(exitFatal, err)
		}
		if *built == "" {
			return fail(exitFatal, errors.New("--until needs --built"))
		}
		if !end.After(start) {
			return fail(exitFatal, fmt.Errorf("--until %s is not after --built %s", *until, *built))
		}
	case *months > 0 && *built != "":
		end = start.AddDate(0, *months, 0)
	case *built != "":
		end = start.AddDate(0, 12, 0)
	}
	windowDays := analysis.DaysBetween(start, end)
	if !single && *built == "" {
		if *months == 0 {
			return fail(exitFatal, errors.New("--compare without --built needs --months for the window length"))
		}
		// A calendar-free length: N months from a fixed day is not the
		// same everywhere, so use 365.25/12 days per month.
		windowDays = int(math.Round(float64(*months) * 365.25 / 12))
	}

	conn, err := store.OpenReadOnly(*db)
	if err != nil {
		return fail(exitFatal, err)
	}
	defer conn.Close()
	var scope analysis.Scope
	if single && !*compare {
		scope = analysis.Scope{Vendor: *vendor, Product: *product, After: start, Until: end}
	}
	data, err := analysis.LoadPatchData(ctx, conn, scope)
	if err != nil {
		return fail(exitFatal, err)
	}

	var results []analysis.Result
	if single {
		q := analysis.Query{Vendor: *vendor, Product: *product, Version: *version, Start: start, End: end, SecurityOnly: *securityOnly}
		r := data.Cadence(q)
		if len(data.Matching(q)) == 0 {
			names, err := analysis.ProductNames(ctx, conn)
			if err != nil {
				return fail(exitFatal, err)
			}
			fmt.Fprintf(e.stderr, "patchwatch cadence: no patches with a release date for %s %s %s in the database (products: %s)\n",
				*vendor, *product, *version, strings.Join(names, ", "))
		}
		results = append(results, r)
	}
	if *compare {
		for _, p := range data.Products() {
			if single && strings.EqualFold(p.Vendor, *vendor) && strings.EqualFold(p.Product, *product) {
				continue
			}
			s := p.First.AddDate(0, 0, -1)
			q := analysis.Query{Vendor: p.Vendor, Product: p.Product, Start: s, End: s.AddDate(0, 0, windowDays), SecurityOnly: *securityOnly}
			results = append(results, data.Cadence(q))
		}
	}

	if *format == "json" {
		var v any = results[0]
		if *compare {
			v = struct {
				WindowDays int               `json:"window_days"`
				Rows       []analysis.Result `json:"rows"`
			}{windowDays, results}
		}
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(v); err != nil {
			return fail(exitFatal, err)
		}
		return exitOK
	}
	if *compare {
		err = writeCadenceCompare(e.stdout, windowDays, results)
	} else {
		err = writeCadence(e.stdout, results[0])
	}
	if err != nil {
		return fail(exitFatal, err)
	}
	return exitOK
}

func writeCadence(w io.Writer, r analysis.Result) error {
	version := r.Version
	if version == "" {
		version = "(all versions)"
	}
	scope := "all patches"
	if r.SecurityOnly {
		scope = "security patches only"
	}
	fmt.Fprintf(w, "%s %s %s, host built %s, window to %s (%d days), %s\n\n",
		r.Vendor, r.Product, version, r.Built, r.Until, r.WindowDays, scope)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "date\tdays\tpatches\tclassification\treboot\tfixes by category")
	for _, ev := range r.Events {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\n", ev.Date, ev.DaysSincePrevious, strings.Join(ev.PatchIDs, " "),
			ev.Classification, analysis.FormatReboot(ev.RebootRequired), analysis.FormatCategories(ev.Categories, false))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	perEvent := "-"
	if r.DaysPerEvent != nil {
		perEvent = fmt.Sprintf("%.2f (%d days / %d events)", *r.DaysPerEvent, r.WindowDays, r.Count)
	}
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "patch events\t%d\n", r.Count)
	fmt.Fprintf(tw, "patches\t%d\n", r.Patches)
	fmt.Fprintf(tw, "mean days between events\t%s\n", analysis.FormatDays(r.MeanDaysBetween))
	fmt.Fprintf(tw, "median days between events\t%s\n", analysis.FormatDays(r.MedianDaysBetween))
	fmt.Fprintf(tw, "days per event\t%s\n", perEvent)
	fmt.Fprintf(tw, "fixes by category\t%s\n", analysis.FormatCategories(r.Categories, true))
	return tw.Flush()
}

func writeCadenceCompare(w io.Writer, windowDays int, rs []analysis.Result) error {
	fmt.Fprintf(w, "every product over %d days; days = mean / median days between events, days per event\n\n", windowDays)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	header := "vendor\tproduct\tversion\tfrom\tto\tevents\tpatches\tmean\tmedian\tdays/event\tfixes"
	for _, c := range normalize.Categories {
		header += "\t" + string(c)
	}
	fmt.Fprintln(tw, header)
	for _, r := range rs {
		version := r.Version
		if version == "" {
			version = "all"
		}
		line := fmt.Sprintf("%s\t%s\t%s\t%s\t%s\t%d\t%d\t%s\t%s\t%s\t%d", r.Vendor, r.Product, version, r.Built, r.Until,
			r.Count, r.Patches, analysis.FormatDays(r.MeanDaysBetween), analysis.FormatDays(r.MedianDaysBetween), analysis.FormatDays(r.DaysPerEvent), r.Fixes)
		for _, c := range normalize.Categories {
			share := "-"
			for _, rc := range r.Categories {
				if rc.Category == string(c) {
					share = fmt.Sprintf("%.0f%%", rc.Share*100)
				}
			}
			line += "\t" + share
		}
		fmt.Fprintln(tw, line)
	}
	return tw.Flush()
}
