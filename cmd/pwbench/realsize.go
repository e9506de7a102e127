package main

import (
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"time"

	"github.com/patchwatch/patchwatch/internal/corpus"
)

// realResult is the first and the unchanged nightly harvest of the four
// measured sources served at their vendors' real size on loopback.
type realResult struct {
	FirstRequests   int     `json:"first_requests"`
	FirstMB         float64 `json:"first_mb"`
	NightlyRequests int     `json:"nightly_requests"`
	NightlyMB       float64 `json:"nightly_mb"`
	// FirstHoursAt1RPS is the first harvest's duration at one request a
	// second per host, hosts in parallel: the busiest host's requests.
	FirstHoursAt1RPS float64 `json:"first_hours_at_1rps"`
	FirstSeconds     float64 `json:"first_wall_s"`
	NightlySeconds   float64 `json:"nightly_wall_s"`
}

// realSources are the sources the real-size site serves, and the hosts
// they read.
var (
	realSources = []string{"redhat-kvm", "microsoft", "vmware", "xen"}
	realHosts   = []string{"security.access.redhat.com", "api.msrc.microsoft.com", "support.broadcom.com", "xenbits.xen.org",
		"lists.vmware.com", "www.vmware.com", "kb.vmware.com", "docs.vmware.com"}
)

// measureRealSize generates (once) the four sources at size sz, serves
// them on loopback, and runs a first harvest and then an unchanged one
// through the real binary, counting on the server what each asked for.
func measureRealSize(bin, fixtures, work string, sz corpus.Size) (realResult, error) {
	var r realResult
	dir := filepath.Join(work, fmt.Sprintf("real-%d-%d-%d-%d-%d", sz.RedHat, sz.MSRCMonths, sz.MSRCMB, sz.BroadcomVMS, sz.XSAs))
	if _, err := os.Stat(filepath.Join(dir, "done")); err != nil {
		os.RemoveAll(dir)
		fmt.Fprintf(os.Stderr, "pwbench: writing the real-size sites to %s\n", dir)
		if _, err := corpus.GenerateSites(fixtures, dir, sz); err != nil {
			return r, err
		}
		if err := os.WriteFile(filepath.Join(dir, "done"), nil, 0o644); err != nil {
			return r, err
		}
	}
	site := corpus.NewSite(dir)
	srv := httptest.NewServer(site)
	defer srv.Close()
	db := dir + ".db"
	removeDB(db)
	args := []string{"harvest", "--db", db, "--delay", "0", "--quiet", "--max-body", fmt.Sprint(int64(sz.MSRCMB+8) << 20)}
	for _, s := range realSources {
		args = append(args, "--source", s)
	}
	for _, h := range realHosts {
		args = append(args, "--mirror", h+"="+srv.URL+"/"+h)
	}
	run := func(what string) (map[string]int, map[string]int64, time.Duration, error) {
		before, beforeBytes := site.Counts()
		fmt.Fprintf(os.Stderr, "pwbench: real size: %s harvest\n", what)
		start := time.Now()
		out, err := exec.Command(bin, args...).CombinedOutput()
		took := time.Since(start)
		if err != nil {
			// A page failing is part of what is measured; the ledger and
			// the output say which.
			fmt.Fprintf(os.Stderr, "pwbench: %s harvest: %v\n%s", what, err, out)
		}
		after, afterBytes := site.Counts()
		req, b := map[string]int{}, map[string]int64{}
		for h, n := range after {
			req[h] = n - before[h]
			b[h] = afterBytes[h] - beforeBytes[h]
		}
		return req, b, took, nil
	}
	first, firstBytes, took, err := run("first")
	if err != nil {
		return r, err
	}
	r.FirstSeconds = took.Seconds()
	nightly, nightlyBytes, took, err := run("unchanged nightly")
	if err != nil {
		return r, err
	}
	r.NightlySeconds = took.Seconds()
	busiest := 0
	for _, h := range sortedKeys(first) {
		r.FirstRequests += first[h]
		r.FirstMB += float64(firstBytes[h]) / (1 << 20)
		r.NightlyRequests += nightly[h]
		r.NightlyMB += float64(nightlyBytes[h]) / (1 << 20)
		busiest = max(busiest, first[h])
		fmt.Fprintf(os.Stderr, "pwbench: %-28s first %6d requests %9.1f MB  nightly %4d requests %7.2f MB\n",
			h, first[h], float64(firstBytes[h])/(1<<20), nightly[h], float64(nightlyBytes[h])/(1<<20))
	}
	r.FirstHoursAt1RPS = float64(busiest) / 3600
	return r, nil
}

func sortedKeys(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
