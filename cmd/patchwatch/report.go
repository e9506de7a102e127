package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"html"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/patchwatch/patchwatch/analysis"
	"github.com/patchwatch/patchwatch/internal/safefile"
	"github.com/patchwatch/patchwatch/normalize"
	"github.com/patchwatch/patchwatch/store"
)

// runReport writes the project's picture: one HTML file with inline SVG
// charts and the tables behind them, readable offline and mailable as one
// attachment. Nothing in it depends on the clock, so the same database
// gives the same file.
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
		fmt.Fprintln(e.stderr, "patchwatch report:", err)
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
	rep, err := loadReport(ctx, conn, vendors)
	if err != nil {
		return fail(exitFatal, err)
	}
	var b strings.Builder
	rep.write(&b)
	if *out == "-" {
		_, err = io.WriteString(e.stdout, b.String())
	} else {
		// Replace the file by rename: a symlink planted at --out is
		// replaced, never followed (issue 15).
		err = safefile.Write(*out, []byte(b.String()))
	}
	if err != nil {
		return fail(exitFatal, fmt.Errorf("write %s: %w", *out, err))
	}
	if *out != "-" {
		fmt.Fprintf(e.stderr, "report: %s: %d products, %d patch events, %d fixes\n", *out, len(rep.products), rep.eventCount(), rep.fixCount())
	}
	return exitOK
}

// reportProduct is one vendor/product's patch events over all versions.
type reportProduct struct {
	vendor, product string
	events          []analysis.Event
	days            []time.Time
}

func (p reportProduct) name() string { return p.vendor + " " + p.product }

// yearCounts is one vendor's fixes per year and category.
type yearCounts struct {
	vendor string
	years  []int
	counts map[int]map[string]int
}

type report struct {
	products []reportProduct
	fixYears []yearCounts
}

func (r *report) eventCount() int {
	n := 0
	for _, p := range r.products {
		n += len(p.events)
	}
	return n
}

