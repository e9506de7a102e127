package vmware

import (
	"fmt"
	"net/url"
	"runtime"
	"strings"
	"testing"

	"github.com/patchwatch/patchwatch/scrapers"
)

// bigAdvisory returns a vmware.com advisory page of at least size bytes in
// which every part grows with the page: a Synopsis wrapped over a quarter
// of it, then "3a."-style problem items, each with its own CVE, prose, and
// a Response Matrix of distinct patch IDs. It is the shape a hostile or
// broken page would take to make the parser's cost grow faster than its
// length.
func bigAdvisory(size int) []byte {
	var b strings.Builder
	b.WriteString("<html><body><p>Advisory ID: VMSA-2021-0002<br>Advisory Severity: Critical<br>Issue Date: 2021-02-23<br>Synopsis: VMware ESXi updates<br>")
	for b.Len() < size/4 {
		b.WriteString("address multiple security vulnerabilities in a wrapped synopsis line<br>")
	}
	b.WriteString("</p><h4>1. Impacted Products</h4><p>VMware ESXi</p><h4>3. Advisory Details</h4>")
	for i := 0; b.Len() < size; i++ {
		fmt.Fprintf(&b, "<h5>3%c. ESXi OpenSLP heap-overflow vulnerability number %d (CVE-2021-%05d)</h5>", 'a'+i%26, i, i)
		b.WriteString("<p>Description: OpenSLP as used in ESXi has a heap-overflow vulnerability. A malicious actor residing within the same network segment as ESXi may be able to exploit this issue.</p>")
		b.WriteString("<table><tr><td>Product</td><td>Version</td><td>Running On</td><td>CVE Identifier</td><td>CVSSv3</td><td>Severity</td><td>Fixed Version</td><td>Workarounds</td><td>Additional Documentation</td></tr>")
		for r := range 8 {
			fmt.Fprintf(&b, "<tr><td>ESXi</td><td>7.0</td><td>Any</td><td>CVE-2021-%05d</td><td>8.8</td><td>important</td><td>ESXi70U1c-%08d</td><td>None</td><td>None</td></tr>", i, i*8+r)
		}
		b.WriteString("</table>")
	}
	b.WriteString("</body></html>")
	return []byte(b.String())
}

// wrappedHeader returns a page of at least size bytes that is all header:
// a Synopsis whose value wraps over every line, then one small advisory.
// It is the shape that made parseHeader quadratic.
func wrappedHeader(size int) []byte {
	var b strings.Builder
	b.WriteString("<html><body><p>Synopsis: wrapped<br>")
	for b.Len() < size {
		b.WriteString("one more line of a synopsis that never ends<br>")
	}
	b.WriteString("</p>")
	b.Write(bigAdvisory(4 << 10))
	return []byte(b.String())
}

var benchSizes = []int{100 << 10, 512 << 10, 1 << 20, 2 << 20, 4 << 20, 8 << 20}

// BenchmarkParseBySize parses pages from 100 KB to 8 MB of two shapes: an
// advisory whose every part grows (bigAdvisory) and a header that never
// ends (wrappedHeader). The ns/MB column should stay flat: a cost per MB
// that grows with the page is quadratic somewhere.
func BenchmarkParseBySize(b *testing.B) {
	u, _ := url.Parse("https://www.vmware.com/security/advisories/VMSA-2021-0002.html")
	for _, shape := range []struct {
		name string
		page func(int) []byte
	}{{"advisory", bigAdvisory}, {"header", wrappedHeader}} {
		for _, size := range benchSizes {
			body := shape.page(size)
			b.Run(fmt.Sprintf("%s/%dKB", shape.name, size>>10), func(b *testing.B) {
				b.SetBytes(int64(len(body)))
				for b.Loop() {
					if _, err := (Source{}).Parse(scrapers.Page{URL: u, ContentType: "text/html; charset=utf-8", Body: body}); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/(float64(len(body))/(1<<20)), "ns/MB")
			})
		}
	}
}

// TestParseCostGrowsLinearly parses header-only pages of 256 KB and 2 MB
// and compares the bytes allocated per byte of page. Joining the header's
// lines one at a time copied the growing value for every line, so the
// larger page allocated about eight times more per byte (and took 40 s);
// read once, both cost about the same per byte. Allocation is counted
// instead of time so that a busy machine or the race detector cannot
// change the verdict; BenchmarkParseBySize measures the time.
func TestParseCostGrowsLinearly(t *testing.T) {
	u, _ := url.Parse("https://www.vmware.com/security/advisories/VMSA-2021-0002.html")
	perByte := func(size int) float64 {
		page := wrappedHeader(size)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		if _, err := (Source{}).Parse(scrapers.Page{URL: u, ContentType: "text/html; charset=utf-8", Body: page}); err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&after)
		return float64(after.TotalAlloc-before.TotalAlloc) / float64(len(page))
	}
	small, large := perByte(256<<10), perByte(2<<20)
	t.Logf("bytes allocated per page byte: %.1f at 256 KB, %.1f at 2 MB", small, large)
	if large > 2*small {
		t.Errorf("a 2 MB page allocates %.1f bytes per byte, a 256 KB page %.1f: the cost grows faster than the page", large, small)
	}
}
