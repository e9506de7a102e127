package normalize

import "testing"

// BenchmarkClassify measures the rule table on a real title and a
// description paragraph that no title-level rule decides.
func BenchmarkClassify(b *testing.B) {
	fields := []Field{
		{Name: "title", Text: "stack corruption from XSA-346 change"},
		{Name: "issue description", Text: "One of the two changes for XSA-346 introduced an on-stack array. The check for guarding against overrunning this array was off by one, allowing for corruption of the first stack slot immediately following this array."},
		{Name: "impact", Text: "A malicious or buggy HVM or PVH guest can cause Xen to crash, resulting in a Denial of Service (DoS) to the entire host."},
	}
	for b.Loop() {
		if tag := Classify("xen", fields...); tag.Category != VMM {
			b.Fatalf("classified %s", tag.Category)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "fixes/s")
}
