package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// osvSchemaVersion is the OSV schema version the records follow.
const osvSchemaVersion = "1.6.0"

// osvRecord is one OSV entry. Field order follows the OSV spec so the
// files read like everyone else's.
type osvRecord struct {
	SchemaVersion    string         `json:"schema_version"`
	ID               string         `json:"id"`
	Modified         string         `json:"modified"`
	Published        string         `json:"published,omitempty"`
	Withdrawn        string         `json:"withdrawn,omitempty"`
	Aliases          []string       `json:"aliases,omitempty"`
	Summary          string         `json:"summary,omitempty"`
	Details          string         `json:"details,omitempty"`
	Affected         []osvAffected  `json:"affected,omitempty"`
	References       []osvReference `json:"references,omitempty"`
	DatabaseSpecific osvSpecific    `json:"database_specific"`
}

// osvAffected is one product of the advisory. OSV has no ecosystem for
// hypervisors, so the package is (vendor, product) and the versions are the
// vendor's own version names; there are no ranges because vendors list
// versions, not ranges.
type osvAffected struct {
	Package          osvPackage  `json:"package"`
	Versions         []string    `json:"versions"`
	DatabaseSpecific osvSpecific `json:"database_specific"`
}

type osvPackage struct {
	Ecosystem string `json:"ecosystem"`
	Name      string `json:"name"`
}

type osvReference struct {
	Type string `json:"type"`
	URL  string `json:"url"`
}

// osvSpecific is patchwatch's database_specific block: at record level it
// sums up every fix of the advisory, at affected level the fixes of that
// product, each fix with its category, component, patch IDs and the
// classifier rule behind the category.
type osvSpecific struct {
	Vendor     string   `json:"vendor,omitempty"`
	Status     string   `json:"status,omitempty"`
	Severity   string   `json:"severity,omitempty"`
	Version    int      `json:"advisory_version,omitempty"`
	Categories []string `json:"categories"`
	Components []string `json:"components"`
	PatchIDs   []string `json:"patch_ids"`
	Fixes      []osvFix `json:"fixes,omitempty"`
}

type osvFix struct {
	ID        string   `json:"id"`
	Category  string   `json:"category"`
	Component string   `json:"component"`
	Security  bool     `json:"security"`
	Severity  string   `json:"severity,omitempty"`
	PatchIDs  []string `json:"patch_ids"`
	CVEs      []string `json:"cves"`
	Rule      string   `json:"rule"`
}

// osvRecords builds one record per advisory that is not an unused number,
// in vendor and ID order.
func osvRecords(ctx context.Context, db *sql.DB, f exportFilter) ([]osvRecord, error) {
	_, advs, err := fetchAll(ctx, db, `
SELECT a.id, a.vendor, a.status, a.title, a.severity, a.published, a.updated, a.version, a.url, a.affected, a.sections,
	(SELECT min(d.first_fetched_at) FROM documents d WHERE d.url = a.document_url) AS fetched
FROM advisories a
WHERE a.status <> 'unused'
	AND (?1 = '[]' OR a.vendor IN (SELECT value FROM json_each(?1)))
	AND (?2 = '' OR a.published >= ?2)
ORDER BY a.vendor, a.id`, jsonStrings(f.vendors), f.since)
	if err != nil {
		return nil, fmt.Errorf("read advisories: %w", err)
	}
	recs := make([]osvRecord, 0, len(advs))
	for _, a := range advs {
		r, err := osvRecordFor(ctx, db, a)
		if err != nil {
			return nil, fmt.Errorf("osv record %v: %w", a[0], err)
		}
		recs = append(recs, r)
	}
	return recs, nil
}

