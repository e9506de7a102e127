package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/patchwatch/patchwatch/normalize"
	"github.com/patchwatch/patchwatch/store"
)

// runCadence answers the project's question for one host: built on a given
// day with a given product version, which patch events did it need in the
// following months, how far apart were they, and what did their fixes
// touch. It works on the patches, fixes and fix_patches tables alone, so
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
		fmt.Fprintln(e.stderr, "patchwatch cadence:", err)
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
	windowDays := daysBetween(start, end)
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
	var scope patchScope
	if single && !*compare {
		scope = patchScope{vendor: *vendor, product: *product, after: start, until: end}
	}
	data, err := loadPatchData(ctx, conn, scope)
	if err != nil {
		return fail(exitFatal, err)
	}

	var results []cadenceResult
	if single {
		q := cadenceQuery{vendor: *vendor, product: *product, version: *version, start: start, end: end, securityOnly: *securityOnly}
		r := data.cadence(q)
		if len(data.matching(q)) == 0 {
			names, err := productNames(ctx, conn)
			if err != nil {
				return fail(exitFatal, err)
			}
			fmt.Fprintf(e.stderr, "patchwatch cadence: no patches with a release date for %s %s %s in the database (products: %s)\n",
				*vendor, *product, *version, strings.Join(names, ", "))
		}
		results = append(results, r)
	}
	if *compare {
		for _, p := range data.products() {
			if single && strings.EqualFold(p.vendor, *vendor) && strings.EqualFold(p.product, *product) {
				continue
			}
			s := p.first.AddDate(0, 0, -1)
			q := cadenceQuery{vendor: p.vendor, product: p.product, start: s, end: s.AddDate(0, 0, windowDays), securityOnly: *securityOnly}
			results = append(results, data.cadence(q))
		}
	}

	if *format == "json" {
		var v any = results[0]
		if *compare {
			v = struct {
				WindowDays int             `json:"window_days"`
				Rows       []cadenceResult `json:"rows"`
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

// cadenceQuery selects one host's patches: a vendor/product, optionally one
// version, released after start and up to end.
type cadenceQuery struct {
	vendor, product, version string
	start, end               time.Time
	securityOnly             bool
}

// categoryCount is how many fixes of one category, and their share of all
// counted fixes (0 to 1).
type categoryCount struct {
	Category string  `json:"category"`
	Fixes    int     `json:"fixes"`
	Share    float64 `json:"share"`
}

// cadenceEvent is one maintenance window: the patches released that day.
type cadenceEvent struct {
	Date string `json:"date"`
	// DaysSincePrevious counts from the previous event, or from the build
	// day for the first one.
	DaysSincePrevious int      `json:"days_since_previous"`
	PatchIDs          []string `json:"patch_ids"`
	// Classification lists the patches' distinct classifications.
	Classification string `json:"classification"`
	// RebootRequired is true if any patch needs a host reboot, false if
	// every patch says it does not, and null otherwise.
	RebootRequired *bool           `json:"reboot_required"`
	Categories     []categoryCount `json:"categories"`
}

// cadenceResult is the answer for one host; its JSON field names are a
// public interface.
type cadenceResult struct {
	Vendor            string          `json:"vendor"`
	Product           string          `json:"product"`
	Version           string          `json:"version"`
	Built             string          `json:"built"`
	Until             string          `json:"until"`
	WindowDays        int             `json:"window_days"`
	SecurityOnly      bool            `json:"security_only"`
	Events            []cadenceEvent  `json:"events"`
	Count             int             `json:"count"`
	Patches           int             `json:"patches"`
	MeanDaysBetween   *float64        `json:"mean_days_between"`
	MedianDaysBetween *float64        `json:"median_days_between"`
	DaysPerEvent      *float64        `json:"days_per_event"`
	Fixes             int             `json:"fixes"`
	Categories        []categoryCount `json:"categories"`
}

// patchRow is what cadence needs of one patch.
type patchRow struct {
	id, vendor, product, version, classification string
	released                                     time.Time
	reboot                                       *bool
	security                                     bool
	fixes                                        []patchFix
}

type patchFix struct{ id, category string }

// patchData is every dated patch with its fixes, read once.
type patchData struct{ patches []patchRow }

// patchScope narrows what loadPatchData reads: one vendor and product in a
// window, or (the zero value) every dated patch, as --compare needs.
type patchScope struct {
	vendor, product string
	after, until    time.Time
}

func (s patchScope) where() (string, []any) {
	if s.vendor == "" {
		return "released IS NOT NULL", nil
	}
	return `vendor = lower(?) AND product = ? COLLATE NOCASE AND released > ? AND released <= ?`,
		[]any{s.vendor, s.product, s.after.Format(normalize.DateLayout), s.until.Format(normalize.DateLayout)}
}

// loadPatchData reads the dated patches in scope and the fixes linked to
// them, ordered so results are deterministic. Reading only one product's
// window keeps a single cadence fast however large the database. Patches
// are read from the table, not v_patches, whose per-row subqueries would
// visit each patch's fixes a second time; whether a patch is a security
// patch is worked out here, as v_patches does, from its classification and
// its fixes.
func loadPatchData(ctx context.Context, db *sql.DB, scope patchScope) (*patchData, error) {
	where, args := scope.where()
	_, rows, err := fetchAll(ctx, db, `
SELECT id, vendor, product, version, released, classification, reboot_required
FROM patches WHERE `+where+` ORDER BY released, vendor, product, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("read patches: %w", err)
	}
	d := &patchData{}
	index := map[string]int{}
	for _, r := range rows {
		day, err := time.Parse(normalize.DateLayout, cell(r[4]))
		if err != nil {
			return nil, fmt.Errorf("patch %s: release date: %w", cell(r[0]), err)
		}
		p := patchRow{
			id: cell(r[0]), vendor: cell(r[1]), product: cell(r[2]), version: cell(r[3]),
			released: day, classification: cell(r[5]),
			// As v_patches.security; a security fix among the links below also makes it one.
			security: strings.EqualFold(cell(r[5]), "security"),
		}
		if v, ok := r[6].(int64); ok {
			b := v == 1
			p.reboot = &b
		}
		index[p.id] = len(d.patches)
		d.patches = append(d.patches, p)
	}
	_, links, err := fetchAll(ctx, db, `
SELECT fp.patch_id, f.id, f.category, f.security FROM fix_patches fp JOIN fixes f ON f.id = fp.fix_id
WHERE fp.patch_id IN (SELECT id FROM patches WHERE `+where+`)
ORDER BY fp.patch_id, f.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("read fixes of patches: %w", err)
	}
	for _, l := range links {
		if i, ok := index[cell(l[0])]; ok {
			d.patches[i].fixes = append(d.patches[i].fixes, patchFix{id: cell(l[1]), category: cell(l[2])})
			d.patches[i].security = d.patches[i].security || l[3] == int64(1)
		}
	}
	return d, nil
}

// productNames lists every vendor/product with dated patches, for the
// message that says what the database does hold.
func productNames(ctx context.Context, db *sql.DB) ([]string, error) {
	_, rows, err := fetchAll(ctx, db, `SELECT DISTINCT vendor || ' ' || product FROM patches WHERE released IS NOT NULL ORDER BY 1`)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = cell(r[0])
	}
	return out, nil
}

// versionMatches reports whether a patch's version names want, either
// exactly or as one item of a comma-separated list.
func versionMatches(have, want string) bool {
	if want == "" || strings.EqualFold(have, want) {
		return true
	}
	for _, v := range strings.Split(have, ",") {
		if strings.EqualFold(strings.TrimSpace(v), want) {
			return true
		}
	}
	return false
}

// matching returns the patches of q's vendor, product and version,
// whatever their date.
func (d *patchData) matching(q cadenceQuery) []patchRow {
	var out []patchRow
	for _, p := range d.patches {
		if strings.EqualFold(p.vendor, q.vendor) && strings.EqualFold(p.product, q.product) && versionMatches(p.version, q.version) {
			out = append(out, p)
		}
	}
	return out
}

// product is one vendor/product with dated patches.
type product struct {
	vendor, product string
	first           time.Time
}

// products lists every vendor/product with dated patches, by vendor and
// product, with its first release day.
func (d *patchData) products() []product {
	byKey := map[[2]string]*product{}
	var out []product
	for _, p := range d.patches {
		k := [2]string{p.vendor, p.product}
		if pr, ok := byKey[k]; ok {
			if p.released.Before(pr.first) {
				pr.first = p.released
			}
			continue
		}
		byKey[k] = &product{vendor: p.vendor, product: p.product, first: p.released}
	}
	for _, p := range byKey {
		out = append(out, *p)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].vendor != out[j].vendor {
			return out[i].vendor < out[j].vendor
		}
		return out[i].product < out[j].product
	})
	return out
}

