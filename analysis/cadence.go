// Package analysis answers the project's questions from the documented
// views (docs/schema.md): how often a host of one product version needed
// patching and what the patches touched (cadence), and which advisories and
// fixes mention some words (search). It returns data; cmd/patchwatch prints
// it and package report draws it.
package analysis

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/patchwatch/patchwatch/internal/sqlrows"
	"github.com/patchwatch/patchwatch/normalize"
)

// Query selects one host's patches: a vendor/product, optionally one
// version, released after start and up to end.
type Query struct {
	Vendor, Product, Version string
	Start, End               time.Time
	SecurityOnly             bool
}

// CategoryCount is how many fixes of one category, and their share of all
// counted fixes (0 to 1).
type CategoryCount struct {
	Category string  `json:"category"`
	Fixes    int     `json:"fixes"`
	Share    float64 `json:"share"`
}

// Event is one maintenance window: the patches released that day.
type Event struct {
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
	Categories     []CategoryCount `json:"categories"`
	// Archived lists the event's patches whose page was read from an
	// Internet Archive capture (harvest --history), with that capture.
	Archived []Archived `json:"archived,omitempty"`
}

// Archived is where a patch known from the Internet Archive came from: the
// vendor page it was last written from, when the archive captured that
// page, and the capture's address.
type Archived struct {
	PatchID    string `json:"patch_id"`
	Page       string `json:"page"`
	CapturedAt string `json:"captured_at"`
	ArchiveURL string `json:"archive_url"`
}

// Result is the answer for one host; its JSON field names are a
// public interface.
type Result struct {
	Vendor            string          `json:"vendor"`
	Product           string          `json:"product"`
	Version           string          `json:"version"`
	Built             string          `json:"built"`
	Until             string          `json:"until"`
	WindowDays        int             `json:"window_days"`
	SecurityOnly      bool            `json:"security_only"`
	Events            []Event         `json:"events"`
	Count             int             `json:"count"`
	Patches           int             `json:"patches"`
	MeanDaysBetween   *float64        `json:"mean_days_between"`
	MedianDaysBetween *float64        `json:"median_days_between"`
	DaysPerEvent      *float64        `json:"days_per_event"`
	Fixes             int             `json:"fixes"`
	Categories        []CategoryCount `json:"categories"`
}

// patchRow is what cadence needs of one patch.
type patchRow struct {
	id, vendor, product, version, classification string
	released                                     time.Time
	reboot                                       *bool
	security                                     bool
	fixes                                        []patchFix
	archived                                     *Archived
}

type patchFix struct{ id, category string }

// PatchData is every dated patch with its fixes, read once.
type PatchData struct{ patches []patchRow }

// Scope narrows what LoadPatchData reads: one vendor and product in a
// window, or (the zero value) every dated patch, as --compare needs.
type Scope struct {
	Vendor, Product string
	After, Until    time.Time
}

func (s Scope) where() (string, []any) {
	if s.Vendor == "" {
		return "released IS NOT NULL", nil
	}
	return `vendor = lower(?) AND product = ? COLLATE NOCASE AND released > ? AND released <= ?`,
		[]any{s.Vendor, s.Product, s.After.Format(normalize.DateLayout), s.Until.Format(normalize.DateLayout)}
}