func osvRecordFor(ctx context.Context, db *sql.DB, a []any) (osvRecord, error) {
	id, vendor, status := cell(a[0]), cell(a[1]), cell(a[2])
	r := osvRecord{
		SchemaVersion: osvSchemaVersion,
		ID:            id,
		Summary:       cell(a[3]),
		DatabaseSpecific: osvSpecific{
			Vendor: vendor, Status: status, Severity: cell(a[4]),
		},
	}
	if v, ok := a[7].(int64); ok {
		r.DatabaseSpecific.Version = int(v)
	}
	published, updated := cell(a[5]), cell(a[6])
	if published != "" {
		r.Published = published + "T00:00:00Z"
	}
	switch {
	case updated != "":
		r.Modified = updated + "T00:00:00Z"
	case published != "":
		r.Modified = r.Published
	default:
		// No date on any page: the first time we saw the advisory is the
		// best "modified" there is, and it is required.
		r.Modified = cell(a[11])
	}
	if status == "withdrawn" {
		r.Withdrawn = r.Modified
	}
	r.Details = osvDetails(cell(a[9]), cell(a[10]))
	if u := cell(a[8]); isHTTPURL(u) {
		r.References = append(r.References, osvReference{Type: "ADVISORY", URL: u})
	}

	_, cves, err := fetchAll(ctx, db, `SELECT cve FROM advisory_cves WHERE advisory_id = ? ORDER BY cve`, id)
	if err != nil {
		return r, fmt.Errorf("read CVEs: %w", err)
	}
	for _, c := range cves {
		r.Aliases = append(r.Aliases, cell(c[0]))
	}

	_, fixes, err := fetchAll(ctx, db, `
SELECT f.id, f.product, f.versions, f.category, f.component, f.security, f.severity, f.rule,
	coalesce((SELECT group_concat(cve, ' ') FROM (SELECT cve FROM fix_cves WHERE fix_id = f.id ORDER BY cve)), '')
FROM fixes f WHERE f.advisory_id = ? ORDER BY f.product, f.id`, id)
	if err != nil {
		return r, fmt.Errorf("read fixes: %w", err)
	}
	byProduct := map[string]*osvAffected{}
	var products []string
	var fixURLs []string
	for _, fx := range fixes {
		fixID, product := cell(fx[0]), cell(fx[1])
		aff := byProduct[product]
		if aff == nil {
			aff = &osvAffected{Package: osvPackage{Ecosystem: vendor, Name: product}}
			byProduct[product] = aff
			products = append(products, product)
		}
		_, patches, err := fetchAll(ctx, db, `
SELECT fp.patch_id, coalesce(p.version, ''), coalesce(p.url, '')
FROM fix_patches fp LEFT JOIN patches p ON p.id = fp.patch_id
WHERE fp.fix_id = ? ORDER BY fp.patch_id`, fixID)
		if err != nil {
			return r, fmt.Errorf("read patches of %s: %w", fixID, err)
		}
		_, remedies, err := fetchAll(ctx, db, `
SELECT version, patch_id FROM fix_remedies
WHERE fix_id = ? AND status NOT IN ('not-affected', 'not-applicable') ORDER BY seq`, fixID)
		if err != nil {
			return r, fmt.Errorf("read remedies of %s: %w", fixID, err)
		}
		var versions, patchIDs []string
		for _, p := range patches {
			patchIDs = append(patchIDs, cell(p[0]))
			versions = append(versions, splitList(cell(p[1]), ",")...)
			if u := cell(p[2]); isHTTPURL(u) {
				fixURLs = append(fixURLs, u)
			}
		}
		for _, rm := range remedies {
			versions = append(versions, splitList(cell(rm[0]), ",")...)
			if pid := cell(rm[1]); pid != "" {
				patchIDs = append(patchIDs, pid)
			}
		}
		if len(versions) == 0 {
			var listed []string
			if err := json.Unmarshal([]byte(cell(fx[2])), &listed); err != nil {
				return r, fmt.Errorf("fix %s versions: %w", fixID, err)
			}
			for _, l := range listed {
				versions = append(versions, splitList(l, ",")...)
			}
		}
		fix := osvFix{
			ID: fixID, Category: cell(fx[3]), Component: cell(fx[4]), Security: fx[5] == int64(1),
			Severity: cell(fx[6]), Rule: cell(fx[7]),
			PatchIDs: sortedUnique(patchIDs), CVEs: sortedUnique(splitList(cell(fx[8]), " ")),
		}
		aff.Versions = sortedUnique(append(aff.Versions, versions...))
		aff.DatabaseSpecific.Fixes = append(aff.DatabaseSpecific.Fixes, fix)
		aff.DatabaseSpecific.Categories = sortedUnique(append(aff.DatabaseSpecific.Categories, fix.Category))
		aff.DatabaseSpecific.Components = sortedUnique(append(aff.DatabaseSpecific.Components, fix.Component))
		aff.DatabaseSpecific.PatchIDs = sortedUnique(append(aff.DatabaseSpecific.PatchIDs, fix.PatchIDs...))
	}
	top := &r.DatabaseSpecific
	top.Categories, top.Components, top.PatchIDs = []string{}, []string{}, []string{}
	for _, p := range products {
		aff := byProduct[p]
		r.Affected = append(r.Affected, *aff)
		top.Categories = sortedUnique(append(top.Categories, aff.DatabaseSpecific.Categories...))
		top.Components = sortedUnique(append(top.Components, aff.DatabaseSpecific.Components...))
		top.PatchIDs = sortedUnique(append(top.PatchIDs, aff.DatabaseSpecific.PatchIDs...))
	}
	for _, u := range sortedUnique(fixURLs) {
		r.References = append(r.References, osvReference{Type: "FIX", URL: u})
	}
	return r, nil
}

