package report

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/patchwatch/patchwatch/analysis"
	"github.com/patchwatch/patchwatch/normalize"
)

//go:embed report.html.tmpl
var pageTemplate string

var page = template.Must(template.New("report").Funcs(template.FuncMap{
	"minus6": func(v int) int { return v - 6 }, // y-axis labels sit left of the axis
}).Parse(pageTemplate))

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

const (
	chartWidth = 1180
	labelWidth = 150
)

// The view model: everything the template prints, with the chart geometry
// worked out here so the template only places it. Colours are constants of
// this package, marked safe for the style attribute.
type (
	pageData struct {
		Products, Events, Fixes int
		Legend                  []swatch
		Timeline                *timelineChart
		TimelineRows            []eventRow
		FixCharts               []barChart
		Categories              []string
		FixRows                 []fixYearRow
		Gaps                    *gapChart
	}
	swatch struct {
		Style template.CSS
		Name  string
	}
	timelineChart struct {
		Width, Height int
		Rows          []timelineRow
	}
	timelineRow struct {
		Name                   string
		NameY, CountY, AxisY   int
		AxisX1, AxisX2, Events int
		TickY2, TickLabelY     int
		Ticks                  []xTick
		DotY                   int
		Dots                   []dot
	}
	xTick struct{ X, Label string }
	dot   struct {
		X, R, Color, Title string
		Hollow             bool
	}
	eventRow struct {
		Product, Date, Since, PatchIDs, Classification, Reboot, Categories string
		Patches                                                            int
	}
	barChart struct {
		Vendor             string
		Width, Height      int
		Left, Right, BaseY int
		YTicks             []yTick
		Bars               []bar
		Labels             []textAt
		Totals             []textAt
		LabelY             int
	}
	yTick struct {
		Y, LabelY string
		Value     int
	}
	bar struct {
		X, Y, W, H, Color, Title string
	}
	textAt     struct{ X, Y, Text string }
	fixYearRow struct {
		Vendor string
		Year   int
		Counts []int
		Total  int
	}
	gapChart struct {
		Legend               []swatch
		Width, Height, Right int
		Left, BaseY          int
		YTicks               []yTick
		Bars                 []bar
		Counts               []textAt
		BinLabels            []textAt
		BinLabelY            int
		AxisLabelX           int
		AxisLabelY           int
		Bins                 []string
		Rows                 []gapRow
	}
	gapRow struct {
		Product      string
		Events       int
		Mean, Median string
		Counts       []int
	}
)

