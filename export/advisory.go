package export

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/patchwatch/patchwatch/internal/sqlrows"
)

// Advisory is one advisory with everything the OSV and CSAF mappings use,
// read from the views. Both mappings start from it, so they agree on which
// fixes, patches and versions an advisory has.
type Advisory struct {
	ID, Vendor, Status, Title, Severity string
	Published, Updated                  string // YYYY-MM-DD or ""
	Version                             int    // the vendor's revision, 0 if unknown
	URL, Affected                       string
	CVEs                                []string
	Sections                            []Section
	FirstSeen                           string // RFC 3339: when the advisory's page was first fetched
	Fixes                               []Fix
}

// Section is one of the advisory's text blocks.
type Section struct {
	Title string `json:"title"`
	Text  string `json:"text"`
}

// Fix is one fix of an advisory, with the patches and remedy rows that
// carry it.
type Fix struct {
	ID, Product             string
	Versions                []string // as the vendor lists them
	Category, Component     string
	Security                bool
	Severity, Summary, Rule string
	Evidence                string
	PatchIDs, CVEs          []string
	Patches                 []Patch // the stored ones among PatchIDs
	Remedies                []Remedy
	AffectedVersions        []string // from patches and remedies, else Versions; split on commas
	NotAffectedVersions     []string // remedy rows that say not-affected or not-applicable
}

// Patch is a stored patch a fix names.
type Patch struct{ ID, Product, Version, Released, URL string }

// Remedy is one row of the vendor's remedy table for a fix.
type Remedy struct{ Product, Version, Platform, Status, PatchID, FixedVersion string }

// LoadAdvisories reads every advisory that is not an unused number, in
// vendor and ID order, each with its fixes. An advisory whose stored data
// cannot be read (its JSON columns do not decode) is returned in bad with the
// error, and the others are still loaded: one broken record does not stop an
// export.
func LoadAdvisories(ctx context.Context, db *sql.DB, f Filter) (good []Advisory, bad []error, err error) {
	// Fixes are read by vendor (migration 0019); a database migrated by an
	// older patchwatch fails here once, rather than once per advisory.
	if _, _, err := sqlrows.All(ctx, db, `SELECT vendor FROM v_fix_remedies LIMIT 0`); err != nil {
		return nil, nil, fmt.Errorf("read v_fix_remedies: %w", err)
	}
	_, advs, err := sqlrows.All(ctx, db, `
SELECT id, vendor, status, title, severity, published, updated, version, url, affected, cves, sections, first_seen
FROM v_advisories
WHERE status <> 'unused'
	AND (?1 = '[]' OR vendor IN (SELECT value FROM json_each(?1)))
	AND (?2 = '' OR published >= ?2)
ORDER BY vendor, id`, f.vendorsJSON(), f.Since)
	if err != nil {
		return nil, nil, fmt.Errorf("read v_advisories: %w", err)
	}
	for _, a := range advs {
		adv := Advisory{
			ID: sqlrows.Cell(a[0]), Vendor: sqlrows.Cell(a[1]), Status: sqlrows.Cell(a[2]), Title: sqlrows.Cell(a[3]),
			Severity: sqlrows.Cell(a[4]), Published: sqlrows.Cell(a[5]), Updated: sqlrows.Cell(a[6]),
			URL: sqlrows.Cell(a[8]), Affected: sqlrows.Cell(a[9]),
			CVEs: splitList(sqlrows.Cell(a[10]), " "), FirstSeen: sqlrows.Cell(a[12]),
		}
		if v, ok := a[7].(int64); ok {
			adv.Version = int(v)
		}
		if s := sqlrows.Cell(a[11]); s != "" {
			if err := json.Unmarshal([]byte(s), &adv.Sections); err != nil {
				bad = append(bad, fmt.Errorf("advisory %s: sections: %w", adv.ID, err))
				continue
			}
		}
		if adv.Fixes, err = loadFixes(ctx, db, adv.Vendor, adv.ID); err != nil {
			if ctx.Err() != nil {
				return good, bad, err
			}
			bad = append(bad, fmt.Errorf("advisory %s: %w", adv.ID, err))
			continue
		}
		good = append(good, adv)
	}
	return good, bad, nil
}