// LoadPatchData reads the dated patches in scope and the fixes linked to
// them, ordered so results are deterministic. Reading only one product's
// window keeps a single cadence fast however large the database. Only
// v_patches' plain columns are read (SQLite then skips its per-row
// subqueries); whether a patch is a security patch is worked out here, as
// v_patches.security does, from its classification and its fixes
// (v_fix_patches).
func LoadPatchData(ctx context.Context, db *sql.DB, scope Scope) (*PatchData, error) {
	where, args := scope.where()
	_, rows, err := sqlrows.All(ctx, db, `
SELECT id, vendor, product, version, released, classification, reboot_required
FROM v_patches WHERE `+where+` ORDER BY released, vendor, product, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("read patches: %w", err)
	}
	d := &PatchData{}
	// Patch IDs are the vendor's own: a patch is its vendor and ID.
	type patchKey struct{ vendor, id string }
	index := map[patchKey]int{}
	for _, r := range rows {
		day, err := time.Parse(normalize.DateLayout, sqlrows.Cell(r[4]))
		if err != nil {
			return nil, fmt.Errorf("patch %s: release date: %w", sqlrows.Cell(r[0]), err)
		}
		p := patchRow{
			id: sqlrows.Cell(r[0]), vendor: sqlrows.Cell(r[1]), product: sqlrows.Cell(r[2]), version: sqlrows.Cell(r[3]),
			released: day, classification: sqlrows.Cell(r[5]),
			// As v_patches.security; a security fix among the links below also makes it one.
			security: strings.EqualFold(sqlrows.Cell(r[5]), "security"),
		}
		if v, ok := r[6].(int64); ok {
			b := v == 1
			p.reboot = &b
		}
		index[patchKey{p.vendor, p.id}] = len(d.patches)
		d.patches = append(d.patches, p)
	}
	_, links, err := sqlrows.All(ctx, db, `
SELECT patch_id, fix_id, category, security, vendor FROM v_fix_patches
WHERE (vendor, patch_id) IN (SELECT vendor, id FROM v_patches WHERE `+where+`)
ORDER BY vendor, patch_id, fix_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("read fixes of patches: %w", err)
	}
	for _, l := range links {
		if i, ok := index[patchKey{sqlrows.Cell(l[4]), sqlrows.Cell(l[0])}]; ok {
			d.patches[i].fixes = append(d.patches[i].fixes, patchFix{id: sqlrows.Cell(l[1]), category: sqlrows.Cell(l[2])})
			d.patches[i].security = d.patches[i].security || l[3] == int64(1)
		}
	}
	_, sources, err := sqlrows.All(ctx, db, `
SELECT vendor, id, document_url, captured_at, archive_url FROM v_patch_provenance
WHERE archive_url <> '' AND (vendor, id) IN (SELECT vendor, id FROM v_patches WHERE `+where+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("read patch provenance: %w", err)
	}
	for _, s := range sources {
		if i, ok := index[patchKey{sqlrows.Cell(s[0]), sqlrows.Cell(s[1])}]; ok {
			d.patches[i].archived = &Archived{PatchID: sqlrows.Cell(s[1]), Page: sqlrows.Cell(s[2]),
				CapturedAt: sqlrows.Cell(s[3]), ArchiveURL: sqlrows.Cell(s[4])}
		}
	}
	return d, nil
}

// ProductNames lists every vendor/product with dated patches, for the
// message that says what the database does hold.
func ProductNames(ctx context.Context, db *sql.DB) ([]string, error) {
	_, rows, err := sqlrows.All(ctx, db, `SELECT DISTINCT vendor || ' ' || product FROM v_patches WHERE released IS NOT NULL ORDER BY 1`)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = sqlrows.Cell(r[0])
	}
	return out, nil
}

// VersionMatches reports whether a patch's version names want, either
// exactly or as one item of a comma-separated list.
func VersionMatches(have, want string) bool {
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
func (d *PatchData) Matching(q Query) []patchRow {
	var out []patchRow
	for _, p := range d.patches {
		if strings.EqualFold(p.vendor, q.Vendor) && strings.EqualFold(p.product, q.Product) && VersionMatches(p.version, q.Version) {
			out = append(out, p)
		}
	}
	return out
}

// Product is one vendor/product with dated patches and its first release
// day.
type Product struct {
	Vendor, Product string
	First           time.Time
}

// products lists every vendor/product with dated patches, by vendor and
// product, with its first release day.
func (d *PatchData) Products() []Product {
	byKey := map[[2]string]*Product{}
	var out []Product
	for _, p := range d.patches {
		k := [2]string{p.vendor, p.product}
		if pr, ok := byKey[k]; ok {
			if p.released.Before(pr.First) {
				pr.First = p.released
			}
			continue
		}
		byKey[k] = &Product{Vendor: p.vendor, Product: p.product, First: p.released}
	}
	for _, p := range byKey {
		out = append(out, *p)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Vendor != out[j].Vendor {
			return out[i].Vendor < out[j].Vendor
		}
		return out[i].Product < out[j].Product
	})
	return out
}