// osvDetails is the advisory's text sections as plain paragraphs, or its
// affected-versions sentence when it has no sections.
func osvDetails(affected, sections string) string {
	var ss []struct{ Title, Text string }
	if err := json.Unmarshal([]byte(sections), &ss); err != nil || len(ss) == 0 {
		return affected
	}
	parts := make([]string, 0, len(ss))
	for _, s := range ss {
		parts = append(parts, strings.TrimSpace(s.Title+"\n\n"+s.Text))
	}
	return strings.ToValidUTF8(strings.Join(parts, "\n\n"), "\uFFFD")
}

// splitList splits a separated list, trimming and dropping empty items.
func splitList(s, sep string) []string {
	var out []string
	for _, p := range strings.Split(s, sep) {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// sortedUnique returns the distinct items of v in order, never nil, so
// lists encode as [] rather than null.
func sortedUnique(v []string) []string {
	out := make([]string, 0, len(v))
	seen := map[string]bool{}
	for _, s := range v {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}

func isHTTPURL(s string) bool {
	return strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "http://")
}

// unsafeFileChars are replaced in file names: IDs are the vendor's and
// some carry characters not every file system takes (RHSA-2015:0999).
var unsafeFileChars = regexp.MustCompile(`[^A-Za-z0-9._-]`)

// osvFileName is the record's file name: its ID with unsafe characters
// replaced by "_", as Red Hat names its own OSV files (RHSA-2015_0999.json).
func osvFileName(id string) (string, error) {
	name := unsafeFileChars.ReplaceAllString(id, "_")
	if name == "" || name[0] == '.' {
		return "", fmt.Errorf("advisory id %q cannot be a file name", id)
	}
	return name + ".json", nil
}

// writeOSVDir writes one file per record, the layout OSV databases
// publish.
func writeOSVDir(dir string, recs []osvRecord) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("export osv: %w", err)
	}
	seen := map[string]string{}
	for _, r := range recs {
		name, err := osvFileName(r.ID)
		if err != nil {
			return fmt.Errorf("export osv: %w", err)
		}
		if other, dup := seen[strings.ToLower(name)]; dup {
			return fmt.Errorf("export osv: advisories %s and %s would both be written to %s", other, r.ID, name)
		}
		seen[strings.ToLower(name)] = r.ID
		b, err := osvJSON(r)
		if err != nil {
			return fmt.Errorf("export osv %s: %w", r.ID, err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return fmt.Errorf("export osv %s: %w", r.ID, err)
		}
	}
	return nil
}

// writeOSVArray writes every record as one JSON array.
func writeOSVArray(w io.Writer, recs []osvRecord) error {
	if recs == nil {
		recs = []osvRecord{}
	}
	b, err := osvJSON(recs)
	if err != nil {
		return fmt.Errorf("export osv: %w", err)
	}
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("export osv: %w", err)
	}
	return nil
}

// osvJSON encodes v indented, without escaping <, > and & (advisory text
// is full of them), ending in a newline.
func osvJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
