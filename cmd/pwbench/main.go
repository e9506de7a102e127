// Command pwbench measures patchwatch at archive scale: it writes synthetic
// corpora of N pages (internal/corpus), then times each stage — parse,
// classify, store writes, the end-to-end replay harvest, an unchanged
// re-harvest, a re-parse of the raw store and the analysts' queries — and
// prints a table and, last, one JSON line for the largest N. It is a
// developer's tool behind `make bench`, not part of the patchwatch CLI.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/patchwatch/patchwatch/internal/corpus"
	"github.com/patchwatch/patchwatch/normalize"
	"github.com/patchwatch/patchwatch/scrapers"
	_ "github.com/patchwatch/patchwatch/scrapers/all"
	"github.com/patchwatch/patchwatch/store"
)

// result is one corpus size's measurements.
type result struct {
	Pages            int     `json:"pages"`
	CorpusMB         float64 `json:"corpus_mb"`
	ParsePagesPerS   float64 `json:"parse_pages_per_s"`
	ParseMBPerS      float64 `json:"parse_mb_per_s"`
	ClassifyPerS     float64 `json:"classify_fixes_per_s"`
	StorePagesPerS   float64 `json:"store_pages_per_s"`
	E2EPagesPerS     float64 `json:"e2e_pages_per_s"`
	E2EMBPerS        float64 `json:"e2e_mb_per_s"`
	E2EOverParse     float64 `json:"e2e_over_parse"`
	IncrementalRatio float64 `json:"incremental_over_full"`
	ReparsePagesPerS float64 `json:"reparse_pages_per_s"`
	ForcedPagesPerS  float64 `json:"reparse_force_pages_per_s"`
	PeakRSSMB        float64 `json:"peak_rss_mb"`
	DBMB             float64 `json:"db_mb"`
	CadenceMS        float64 `json:"cadence_ms"`
	SearchMS         float64 `json:"search_ms"`
	FixesByYearMS    float64 `json:"v_fixes_vendor_year_ms"`
}

func main() {
	sizes := flag.String("sizes", "1000,10000,100000", "comma-separated corpus sizes (pages)")
	bin := flag.String("bin", "./patchwatch", "the patchwatch binary to time end to end")
	fixtures := flag.String("fixtures", "fixtures", "recorded pages to build the corpora from")
	work := flag.String("work", filepath.Join(os.TempDir(), "pwbench"), "where corpora and databases go (reused between runs)")
	real := flag.Bool("real", true, "also harvest Red Hat, MSRC, Broadcom and Xen served on loopback at their real size, first and unchanged")
	msrcMB := flag.Int("msrc-mb", corpus.RealSize.MSRCMB, "size of each generated MSRC month, in MB (the real ones are 5-15)")
	flag.Parse()
	var results []result
	for _, s := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n <= 0 {
			fmt.Fprintf(os.Stderr, "pwbench: bad size %q\n", s)
			os.Exit(2)
		}
		r, err := measure(*bin, *fixtures, *work, n)
		if err != nil {
			fmt.Fprintln(os.Stderr, "pwbench:", err)
			os.Exit(1)
		}
		results = append(results, r)
	}
	printTable(results)
	closing := summary(results[len(results)-1])
	if *real {
		sz := corpus.RealSize
		sz.MSRCMB = *msrcMB
		r, err := measureRealSize(*bin, *fixtures, *work, sz)
		if err != nil {
			fmt.Fprintln(os.Stderr, "pwbench:", err)
			os.Exit(1)
		}
		closing["first_requests"], closing["first_mb"] = r.FirstRequests, round2(r.FirstMB)
		closing["nightly_requests"], closing["nightly_mb"] = r.NightlyRequests, round2(r.NightlyMB)
		closing["first_hours_at_1rps"] = round2(r.FirstHoursAt1RPS)
		closing["first_wall_s"], closing["nightly_wall_s"] = round(r.FirstSeconds), round2(r.NightlySeconds)
	}
	last, _ := json.Marshal(closing)
	fmt.Println(string(last))
}

// summary is the closing JSON object.
func summary(r result) map[string]any {
	return map[string]any{
		"pages": r.Pages, "e2e_pages_per_s": round(r.E2EPagesPerS), "parse_pages_per_s": round(r.ParsePagesPerS),
		"e2e_over_parse": round2(r.E2EOverParse), "incremental_over_full": round2(r.IncrementalRatio),
		"peak_rss_mb": round(r.PeakRSSMB), "db_mb": round(r.DBMB),
	}
}

func round(f float64) float64  { return float64(int64(f + 0.5)) }
func round2(f float64) float64 { return float64(int64(f*1000+0.5)) / 1000 }