// loadFixes reads an advisory's fixes in product and ID order, with the
// patches and remedies they name. Records are keyed by vendor and ID (IDs
// are the vendor's own), so every read names the vendor.
func loadFixes(ctx context.Context, db *sql.DB, vendor, advisoryID string) ([]Fix, error) {
	_, rows, err := sqlrows.All(ctx, db, `
SELECT id, product, versions, category, component, security, severity, summary, rule, evidence, patch_ids, cves
FROM v_fixes WHERE vendor = ? AND advisory_id = ? ORDER BY product, id`, vendor, advisoryID)
	if err != nil {
		return nil, fmt.Errorf("read v_fixes: %w", err)
	}
	var fixes []Fix
	for _, r := range rows {
		fx := Fix{
			ID: sqlrows.Cell(r[0]), Product: sqlrows.Cell(r[1]), Category: sqlrows.Cell(r[3]), Component: sqlrows.Cell(r[4]),
			Security: r[5] == int64(1), Severity: sqlrows.Cell(r[6]), Summary: sqlrows.Cell(r[7]),
			Rule: sqlrows.Cell(r[8]), Evidence: sqlrows.Cell(r[9]),
			PatchIDs: splitList(sqlrows.Cell(r[10]), " "), CVEs: splitList(sqlrows.Cell(r[11]), " "),
		}
		if err := json.Unmarshal([]byte(sqlrows.Cell(r[2])), &fx.Versions); err != nil {
			return nil, fmt.Errorf("fix %s: versions %q: %w", fx.ID, sqlrows.Cell(r[2]), err)
		}
		_, ps, err := sqlrows.All(ctx, db, `
SELECT id, product, version, coalesce(released, ''), url FROM v_patches
WHERE vendor = ? AND id IN (SELECT value FROM json_each(?)) ORDER BY id`, vendor, sqlrows.JSONList(fx.PatchIDs))
		if err != nil {
			return nil, fmt.Errorf("fix %s: read v_patches: %w", fx.ID, err)
		}
		for _, p := range ps {
			fx.Patches = append(fx.Patches, Patch{ID: sqlrows.Cell(p[0]), Product: sqlrows.Cell(p[1]),
				Version: sqlrows.Cell(p[2]), Released: sqlrows.Cell(p[3]), URL: sqlrows.Cell(p[4])})
		}
		_, rs, err := sqlrows.All(ctx, db, `
SELECT product, version, platform, status, patch_id, fixed_version FROM v_fix_remedies
WHERE vendor = ? AND fix_id = ? ORDER BY seq`, vendor, fx.ID)
		if err != nil {
			return nil, fmt.Errorf("fix %s: read v_fix_remedies: %w", fx.ID, err)
		}
		for _, r := range rs {
			fx.Remedies = append(fx.Remedies, Remedy{Product: sqlrows.Cell(r[0]), Version: sqlrows.Cell(r[1]),
				Platform: sqlrows.Cell(r[2]), Status: sqlrows.Cell(r[3]), PatchID: sqlrows.Cell(r[4]),
				FixedVersion: sqlrows.Cell(r[5])})
		}
		fx.deriveVersions()
		fixes = append(fixes, fx)
	}
	return fixes, nil
}

// deriveVersions sets AffectedVersions and NotAffectedVersions. The patches'
// versions and the remedy rows that are not "not affected" say which
// versions the fix is for; when neither names one, the fix's own list does.
func (fx *Fix) deriveVersions() {
	var versions, notAffected []string
	for _, p := range fx.Patches {
		versions = append(versions, splitList(p.Version, ",")...)
	}
	for _, r := range fx.Remedies {
		if r.Status == "not-affected" || r.Status == "not-applicable" {
			notAffected = append(notAffected, splitList(r.Version, ",")...)
			continue
		}
		versions = append(versions, splitList(r.Version, ",")...)
	}
	if len(versions) == 0 {
		for _, l := range fx.Versions {
			versions = append(versions, splitList(l, ",")...)
		}
	}
	fx.AffectedVersions = sortedUnique(versions)
	fx.NotAffectedVersions = sortedUnique(notAffected)
}

// remedyPatchIDs are the patch IDs the fix's remedy rows name, beside its
// linked patches.
func (fx *Fix) remedyPatchIDs() []string {
	var ids []string
	for _, r := range fx.Remedies {
		if r.PatchID != "" && r.Status != "not-affected" && r.Status != "not-applicable" {
			ids = append(ids, r.PatchID)
		}
	}
	return ids
}

// allPatchIDs is every patch ID the fix names, linked or in its remedy rows.
func (fx *Fix) allPatchIDs() []string {
	return sortedUnique(append(append([]string{}, fx.PatchIDs...), fx.remedyPatchIDs()...))
}

// details is the advisory's text sections as plain paragraphs, or its
// affected-versions sentence when it has no sections.
func (a *Advisory) details() string {
	if len(a.Sections) == 0 {
		return strings.ToValidUTF8(a.Affected, "\uFFFD")
	}
	parts := make([]string, 0, len(a.Sections))
	for _, s := range a.Sections {
		parts = append(parts, strings.TrimSpace(s.Title+"\n\n"+s.Text))
	}
	return strings.ToValidUTF8(strings.Join(parts, "\n\n"), "\uFFFD")
}
