package store

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/patchwatch/patchwatch/normalize"
)

// BenchmarkSavePage measures the store alone: one advisory page a call
// (a 3 KB body, an advisory with sections and two CVEs, a fix with two
// CVEs and two patches), batched as the harvest batches them.
func BenchmarkSavePage(b *testing.B) {
	for _, every := range []int{1, 1000} {
		b.Run(fmt.Sprintf("commit-every-%d", every), func(b *testing.B) {
			s, err := Open(filepath.Join(b.TempDir(), "pw.db"))
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			s.CommitEvery = every
			body := []byte(strings.Repeat("The hypervisor mishandles a guest's request. ", 70))
			ctx := context.Background()
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				i++
				id := fmt.Sprintf("XSA-%d", i)
				doc := Document{URL: "https://xenbits.xen.org/xsa/advisory-" + fmt.Sprint(i) + ".txt", Source: "xen", Status: 200, Body: body}
				res := normalize.Result{
					Advisories: []normalize.Advisory{{ID: id, Vendor: "xen", Status: normalize.StatusPublished, Title: "title",
						CVEs: []string{"CVE-2020-1000", "CVE-2020-1001"}, Sections: []normalize.Section{{Title: "ISSUE DESCRIPTION", Text: string(body)}}}},
					Fixes: []normalize.Fix{{ID: id + "/1", AdvisoryID: id, Vendor: "xen", Category: normalize.VMM, Rule: "xen-hypervisor",
						Evidence: "guest can crash Xen", CVEs: []string{"CVE-2020-1000", "CVE-2020-1001"}, PatchIDs: []string{"xsa.patch", "xsa-4.14.patch"}}},
				}
				if err := s.SavePage(ctx, doc, res); err != nil {
					b.Fatal(err)
				}
			}
			if err := s.Flush(); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pages/s")
		})
	}
}