func measure(bin, fixtures, work string, n int) (result, error) {
	var r result
	dir := filepath.Join(work, fmt.Sprintf("corpus-%d", n))
	if _, err := os.Stat(filepath.Join(dir, "done")); err != nil {
		os.RemoveAll(dir)
		fmt.Fprintf(os.Stderr, "pwbench: writing %d pages to %s\n", n, dir)
		if _, err := corpus.Generate(fixtures, dir, n); err != nil {
			return r, err
		}
		if err := os.WriteFile(filepath.Join(dir, "done"), nil, 0o644); err != nil {
			return r, err
		}
	}
	files, bytes, err := listPages(dir)
	if err != nil {
		return r, err
	}
	r.Pages = len(files)
	r.CorpusMB = float64(bytes) / (1 << 20)
	sources := []string{}
	for _, name := range corpus.Sources {
		sources = append(sources, "--source", name)
	}

	fmt.Fprintf(os.Stderr, "pwbench: %d pages: parse\n", n)
	parseTime, fields, err := parseAll(dir, files)
	if err != nil {
		return r, err
	}
	r.ParsePagesPerS = float64(len(files)) / parseTime.Seconds()
	r.ParseMBPerS = r.CorpusMB / parseTime.Seconds()
	t0 := time.Now()
	for _, f := range fields {
		normalize.Classify("xen", f...)
	}
	r.ClassifyPerS = float64(len(fields)) / time.Since(t0).Seconds()

	fmt.Fprintf(os.Stderr, "pwbench: %d pages: store writes\n", n)
	storeTime, err := storeAll(dir, files, filepath.Join(work, fmt.Sprintf("store-%d.db", n)))
	if err != nil {
		return r, err
	}
	r.StorePagesPerS = float64(len(files)) / storeTime.Seconds()

	db := filepath.Join(work, fmt.Sprintf("e2e-%d.db", n))
	removeDB(db)
	fmt.Fprintf(os.Stderr, "pwbench: %d pages: end-to-end harvest\n", n)
	full, rss, err := timeRun(bin, append([]string{"harvest", "--db", db, "--replay", dir, "--quiet"}, sources...)...)
	if err != nil {
		return r, err
	}
	r.E2EPagesPerS = float64(len(files)) / full.Seconds()
	r.E2EMBPerS = r.CorpusMB / full.Seconds()
	r.E2EOverParse = r.E2EPagesPerS / r.ParsePagesPerS
	r.PeakRSSMB = rss
	fmt.Fprintf(os.Stderr, "pwbench: %d pages: unchanged re-harvest\n", n)
	again, _, err := timeRun(bin, append([]string{"harvest", "--db", db, "--replay", dir, "--quiet"}, sources...)...)
	if err != nil {
		return r, err
	}
	r.IncrementalRatio = again.Seconds() / full.Seconds()
	fmt.Fprintf(os.Stderr, "pwbench: %d pages: reparse\n", n)
	rep, _, err := timeRun(bin, append([]string{"reparse", "--db", db}, sources...)...)
	if err != nil {
		return r, err
	}
	r.ReparsePagesPerS = float64(len(files)) / rep.Seconds()
	fmt.Fprintf(os.Stderr, "pwbench: %d pages: reparse --force\n", n)
	forced, _, err := timeRun(bin, append([]string{"reparse", "--db", db, "--force"}, sources...)...)
	if err != nil {
		return r, err
	}
	r.ForcedPagesPerS = float64(len(files)) / forced.Seconds()
	r.DBMB = fileMB(db) + fileMB(db+"-wal")

	queries := []struct {
		into *float64
		args []string
	}{
		{&r.CadenceMS, []string{"cadence", "--db", db, "--vendor", "xen", "--product", "Xen", "--built", "2015-01-01", "--months", "12", "--format", "json"}},
		{&r.SearchMS, []string{"search", "--db", db, "grant table"}},
		{&r.FixesByYearMS, []string{"query", "--db", db, "--format", "csv",
			"SELECT count(*), category FROM v_fixes WHERE vendor = 'xen' AND released >= '2015-01-01' AND released < '2016-01-01' GROUP BY category"}},
	}
	for _, q := range queries {
		best := time.Duration(1 << 62)
		for range 3 {
			d, _, err := timeRun(bin, q.args...)
			if err != nil {
				return r, err
			}
			best = min(best, d)
		}
		*q.into = float64(best.Microseconds()) / 1000
	}
	return r, nil
}

func listPages(dir string) ([]string, int64, error) {
	var files []string
	var bytes int64
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		// An archive is streamed by the harvest, not parsed as a page.
		if err != nil || d.IsDir() || p == filepath.Join(dir, "done") || strings.HasSuffix(p, ".tar.zst") {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		files = append(files, p)
		bytes += info.Size()
		return nil
	})
	sort.Strings(files)
	return files, bytes, err
}

// sourceOf maps a corpus file to its canonical URL and its source.
func sourceOf(dir, file string) (string, scrapers.Source, error) {
	rel, err := filepath.Rel(dir, file)
	if err != nil {
		return "", nil, err
	}
	u := "https://" + filepath.ToSlash(rel)
	u = strings.TrimSuffix(u, "index.html")
	name := "xen"
	if strings.HasPrefix(rel, "security.access.redhat.com") {
		name = "redhat-kvm"
	}
	src, err := scrapers.Lookup(name)
	return u, src, err
}

