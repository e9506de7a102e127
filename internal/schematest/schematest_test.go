package schematest

import (
	"strings"
	"testing"
)

// TestSchemasRejectWhatTheyShould proves the validator runs the real rules:
// a record in the shape patchwatch exported before issue 14 (an id without a
// registered prefix, a vendor as ecosystem) fails the OSV schema, and a CSAF
// document missing its tracking or with a bad CVE fails the CSAF schema.
func TestSchemasRejectWhatTheyShould(t *testing.T) {
	tests := []struct {
		schema, doc, want string
	}{
		{OSV, `{"id": "XSA-355", "modified": "2020-11-24T00:00:00Z"}`, "/id"},
		{OSV, `{"id": "x_patchwatch-xen-XSA-355", "modified": "2020-11-24T00:00:00Z",
			"affected": [{"package": {"ecosystem": "xen", "name": "Xen"}}]}`, "/affected/0/package/ecosystem"},
		{OSV, `{"id": "x_patchwatch-xen-XSA-355", "modified": "2020-11-24"}`, "/modified"},
		{OSV, `{"id": "x_a", "modified": "2020-11-24T00:00:00Z", "references": [{"type": "LINK", "url": "https://x"}]}`, "/references/0/type"},
		{CSAF, `{"document": {"category": "csaf_security_advisory", "csaf_version": "2.0", "title": "t",
			"publisher": {"category": "other", "name": "p", "namespace": "https://p.example"}}}`, "tracking"},
		{CSAF, csafMinimal(`"cve": "CVE-12"`), "/vulnerabilities/0/cve"},
		// Reaches into the FIRST CVSS 3.1 schema (registered, not fetched).
		{CSAF, csafMinimal(`"scores": [{"products": ["P1"], "cvss_v3": {"version": "3.1", "vectorString": "x"}}]`), "cvss_v3"},
	}
	for _, tc := range tests {
		err := Validate(tc.schema, []byte(tc.doc))
		if err == nil {
			t.Errorf("%s accepted %s", tc.schema, tc.doc)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s rejected %s for %v; want a complaint about %s", tc.schema, tc.doc, err, tc.want)
		}
	}
	for _, ok := range []struct{ schema, doc string }{
		{OSV, `{"id": "x_patchwatch-xen-XSA-355", "modified": "2020-11-24T00:00:00Z", "aliases": ["XSA-355", "CVE-2020-29040"],
			"affected": [{"versions": ["4.14"], "database_specific": {"vendor": "xen"}}]}`},
		{CSAF, csafMinimal(`"cve": "CVE-2020-29040"`)},
	} {
		if err := Validate(ok.schema, []byte(ok.doc)); err != nil {
			t.Errorf("%s rejected valid %s: %v", ok.schema, ok.doc, err)
		}
	}
}

func csafMinimal(vuln string) string {
	return `{"document": {"category": "csaf_security_advisory", "csaf_version": "2.0", "title": "t",
		"publisher": {"category": "other", "name": "p", "namespace": "https://p.example"},
		"tracking": {"id": "x", "status": "final", "version": "1",
			"initial_release_date": "2020-11-24T00:00:00Z", "current_release_date": "2020-11-24T00:00:00Z",
			"revision_history": [{"date": "2020-11-24T00:00:00Z", "number": "1", "summary": "s"}]}},
		"vulnerabilities": [{` + vuln + `}]}`
}
