package report

import (
	"bytes"
	"context"
	"encoding/xml"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/patchwatch/patchwatch/internal/storetest"
	"github.com/patchwatch/patchwatch/normalize"
	"github.com/patchwatch/patchwatch/store"
)

// TestHostileNamesAreEscaped stores a product, patch IDs and a
// classification that carry markup, and checks that the report shows them
// as text: html/template escapes them in every context (element text, SVG
// <title>, attributes), so no tag from the database reaches the page and
// every chart still parses as XML.
func TestHostileNamesAreEscaped(t *testing.T) {
	fixed := time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC)
	evil := `<script>alert("x")</script>`
	res := normalize.Result{
		Patches: []normalize.Patch{
			{ID: `P-1"><b>`, Vendor: "evil", Product: evil, Version: "1", Released: "2024-01-01", Classification: "<i>Security</i>"},
			{ID: "P-2", Vendor: "evil", Product: evil, Version: "1", Released: "2024-02-01", Classification: "General"},
		},
		Fixes: []normalize.Fix{{ID: "F-1", PatchIDs: []string{`P-1"><b>`}, Vendor: "evil", Product: evil,
			Component: "<svg onload=x>", Category: normalize.VMM, Security: true, Rule: "test", Evidence: "e"}},
	}
	doc := store.Document{URL: "https://example.test/evil", Source: "test", FetchedAt: fixed, Status: 200, ContentType: "text/plain", Body: []byte("x")}
	db := storetest.ReadOnly(t, func(s *store.Store) {
		s.Now = func() time.Time { return fixed }
		if err := s.SavePage(context.Background(), doc, res); err != nil {
			t.Fatal(err)
		}
	})
	rep, err := Load(context.Background(), db, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Products() != 1 || rep.Events() != 2 || rep.Fixes() != 1 {
		t.Fatalf("products %d, events %d, fixes %d; want 1, 2, 1", rep.Products(), rep.Events(), rep.Fixes())
	}
	var b bytes.Buffer
	if err := rep.WriteHTML(&b); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, bad := range []string{"<script", "<b>", "<i>", "<svg onload"} {
		if strings.Contains(page, bad) {
			t.Errorf("report carries %q unescaped", bad)
		}
	}
	if !strings.Contains(page, "evil &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;") {
		t.Errorf("the product's name is not shown as text")
	}
	svgs := regexp.MustCompile(`(?s)<svg.*?</svg>`).FindAllString(page, -1)
	if len(svgs) != 3 {
		t.Errorf("%d charts, want 3 (timeline, one vendor's fixes, gaps)", len(svgs))
	}
	for i, svg := range svgs {
		if err := xml.Unmarshal([]byte(svg), new(struct{})); err != nil {
			t.Errorf("svg %d is not well-formed: %v", i, err)
		}
	}
}