func f1(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

// WriteHTML writes the report as one HTML page.
func (r *Report) WriteHTML(w io.Writer) error {
	d := pageData{Products: r.Products(), Events: r.Events(), Fixes: r.Fixes()}
	for _, c := range normalize.Categories {
		d.Legend = append(d.Legend, swatch{Style: template.CSS("background:" + categoryColors[string(c)]), Name: string(c)})
		d.Categories = append(d.Categories, string(c))
	}
	r.timeline(&d)
	r.fixYearCharts(&d)
	r.gaps(&d)
	if err := page.Execute(w, d); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
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

func (r *Report) timeline(d *pageData) {
	if len(r.products) == 0 {
		return
	}
	const rowH = 92
	plotW := chartWidth - labelWidth - 30
	tl := &timelineChart{Width: chartWidth, Height: rowH*len(r.products) + 10}
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
		row := timelineRow{Name: p.name(), NameY: y0 + 12, CountY: axisY + 4, AxisY: axisY, Events: len(p.events),
			AxisX1: labelWidth, AxisX2: labelWidth + plotW, TickY2: axisY + 5, TickLabelY: axisY + 19, DotY: axisY - 16}
		for _, tk := range timeTicks(lo, hi) {
			row.Ticks = append(row.Ticks, xTick{X: f1(x(tk.at)), Label: tk.label})
		}
		for j, ev := range p.events {
			rad := 4 + math.Min(5, float64(len(ev.PatchIDs)-1))
			dt := dot{
				X: f1(x(p.days[j])), R: strconv.FormatFloat(rad, 'f', 0, 64),
				Title: fmt.Sprintf("%s: %d patches (%s), %s", ev.Date, len(ev.PatchIDs), ev.Classification, analysis.FormatCategories(ev.Categories, false)),
			}
			if c := dominant(ev.Categories); c != "" {
				dt.Color = categoryColors[c]
			} else {
				dt.Hollow = true
			}
			row.Dots = append(row.Dots, dt)
			since := "–"
			if j > 0 {
				since = strconv.Itoa(ev.DaysSincePrevious)
			}
			d.TimelineRows = append(d.TimelineRows, eventRow{
				Product: p.name(), Date: ev.Date, Since: since, Patches: len(ev.PatchIDs), PatchIDs: strings.Join(ev.PatchIDs, " "),
				Classification: ev.Classification, Reboot: analysis.FormatReboot(ev.RebootRequired),
				Categories: analysis.FormatCategories(ev.Categories, false),
			})
		}
		tl.Rows = append(tl.Rows, row)
	}
	d.Timeline = tl
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

func yTicks(top int, yOf func(int) float64) []yTick {
	var out []yTick
	for _, tv := range axisTicks(top) {
		out = append(out, yTick{Y: f1(yOf(tv)), LabelY: f1(yOf(tv) + 4), Value: tv})
	}
	return out
}

func (r *Report) fixYearCharts(d *pageData) {
	for _, yc := range r.fixYears {
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
		ch := barChart{Vendor: yc.vendor, Width: width, Height: plotH + bottom + 24, Left: left, Right: width - 20,
			BaseY: 20 + plotH, LabelY: 20 + plotH + 18}
		yOf := func(v int) float64 { return 20 + plotH - float64(v)/float64(top)*plotH }
		ch.YTicks = yTicks(top, yOf)
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
				ch.Bars = append(ch.Bars, bar{X: f1(bx), Y: f1(y1), W: f1(bw), H: f1(y2 - y1), Color: categoryColors[string(c)],
					Title: fmt.Sprintf("%d %s: %d", y, c, n)})
				acc += n
			}
			if acc > 0 {
				ch.Totals = append(ch.Totals, textAt{X: f1(bx + bw/2), Y: f1(yOf(acc) - 4), Text: strconv.Itoa(acc)})
			}
			ch.Labels = append(ch.Labels, textAt{X: f1(bx + bw/2), Text: strconv.Itoa(y)})
		}
		d.FixCharts = append(d.FixCharts, ch)
		for _, y := range yc.years {
			row := fixYearRow{Vendor: yc.vendor, Year: y}
			for _, c := range normalize.Categories {
				n := yc.counts[y][string(c)]
				row.Counts = append(row.Counts, n)
				row.Total += n
			}
			d.FixRows = append(d.FixRows, row)
		}
	}
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

func (r *Report) gaps(d *pageData) {
	if len(r.products) == 0 {
		return
	}
	counts := make([][]int, len(r.products)) // product × bin
	maxCount := 1
	g := &gapChart{}
	for i, p := range r.products {
		counts[i] = make([]int, len(gapBins))
		var gaps []float64
		for j := 1; j < len(p.events); j++ {
			gap := p.events[j].DaysSincePrevious
			gaps = append(gaps, float64(gap))
			for b, bin := range gapBins {
				if gap >= bin.lo && gap <= bin.hi {
					counts[i][b]++
					maxCount = max(maxCount, counts[i][b])
				}
			}
		}
		mean, median := analysis.MeanMedian(gaps)
		g.Rows = append(g.Rows, gapRow{Product: p.name(), Events: len(p.events),
			Mean: analysis.FormatDays(mean), Median: analysis.FormatDays(median), Counts: counts[i]})
		g.Legend = append(g.Legend, swatch{Style: template.CSS("background:" + productColors[i%len(productColors)]), Name: p.name()})
	}
	top := niceCeil(maxCount)
	const plotH, left, bottom = 200, 50, 44
	slot := float64(chartWidth-left-20) / float64(len(gapBins))
	g.Width, g.Height, g.Right, g.Left, g.BaseY = chartWidth, plotH+bottom+24, chartWidth-20, left, 20+plotH
	g.BinLabelY, g.AxisLabelX, g.AxisLabelY = 20+plotH+18, left+(chartWidth-left-20)/2, 20+plotH+38
	yOf := func(v int) float64 { return 20 + plotH - float64(v)/float64(top)*plotH }
	g.YTicks = yTicks(top, yOf)
	for b, bin := range gapBins {
		g.Bins = append(g.Bins, bin.label)
		x0 := float64(left) + slot*float64(b) + slot*0.1
		bw := slot * 0.8 / float64(len(r.products))
		for i, p := range r.products {
			n := counts[i][b]
			if n == 0 {
				continue
			}
			g.Bars = append(g.Bars, bar{X: f1(x0 + bw*float64(i)), Y: f1(yOf(n)), W: f1(bw - 1), H: f1(float64(plotH) + 20 - yOf(n)),
				Color: productColors[i%len(productColors)], Title: fmt.Sprintf("%s, %s days: %d", p.name(), bin.label, n)})
			g.Counts = append(g.Counts, textAt{X: f1(x0 + bw*float64(i) + bw/2), Y: f1(yOf(n) - 4), Text: strconv.Itoa(n)})
		}
		g.BinLabels = append(g.BinLabels, textAt{X: f1(float64(left) + slot*float64(b) + slot/2), Text: bin.label})
	}
	d.Gaps = g
}
