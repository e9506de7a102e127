package analysis

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestFTSQuery(t *testing.T) {
	for _, tc := range []struct {
		terms []string
		want  string
	}{
		{[]string{"pygrub"}, `"pygrub"`},
		{[]string{"grant table"}, `"grant" AND "table"`},
		{[]string{"XSA-355", `say"hi`}, `"XSA-355" AND "say""hi"`},
		{[]string{"overflo*"}, `"overflo"*`},
		{[]string{"*", " ** "}, ``},
	} {
		if got := FTSQuery(tc.terms); got != tc.want {
			t.Errorf("FTSQuery(%q) = %q, want %q", tc.terms, got, tc.want)
		}
	}
}

func TestMeanMedianAndVersions(t *testing.T) {
	mean, median := MeanMedian([]float64{12, 20, 38, 53})
	if diff := cmp.Diff([]float64{30.75, 29}, []float64{*mean, *median}); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if m, d := MeanMedian(nil); m != nil || d != nil {
		t.Errorf("MeanMedian(nil) = %v, %v; want nils", m, d)
	}
	for _, tc := range []struct {
		have, want string
		ok         bool
	}{
		{"xen-unstable, 4.5.x", "4.5.X", true},
		{"3.0.2", "3.0.2", true},
		{"3.0.2", "3.0", false},
		{"anything", "", true},
	} {
		if got := VersionMatches(tc.have, tc.want); got != tc.ok {
			t.Errorf("VersionMatches(%q, %q) = %v", tc.have, tc.want, got)
		}
	}
}