// cadence computes the events and figures for q.
func (d *patchData) cadence(q cadenceQuery) cadenceResult {
	r := cadenceResult{
		Vendor: q.vendor, Product: q.product, Version: q.version,
		Built: q.start.Format(normalize.DateLayout), Until: q.end.Format(normalize.DateLayout),
		WindowDays: daysBetween(q.start, q.end), SecurityOnly: q.securityOnly,
		Events: []cadenceEvent{}, Categories: []categoryCount{},
	}
	byDay := map[time.Time][]patchRow{}
	var days []time.Time
	for _, p := range d.matching(q) {
		if !p.released.After(q.start) || p.released.After(q.end) || (q.securityOnly && !p.security) {
			continue
		}
		if _, ok := byDay[p.released]; !ok {
			days = append(days, p.released)
		}
		byDay[p.released] = append(byDay[p.released], p)
	}
	sort.Slice(days, func(i, j int) bool { return days[i].Before(days[j]) })

	allFixes := map[string]string{}
	prev := q.start
	var gaps []float64
	for i, day := range days {
		ps := byDay[day]
		ev := cadenceEvent{Date: day.Format(normalize.DateLayout), DaysSincePrevious: daysBetween(prev, day)}
		if i > 0 {
			gaps = append(gaps, float64(ev.DaysSincePrevious))
		}
		prev = day
		var classes []string
		fixes := map[string]string{}
		reboot, known := false, true
		for _, p := range ps {
			ev.PatchIDs = append(ev.PatchIDs, p.id)
			if p.classification != "" {
				classes = append(classes, p.classification)
			}
			switch {
			case p.reboot == nil:
				known = false
			case *p.reboot:
				reboot = true
			}
			for _, f := range p.fixes {
				fixes[f.id] = f.category
				allFixes[f.id] = f.category
			}
		}
		sort.Strings(ev.PatchIDs)
		slices.Sort(classes)
		ev.Classification = strings.Join(slices.Compact(classes), ", ")
		if reboot || known {
			ev.RebootRequired = &reboot
		}
		ev.Categories = categoryShares(fixes)
		r.Events = append(r.Events, ev)
		r.Patches += len(ps)
	}
	r.Count = len(r.Events)
	r.Fixes = len(allFixes)
	r.Categories = categoryShares(allFixes)
	if len(gaps) > 0 {
		r.MeanDaysBetween = round2(mean(gaps))
		r.MedianDaysBetween = round2(median(gaps))
	}
	if r.Count > 0 {
		r.DaysPerEvent = round2(float64(r.WindowDays) / float64(r.Count))
	}
	return r
}