// cadence computes the events and figures for q.
func (d *PatchData) Cadence(q Query) Result {
	r := Result{
		Vendor: q.Vendor, Product: q.Product, Version: q.Version,
		Built: q.Start.Format(normalize.DateLayout), Until: q.End.Format(normalize.DateLayout),
		WindowDays: DaysBetween(q.Start, q.End), SecurityOnly: q.SecurityOnly,
		Events: []Event{}, Categories: []CategoryCount{},
	}
	byDay := map[time.Time][]patchRow{}
	var days []time.Time
	for _, p := range d.Matching(q) {
		if !p.released.After(q.Start) || p.released.After(q.End) || (q.SecurityOnly && !p.security) {
			continue
		}
		if _, ok := byDay[p.released]; !ok {
			days = append(days, p.released)
		}
		byDay[p.released] = append(byDay[p.released], p)
	}
	sort.Slice(days, func(i, j int) bool { return days[i].Before(days[j]) })

	allFixes := map[string]string{}
	prev := q.Start
	var gaps []float64
	for i, day := range days {
		ps := byDay[day]
		ev := Event{Date: day.Format(normalize.DateLayout), DaysSincePrevious: DaysBetween(prev, day)}
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
			if p.archived != nil {
				ev.Archived = append(ev.Archived, *p.archived)
			}
		}
		sort.Strings(ev.PatchIDs)
		sort.Slice(ev.Archived, func(i, j int) bool { return ev.Archived[i].PatchID < ev.Archived[j].PatchID })
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
	r.MeanDaysBetween, r.MedianDaysBetween = MeanMedian(gaps)
	if r.Count > 0 {
		r.DaysPerEvent = round2(float64(r.WindowDays) / float64(r.Count))
	}
	return r
}

// categoryShares counts fixes (fix ID → category) per category, in the
// normalize.Categories order, leaving out categories with no fix.
func categoryShares(fixes map[string]string) []CategoryCount {
	counts := map[string]int{}
	for _, c := range fixes {
		counts[c]++
	}
	out := []CategoryCount{}
	for _, c := range normalize.Categories {
		if n := counts[string(c)]; n > 0 {
			out = append(out, CategoryCount{Category: string(c), Fixes: n, Share: math.Round(float64(n)/float64(len(fixes))*10000) / 10000})
		}
	}
	return out
}

// DaysBetween counts calendar days from a to b.
func DaysBetween(a, b time.Time) int {
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

// History is the cadence of a product over all its recorded patches and
// versions: from the day before its first patch to its last.
func (d *PatchData) History(p Product) Result {
	last := p.First
	for _, pr := range d.Matching(Query{Vendor: p.Vendor, Product: p.Product}) {
		if pr.released.After(last) {
			last = pr.released
		}
	}
	return d.Cadence(Query{Vendor: p.Vendor, Product: p.Product, Start: p.First.AddDate(0, 0, -1), End: last})
}

// MeanMedian returns the mean and median of v rounded to two decimals, or
// nils when v is empty.
func MeanMedian(v []float64) (meanV, medianV *float64) {
	if len(v) == 0 {
		return nil, nil
	}
	return round2(mean(v)), round2(median(v))
}

// Security reports, for each loaded patch ID, whether cadence counts it as
// a security patch (--security-only): classified Security, or carrying a
// security fix, as v_patches.security says.
func (d *PatchData) Security() map[string]bool {
	out := make(map[string]bool, len(d.patches))
	for _, p := range d.patches {
		out[p.id] = p.security
	}
	return out
}