func (r *report) fixCount() int {
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

func loadReport(ctx context.Context, db *sql.DB, vendors []string) (*report, error) {
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
	r := &report{}
	for _, p := range data.Products() {
		if !keep(p.Vendor) {
			continue
		}
		res := data.History(p)
		rp := reportProduct{vendor: p.Vendor, product: p.Product, events: res.Events}
		for _, ev := range res.Events {
			d, _ := time.Parse(normalize.DateLayout, ev.Date) // written by cadence
			rp.days = append(rp.days, d)
		}
		r.products = append(r.products, rp)
	}
	_, rows, err := fetchAll(ctx, db, `
SELECT vendor, CAST(substr(released, 1, 4) AS INTEGER) AS year, category, count(*)
FROM v_fixes WHERE released IS NOT NULL
GROUP BY vendor, year, category ORDER BY vendor, year, category`)
	if err != nil {
		return nil, fmt.Errorf("read fixes per year: %w", err)
	}
	byVendor := map[string]*yearCounts{}
	var order []string
	for _, row := range rows {
		v := cell(row[0])
		if !keep(v) {
			continue
		}
		y, _ := row[1].(int64)
		yc := byVendor[v]
		if yc == nil {
			yc = &yearCounts{vendor: v, counts: map[int]map[string]int{}}
			byVendor[v] = yc
			order = append(order, v)
		}
		if yc.counts[int(y)] == nil {
			yc.counts[int(y)] = map[string]int{}
		}
		n, _ := row[3].(int64)
		yc.counts[int(y)][cell(row[2])] += int(n)
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

// categoryColors are fixed per category so every chart reads the same;
// chosen to stay apart for the common colour-vision deficiencies.
var categoryColors = map[string]string{
	"console-os":      "#d55e00",
	"vmm":             "#0072b2",
	"hardware-compat": "#009e73",
	"feature":         "#cc79a7",
	"unclassified":    "#999999",
}

// productColors tell products apart in the histogram; they avoid the
// category colours so a bar is never read as a category.
var productColors = []string{"#4d4d4d", "#e69f00", "#56b4e9", "#8c6bb1", "#b8860b", "#7fbf7b", "#1a1a1a", "#f0e442"}

// gapBins are the histogram's bins of days between events.
var gapBins = []struct {
	label  string
	lo, hi int
}{
	{"1–7", 1, 7}, {"8–14", 8, 14}, {"15–30", 15, 30}, {"31–60", 31, 60},
	{"61–90", 61, 90}, {"91–180", 91, 180}, {"181–365", 181, 365}, {"366+", 366, math.MaxInt},
}

var esc = html.EscapeString

func (r *report) write(w *strings.Builder) {
	w.WriteString(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>patchwatch report</title>
<style>
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #222; margin: 24px auto; max-width: 1240px; padding: 0 16px; }
h1 { font-size: 24px; margin-bottom: 4px; }
h2 { font-size: 19px; margin-top: 36px; border-bottom: 1px solid #ccc; padding-bottom: 4px; }
h3 { font-size: 15px; margin: 18px 0 6px; }
p.note { color: #555; max-width: 900px; }
table { border-collapse: collapse; margin: 8px 0 16px; font-size: 13px; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.nw { white-space: nowrap; }
.charts { display: flex; flex-wrap: wrap; gap: 8px 40px; align-items: flex-end; }
details { margin: 6px 0 14px; }
summary { cursor: pointer; color: #0b5cad; }
svg { display: block; margin: 8px 0; }
svg text { font: 12px system-ui, -apple-system, "Segoe UI", sans-serif; fill: #222; }
.legend span { display: inline-block; margin-right: 16px; }
.legend i { display: inline-block; width: 12px; height: 12px; margin-right: 5px; vertical-align: -1px; border-radius: 2px; }
</style>
</head>
<body>
<h1>patchwatch report</h1>
`)
	fmt.Fprintf(w, "<p class=\"note\">%d products, %d patch events, %d fixes with a date. A patch event is one release day on which at least one patch for the product came out; all versions of a product are taken together here (use <code>patchwatch cadence</code> for one version and one host).</p>\n",
		len(r.products), r.eventCount(), r.fixCount())
	w.WriteString(legend())
	r.writeTimeline(w)
	r.writeFixYears(w)
	r.writeGaps(w)
	w.WriteString("</body>\n</html>\n")
}

func legend() string {
	var b strings.Builder
	b.WriteString(`<p class="legend">`)
	for _, c := range normalize.Categories {
		fmt.Fprintf(&b, `<span><i style="background:%s"></i>%s</span>`, categoryColors[string(c)], esc(string(c)))
	}
	b.WriteString(`<span><i style="background:#fff;border:1.5px solid #666;box-sizing:border-box"></i>no fixes recorded</span></p>` + "\n")
	return b.String()
}

// dominant is the category with the most fixes in an event ("" if none),
// ties going to the first in normalize.Categories.
func dominant(cs []analysis.CategoryCount) string {
	best, n := "", 0
	for _, c := range cs {
		if c.Fixes > n {
			best, n = c.Category, c.Fixes
		}
	}
	return best
}

const (
	chartWidth = 1180
	labelWidth = 150
)

func (r *report) writeTimeline(w *strings.Builder) {
	w.WriteString("<h2>1. Patch events per product</h2>\n")
	if len(r.products) == 0 {
		w.WriteString("<p>No patches with a release date.</p>\n")
		return
	}
	w.WriteString(`<p class="note">Each row is one product on its own time axis, from its first to its last recorded patch. Each dot is one patch event; its colour is the category most of that day's fixes fall in; a larger dot means more patches that day.</p>` + "\n")
	const rowH = 92
	plotW := chartWidth - labelWidth - 30
	h := rowH*len(r.products) + 10
	fmt.Fprintf(w, `<svg width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-label="timeline of patch events per product">`+"\n", chartWidth, h, chartWidth, h)
	for i, p := range r.products {
		y0 := i*rowH + 10
		axisY := y0 + 54
		lo, hi := p.days[0], p.days[len(p.days)-1]
		// Pad to whole months so the first and last dots are not on the edge.
		lo = time.Date(lo.Year(), lo.Month(), 1, 0, 0, 0, 0, time.UTC)
		hi = time.Date(hi.Year(), hi.Month()+1, 1, 0, 0, 0, 0, time.UTC)
		span := hi.Sub(lo).Hours()
		x := func(t time.Time) float64 {
			return float64(labelWidth) + t.Sub(lo).Hours()/span*float64(plotW)
		}
		// The name gets a line of its own above the axis, so long product
		// names never run into the plot.
		fmt.Fprintf(w, `<text x="0" y="%d" font-weight="600">%s</text>`, y0+12, esc(p.name()))
		fmt.Fprintf(w, `<text x="0" y="%d" fill="#555">%d events</text>`+"\n", axisY+4, len(p.events))
		fmt.Fprintf(w, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#888"/>`+"\n", labelWidth, axisY, labelWidth+plotW, axisY)
		for _, tk := range timeTicks(lo, hi) {
			tx := x(tk.at)
			fmt.Fprintf(w, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#888"/><text x="%.1f" y="%d" text-anchor="middle" fill="#555">%s</text>`+"\n",
				tx, axisY, tx, axisY+5, tx, axisY+19, esc(tk.label))
		}
		for j, ev := range p.events {
			cx := x(p.days[j])
			rad := 4 + math.Min(5, float64(len(ev.PatchIDs)-1))
			title := fmt.Sprintf("%s: %d patches (%s), %s", ev.Date, len(ev.PatchIDs), ev.Classification, fmtCategories(ev.Categories, false))
			if c := dominant(ev.Categories); c != "" {
				fmt.Fprintf(w, `<circle cx="%.1f" cy="%d" r="%.0f" fill="%s" fill-opacity="0.8" stroke="#fff"><title>%s</title></circle>`+"\n",
					cx, axisY-16, rad, categoryColors[c], esc(title))
			} else {
				fmt.Fprintf(w, `<circle cx="%.1f" cy="%d" r="%.0f" fill="#fff" stroke="#666" stroke-width="1.5"><title>%s</title></circle>`+"\n",
					cx, axisY-16, rad, esc(title))
			}
		}
	}
	w.WriteString("</svg>\n")
	w.WriteString("<details open><summary>Table: patch events</summary>\n<table><tr><th>product</th><th>date</th><th>days since previous</th><th>patches</th><th>patch IDs</th><th>classification</th><th>reboot</th><th>fixes by category</th></tr>\n")
	for _, p := range r.products {
		for j, ev := range p.events {
			since := "–"
			if j > 0 {
				since = strconv.Itoa(ev.DaysSincePrevious)
			}
			fmt.Fprintf(w, "<tr><td class=\"nw\">%s</td><td class=\"nw\">%s</td><td class=\"num\">%s</td><td class=\"num\">%d</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>\n",
				esc(p.name()), ev.Date, since, len(ev.PatchIDs), esc(strings.Join(ev.PatchIDs, " ")), esc(ev.Classification),
				fmtReboot(ev.RebootRequired), esc(fmtCategories(ev.Categories, false)))
		}
	}
	w.WriteString("</table></details>\n")
}

type tick struct {
	at    time.Time
	label string
}

// timeTicks picks axis ticks between lo and hi: years for long spans,
// quarters or months for short ones, never more than about 16.
func timeTicks(lo, hi time.Time) []tick {
	months := (hi.Year()-lo.Year())*12 + int(hi.Month()-lo.Month())
	var ticks []tick
	switch {
	case months > 36:
		step := 1
		for (hi.Year()-lo.Year())/step > 16 {
			step++
		}
		for y := lo.Year() + 1; y <= hi.Year(); y += step {
			ticks = append(ticks, tick{time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC), strconv.Itoa(y)})
		}
	default:
		step := 1
		if months > 16 {
			step = 3
		}
		for t := lo; !t.After(hi); t = t.AddDate(0, step, 0) {
			label := t.Format("Jan")
			if t.Month() == time.January || len(ticks) == 0 {
				label = t.Format("Jan 2006")
			}
			ticks = append(ticks, tick{t, label})
		}
	}
	return ticks
}

func (r *report) writeFixYears(w *strings.Builder) {
	w.WriteString("<h2>2. Fixes by category per year</h2>\n")
	if len(r.fixYears) == 0 {
		w.WriteString("<p>No fixes with a date.</p>\n")
		return
	}
	w.WriteString(`<p class="note">One chart per vendor; each bar is one year's fixes stacked by what they touch. A fix's year is the release year of its first patch, or its advisory's publication year.</p>` + "\n")
	w.WriteString("<div class=\"charts\">\n")
	for _, yc := range r.fixYears {
		fmt.Fprintf(w, "<div><h3>%s</h3>\n", esc(yc.vendor))
		maxTotal := 1
		for _, y := range yc.years {
			t := 0
			for _, n := range yc.counts[y] {
				t += n
			}
			maxTotal = max(maxTotal, t)
		}
		top := niceCeil(maxTotal)
		const plotH, left, bottom = 180, 50, 30
		barSlot := math.Min(70, float64(chartWidth-left-20)/float64(len(yc.years)))
		width := left + int(barSlot*float64(len(yc.years))) + 20
		height := plotH + bottom + 24
		fmt.Fprintf(w, `<svg width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-label="fixes by category per year, %s">`+"\n", width, height, width, height, esc(yc.vendor))
		yOf := func(v int) float64 { return 20 + plotH - float64(v)/float64(top)*plotH }
		for _, tv := range axisTicks(top) {
			fmt.Fprintf(w, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#e5e5e5"/><text x="%d" y="%.1f" text-anchor="end" fill="#555">%d</text>`+"\n",
				left, yOf(tv), width-20, yOf(tv), left-6, yOf(tv)+4, tv)
		}
		for i, y := range yc.years {
			bx := float64(left) + barSlot*float64(i) + barSlot*0.15
			bw := barSlot * 0.7
			acc := 0
			for _, c := range normalize.Categories {
				n := yc.counts[y][string(c)]
				if n == 0 {
					continue
				}
				y1, y2 := yOf(acc+n), yOf(acc)
				fmt.Fprintf(w, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%d %s: %d</title></rect>`+"\n",
					bx, y1, bw, y2-y1, categoryColors[string(c)], y, esc(string(c)), n)
				acc += n
			}
			if acc > 0 {
				fmt.Fprintf(w, `<text x="%.1f" y="%.1f" text-anchor="middle" fill="#333">%d</text>`, bx+bw/2, yOf(acc)-4, acc)
			}
			fmt.Fprintf(w, `<text x="%.1f" y="%d" text-anchor="middle" fill="#555">%d</text>`+"\n", bx+bw/2, 20+plotH+18, y)
		}
		fmt.Fprintf(w, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#888"/>`+"\n", left, 20+plotH, width-20, 20+plotH)
		w.WriteString("</svg></div>\n")
	}
	w.WriteString("</div>\n")
	w.WriteString("<details open><summary>Table: fixes by category per year</summary>\n<table><tr><th>vendor</th><th>year</th>")
	for _, c := range normalize.Categories {
		fmt.Fprintf(w, "<th>%s</th>", esc(string(c)))
	}
	w.WriteString("<th>total</th></tr>\n")
	for _, yc := range r.fixYears {
		for _, y := range yc.years {
			fmt.Fprintf(w, "<tr><td>%s</td><td>%d</td>", esc(yc.vendor), y)
			t := 0
			for _, c := range normalize.Categories {
				n := yc.counts[y][string(c)]
				t += n
				fmt.Fprintf(w, "<td class=\"num\">%d</td>", n)
			}
			fmt.Fprintf(w, "<td class=\"num\">%d</td></tr>\n", t)
		}
	}
	w.WriteString("</table></details>\n")
}

// niceCeil rounds n up to 1, 2 or 5 times a power of ten, for a y axis.
func niceCeil(n int) int {
	if n <= 5 {
		return max(n, 1)
	}
	p := 1
	for p*10 < n {
		p *= 10
	}
	for _, m := range []int{1, 2, 5, 10} {
		if m*p >= n {
			return m * p
		}
	}
	return 10 * p
}

// axisTicks returns about five round values from 0 to top.
func axisTicks(top int) []int {
	step := niceCeil((top + 4) / 5)
	var ts []int
	for v := 0; v <= top; v += step {
		ts = append(ts, v)
	}
	return ts
}

func (r *report) writeGaps(w *strings.Builder) {
	w.WriteString("<h2>3. Days between patch events</h2>\n")
	counts := make([][]int, len(r.products)) // product × bin
	var stats []analysis.Result
	maxCount := 1
	for i, p := range r.products {
		counts[i] = make([]int, len(gapBins))
		var gaps []float64
		for j := 1; j < len(p.events); j++ {
			g := p.events[j].DaysSincePrevious
			gaps = append(gaps, float64(g))
			for b, bin := range gapBins {
				if g >= bin.lo && g <= bin.hi {
					counts[i][b]++
					maxCount = max(maxCount, counts[i][b])
				}
			}
		}
		st := analysis.Result{Vendor: p.vendor, Product: p.product, Count: len(p.events)}
		st.MeanDaysBetween, st.MedianDaysBetween = analysis.MeanMedian(gaps)
		stats = append(stats, st)
	}
	if len(r.products) == 0 {
		w.WriteString("<p>No patch events.</p>\n")
		return
	}
	w.WriteString(`<p class="note">How long a host of each product went between maintenance windows: the gaps between consecutive patch events, all versions together, one bar per product in each bin.</p>` + "\n")
	w.WriteString(`<p class="legend">`)
	for i, p := range r.products {
		fmt.Fprintf(w, `<span><i style="background:%s"></i>%s</span>`, productColors[i%len(productColors)], esc(p.name()))
	}
	w.WriteString("</p>\n")
	top := niceCeil(maxCount)
	const plotH, left, bottom = 200, 50, 44
	slot := float64(chartWidth-left-20) / float64(len(gapBins))
	height := plotH + bottom + 24
	fmt.Fprintf(w, `<svg width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-label="histogram of days between patch events">`+"\n", chartWidth, height, chartWidth, height)
	yOf := func(v int) float64 { return 20 + plotH - float64(v)/float64(top)*plotH }
	for _, tv := range axisTicks(top) {
		fmt.Fprintf(w, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#e5e5e5"/><text x="%d" y="%.1f" text-anchor="end" fill="#555">%d</text>`+"\n",
			left, yOf(tv), chartWidth-20, yOf(tv), left-6, yOf(tv)+4, tv)
	}
	for b, bin := range gapBins {
		x0 := float64(left) + slot*float64(b) + slot*0.1
		bw := slot * 0.8 / float64(len(r.products))
		for i, p := range r.products {
			n := counts[i][b]
			if n == 0 {
				continue
			}
			fmt.Fprintf(w, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s, %s days: %d</title></rect>`,
				x0+bw*float64(i), yOf(n), bw-1, float64(plotH)+20-yOf(n), productColors[i%len(productColors)], esc(p.name()), bin.label, n)
			fmt.Fprintf(w, `<text x="%.1f" y="%.1f" text-anchor="middle" fill="#333">%d</text>`+"\n", x0+bw*float64(i)+bw/2, yOf(n)-4, n)
		}
		fmt.Fprintf(w, `<text x="%.1f" y="%d" text-anchor="middle" fill="#555">%s</text>`+"\n", float64(left)+slot*float64(b)+slot/2, 20+plotH+18, esc(bin.label))
	}
	fmt.Fprintf(w, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#888"/>`, left, 20+plotH, chartWidth-20, 20+plotH)
	fmt.Fprintf(w, `<text x="%d" y="%d" text-anchor="middle" fill="#555">days between consecutive patch events</text>`+"\n", left+(chartWidth-left-20)/2, 20+plotH+38)
	w.WriteString("</svg>\n")
	w.WriteString("<details open><summary>Table: days between patch events</summary>\n<table><tr><th>product</th><th>events</th><th>mean days</th><th>median days</th>")
	for _, bin := range gapBins {
		fmt.Fprintf(w, "<th>%s</th>", esc(bin.label))
	}
	w.WriteString("</tr>\n")
	for i, p := range r.products {
		fmt.Fprintf(w, "<tr><td>%s</td><td class=\"num\">%d</td><td class=\"num\">%s</td><td class=\"num\">%s</td>",
			esc(p.name()), stats[i].Count, fmtDays(stats[i].MeanDaysBetween), fmtDays(stats[i].MedianDaysBetween))
		for b := range gapBins {
			fmt.Fprintf(w, "<td class=\"num\">%d</td>", counts[i][b])
		}
		w.WriteString("</tr>\n")
	}
	w.WriteString("</table></details>\n")
}