// parseAll parses every page with two workers, as the harvest does, and
// returns the classifier's input of every Xen fix for the classify stage.
func parseAll(dir string, files []string) (time.Duration, [][]normalize.Field, error) {
	var mu sync.Mutex
	var fields [][]normalize.Field
	var firstErr error
	next := make(chan string)
	var wg sync.WaitGroup
	start := time.Now()
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for f := range next {
				u, src, err := sourceOf(dir, f)
				var body []byte
				if err == nil {
					body, err = os.ReadFile(f)
				}
				if err == nil {
					var p scrapers.Parsed
					p, err = scrapers.ParseFile(src, u, body)
					if err == nil && src.Name() == "xen" && len(p.Advisories) == 1 && len(p.Fixes) == 1 {
						mu.Lock()
						fields = append(fields, classifierInput(p.Advisories[0]))
						mu.Unlock()
					}
				}
				if err != nil {
					mu.Lock()
					firstErr = errors.Join(firstErr, err)
					mu.Unlock()
				}
			}
		}()
	}
	for _, f := range files {
		next <- f
	}
	close(next)
	wg.Wait()
	return time.Since(start), fields, firstErr
}

// classifierInput rebuilds what the Xen parser hands the classifier.
func classifierInput(a normalize.Advisory) []normalize.Field {
	fields := []normalize.Field{{Name: "title", Text: a.Title}}
	for _, s := range a.Sections {
		switch s.Title {
		case "ISSUE DESCRIPTION", "IMPACT", "VULNERABLE SYSTEMS":
			fields = append(fields, normalize.Field{Name: strings.ToLower(s.Title), Text: s.Text})
		}
	}
	return fields
}

// storeAll times only the store: each page is parsed first, outside the
// clock, then saved.
func storeAll(dir string, files []string, db string) (time.Duration, error) {
	removeDB(db)
	st, err := store.Open(db)
	if err != nil {
		return 0, err
	}
	st.CommitEvery = 1000
	ctx := context.Background()
	var spent time.Duration
	for _, f := range files {
		u, src, err := sourceOf(dir, f)
		if err != nil {
			return 0, err
		}
		body, err := os.ReadFile(f)
		if err != nil {
			return 0, err
		}
		p, err := scrapers.ParseFile(src, u, body)
		if err != nil {
			return 0, err
		}
		t := time.Now()
		doc := store.Document{URL: u, Source: src.Name(), Status: 200, ContentType: "text/plain; charset=utf-8", Body: body, Links: p.Follow}
		if err := st.SavePage(ctx, doc, p.Result); err != nil {
			return 0, err
		}
		spent += time.Since(t)
	}
	t := time.Now()
	if err := st.Close(); err != nil {
		return 0, err
	}
	return spent + time.Since(t), nil
}

// timeRun runs the patchwatch binary and returns its wall time and peak
// resident memory in MB. The peak is the child's own VmHWM, sampled from
// /proc while it runs: getrusage's maxrss would also count this process's
// memory, which the child shares until it execs.
func timeRun(bin string, args ...string) (time.Duration, float64, error) {
	cmd := exec.Command(bin, args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, 0, err
	}
	done := make(chan struct{})
	peak := make(chan float64, 1)
	go func() {
		hwm := 0.0
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			if kb := vmHWM(cmd.Process.Pid); kb > hwm {
				hwm = kb
			}
			select {
			case <-done:
				peak <- hwm / 1024
				return
			case <-tick.C:
			}
		}
	}()
	err := cmd.Wait()
	d := time.Since(start)
	close(done)
	rss := <-peak
	if err != nil {
		return 0, 0, fmt.Errorf("%s %s: %w\n%s", bin, strings.Join(args, " "), err, stderr.String())
	}
	return d, rss, nil
}

// vmHWM reads a process's peak resident set size in KiB, 0 if unknown.
func vmHWM(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb
		}
	}
	return 0
}

func fileMB(name string) float64 {
	info, err := os.Stat(name)
	if err != nil {
		return 0
	}
	return float64(info.Size()) / (1 << 20)
}

func removeDB(db string) {
	for _, suffix := range []string{"", "-wal", "-shm", ".lock"} {
		os.Remove(db + suffix)
	}
}

func printTable(rs []result) {
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "pages\tcorpus MB\tparse p/s\tparse MB/s\tclassify/s\tstore p/s\te2e p/s\te2e MB/s\te2e/parse\tincr/full\treparse p/s\tforced p/s\tpeak RSS MB\tdb MB\tcadence ms\tsearch ms\tv_fixes ms\t")
	for _, r := range rs {
		fmt.Fprintf(tw, "%d\t%.1f\t%.0f\t%.1f\t%.0f\t%.0f\t%.0f\t%.1f\t%.2f\t%.3f\t%.0f\t%.0f\t%.0f\t%.0f\t%.1f\t%.1f\t%.1f\t\n",
			r.Pages, r.CorpusMB, r.ParsePagesPerS, r.ParseMBPerS, r.ClassifyPerS, r.StorePagesPerS, r.E2EPagesPerS,
			r.E2EMBPerS, r.E2EOverParse, r.IncrementalRatio, r.ReparsePagesPerS, r.ForcedPagesPerS, r.PeakRSSMB, r.DBMB,
			r.CadenceMS, r.SearchMS, r.FixesByYearMS)
	}
	tw.Flush()
}