// categoryShares counts fixes (fix ID → category) per category, in the
// normalize.Categories order, leaving out categories with no fix.
func categoryShares(fixes map[string]string) []categoryCount {
	counts := map[string]int{}
	for _, c := range fixes {
		counts[c]++
	}
	out := []categoryCount{}
	for _, c := range normalize.Categories {
		if n := counts[string(c)]; n > 0 {
			out = append(out, categoryCount{Category: string(c), Fixes: n, Share: math.Round(float64(n)/float64(len(fixes))*10000) / 10000})
		}
	}
	return out
}

// daysBetween counts calendar days from a to b.
func daysBetween(a, b time.Time) int {
	return int(math.Round(b.Sub(a).Hours() / 24))
}

func mean(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// round2 rounds to two decimals so JSON output does not carry binary
// noise like 18.749999999.
func round2(x float64) *float64 {
	r := math.Round(x*100) / 100
	return &r
}

func fmtDays(p *float64) string {
	if p == nil {
		return "-"
	}
	return fmt.Sprintf("%.2f", *p)
}

func fmtReboot(b *bool) string {
	switch {
	case b == nil:
		return "unknown"
	case *b:
		return "yes"
	}
	return "no"
}

func fmtCategories(cs []categoryCount, withShare bool) string {
	var parts []string
	for _, c := range cs {
		if withShare {
			parts = append(parts, fmt.Sprintf("%s %d (%.1f%%)", c.Category, c.Fixes, c.Share*100))
		} else {
			parts = append(parts, fmt.Sprintf("%s %d", c.Category, c.Fixes))
		}
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, ", ")
}

func writeCadence(w io.Writer, r cadenceResult) error {
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
			ev.Classification, fmtReboot(ev.RebootRequired), fmtCategories(ev.Categories, false))
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
	fmt.Fprintf(tw, "mean days between events\t%s\n", fmtDays(r.MeanDaysBetween))
	fmt.Fprintf(tw, "median days between events\t%s\n", fmtDays(r.MedianDaysBetween))
	fmt.Fprintf(tw, "days per event\t%s\n", perEvent)
	fmt.Fprintf(tw, "fixes by category\t%s\n", fmtCategories(r.Categories, true))
	return tw.Flush()
}

func writeCadenceCompare(w io.Writer, windowDays int, rs []cadenceResult) error {
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
			r.Count, r.Patches, fmtDays(r.MeanDaysBetween), fmtDays(r.MedianDaysBetween), fmtDays(r.DaysPerEvent), r.Fixes)
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
