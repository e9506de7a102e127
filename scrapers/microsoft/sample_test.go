package microsoft

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/patchwatch/patchwatch/scrapers"
)

// samplesDir holds real MSRC documents beside the repository; tests that
// read them skip when it is absent.
const samplesDir = "../../../shared/samples/microsoft"

func readSample(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(samplesDir, name))
	if err != nil {
		t.Skipf("real samples not present: %v", err)
	}
	return b
}

// TestRealMarch2024 parses the real (trimmed) March 2024 document the way
// `patchwatch parse --source microsoft --url …/cvrf/2024-Mar` does. Its one
// vulnerability is a .NET flaw, which must be recognised and dropped.
func TestRealMarch2024(t *testing.T) {
	body := readSample(t, "msrc-cvrf-2024-Mar.trimmed.xml")
	got, err := scrapers.ParseFile(Source{}, "https://api.msrc.microsoft.com/cvrf/v3.0/cvrf/2024-Mar", body)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Empty() || len(got.Follow) != 0 {
		t.Errorf("the .NET-only sample gave records: %+v", got)
	}
	// The same document under another month's URL is refused: the parser
	// did read its DocumentTracking.
	if _, err := scrapers.ParseFile(Source{}, "https://api.msrc.microsoft.com/cvrf/v3.0/cvrf/2024-Apr", body); err == nil {
		t.Error("2024-Mar document accepted at the 2024-Apr URL")
	}
}

// TestRealUpdatesIndex reads the real OData index.
func TestRealUpdatesIndex(t *testing.T) {
	body := readSample(t, "msrc-cvrf-v3-updates-index.json")
	got, err := scrapers.ParseFile(Source{}, Base+"updates", body)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{Base + "cvrf/2016-Apr", Base + "cvrf/2024-Mar"}
	if diff := cmp.Diff(want, got.Follow); diff != "" {
		t.Errorf("follow (-want +got):\n%s", diff)
	}
}
