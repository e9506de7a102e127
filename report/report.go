// Package report draws the project's picture: one self-contained HTML file
// with inline SVG charts (patch events per product over time, fixes by
// category per year, days between patch events) and the tables behind them.
//
// Load gathers the figures through package analysis and the documented
// views; WriteHTML lays them out with html/template, so every text from the
// database is escaped by the template engine in its context rather than by
// hand. Nothing depends on the clock: the same database gives the same file.
package report

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/patchwatch/patchwatch/analysis"
	"github.com/patchwatch/patchwatch/normalize"
)

// Report is what the HTML shows.
type Report struct {
	products []product
	fixYears []yearCounts
}

// product is one vendor/product's patch events over all versions.
type product struct {
	vendor, product string
	events          []analysis.Event
	days            []time.Time
}

func (p product) name() string { return p.vendor + " " + p.product }

// yearCounts is one vendor's fixes per year and category.
type yearCounts struct {
	vendor string
	years  []int
	counts map[int]map[string]int
}

// Products is how many vendor/products have dated patches in the report.
func (r *Report) Products() int { return len(r.products) }

// Events is how many patch events the report shows.
func (r *Report) Events() int {
	n := 0
	for _, p := range r.products {
		n += len(p.events)
	}
	return n
}

// Fixes is how many dated fixes the report counts.
func (r *Report) Fixes() int {
	n := 0
	for _, y := range r.fixYears {
		for _, c := range y.counts {
			for _, k := range c {
				n += k
			}
		}
	}
	return n
}

// Load reads the figures for vendors (every vendor when empty).
func Load(ctx context.Context, db *sql.DB, vendors []string) (*Report, error) {
	data, err := analysis.LoadPatchData(ctx, db, analysis.Scope{})
	if err != nil {
		return nil, err
	}
	keep := func(v string) bool {
		if len(vendors) == 0 {
			return true
		}
		for _, w := range vendors {
			if strings.EqualFold(v, w) {
				return true
			}
		}
		return false
	}
	r := &Report{}
	for _, p := range data.Products() {
		if !keep(p.Vendor) {
			continue
		}
		res := data.History(p)
		rp := product{vendor: p.Vendor, product: p.Product, events: res.Events}
		for _, ev := range res.Events {
			d, err := time.Parse(normalize.DateLayout, ev.Date)
			if err != nil {
				return nil, fmt.Errorf("%s event %q: %w", rp.name(), ev.Date, err)
			}
			rp.days = append(rp.days, d)
		}
		r.products = append(r.products, rp)
	}
	rs, err := db.QueryContext(ctx, `
SELECT vendor, CAST(substr(released, 1, 4) AS INTEGER) AS year, category, count(*)
FROM v_fixes WHERE released IS NOT NULL
GROUP BY vendor, year, category ORDER BY vendor, year, category`)
	if err != nil {
		return nil, fmt.Errorf("read fixes per year: %w", err)
	}
	defer rs.Close()
	byVendor := map[string]*yearCounts{}
	var order []string
	for rs.Next() {
		var v, category string
		var y, n int
		if err := rs.Scan(&v, &y, &category, &n); err != nil {
			return nil, fmt.Errorf("read fixes per year: %w", err)
		}
		if !keep(v) {
			continue
		}
		yc := byVendor[v]
		if yc == nil {
			yc = &yearCounts{vendor: v, counts: map[int]map[string]int{}}
			byVendor[v] = yc
			order = append(order, v)
		}
		if yc.counts[y] == nil {
			yc.counts[y] = map[string]int{}
		}
		yc.counts[y][category] += n
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("read fixes per year: %w", err)
	}
	for _, v := range order {
		yc := byVendor[v]
		lo, hi := math.MaxInt, math.MinInt
		for y := range yc.counts {
			lo, hi = min(lo, y), max(hi, y)
		}
		for y := lo; y <= hi; y++ { // empty years stay visible as gaps
			yc.years = append(yc.years, y)
		}
		r.fixYears = append(r.fixYears, *yc)
	}
	return r, nil
}
