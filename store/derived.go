package store

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
)

// Derived data brought up to date just before every commit, so it is always
// committed together with the records it derives from: the full-text index
// and each fix's release date.
//
// The store itself notes, in Go, which records a transaction wrote
// (changes), and re-derives exactly those with a few set-based statements
// that take the noted IDs as JSON lists. Until migration 0011 SQL triggers
// noted them in tables, which cost a fifth of every page's write; the store
// is the only writer of records, so it can keep the list itself.
//
// Re-indexing: SQLite tokenises each changed record once per transaction,
// however many pages touched it; CROSS JOIN keeps the short list of changes
// as the outer loop, so the cost follows the changes, not the size of the
// index.

// recordKey identifies an advisory, patch or fix. IDs are the vendors' own
// and unique only within a vendor (Microsoft's advisory IDs are bare CVE
// IDs), so every record is keyed by both (migration 0019).
type recordKey struct{ vendor, id string }

// keysJSON encodes keys for the statements as a JSON object of each
// vendor's sorted IDs, {"xen": ["XSA-1", "XSA-2"]}, which SQL unpacks with
// json_each(?) v, json_each(v.value) i (v.key the vendor, i.value the ID).
// One list per vendor is parsed once; a list of [vendor, id] pairs made
// SQLite parse every pair again for each field, a tenth of a page's write.
func keysJSON(keys []recordKey) (string, error) {
	byVendor := map[string][]string{}
	for _, k := range keys {
		byVendor[k.vendor] = append(byVendor[k.vendor], k.id)
	}
	for _, ids := range byVendor {
		slices.Sort(ids)
	}
	b, err := json.Marshal(byVendor) // sorts the vendors
	if err != nil {
		return "", fmt.Errorf("encode record keys: %w", err)
	}
	return string(b), nil
}

// changes are the records written in one transaction.
type changes struct {
	advisories map[recordKey]bool // search text, and the dates of their fixes
	patches    map[recordKey]bool // the dates of the fixes they are linked to
	fixes      map[recordKey]bool // search text and date (or, once deleted, their index rows)
}

func newChanges() *changes {
	return &changes{advisories: map[recordKey]bool{}, patches: map[recordKey]bool{}, fixes: map[recordKey]bool{}}
}

// The statements' parameters: ?1 the advisories, ?2 the fixes, ?3 the
// patches, each as keysJSON encodes them. d lists the changed records to
// re-index.
const changed = `WITH d (kind, vendor, ref) AS (
	SELECT 'advisory', v.key, i.value FROM json_each(?1) v CROSS JOIN json_each(v.value) i
	UNION ALL
	SELECT 'fix', v.key, i.value FROM json_each(?2) v CROSS JOIN json_each(v.value) i)
`

const (
	sqlSearchDropRows = changed + `DELETE FROM search_text WHERE rowid IN (
	SELECT k.rowid FROM d CROSS JOIN search_keys k ON k.kind = d.kind AND k.vendor = d.vendor AND k.ref = d.ref)`
	sqlSearchDropKeys = changed + `DELETE FROM search_keys WHERE rowid IN (
	SELECT k.rowid FROM d CROSS JOIN search_keys k ON k.kind = d.kind AND k.vendor = d.vendor AND k.ref = d.ref
	WHERE (d.kind = 'advisory' AND NOT EXISTS (SELECT 1 FROM advisories WHERE vendor = d.vendor AND id = d.ref))
	   OR (d.kind = 'fix' AND NOT EXISTS (SELECT 1 FROM fixes WHERE vendor = d.vendor AND id = d.ref)))`
	sqlSearchAddKeys = changed + `INSERT INTO search_keys (kind, vendor, ref)
SELECT d.kind, d.vendor, d.ref FROM d
WHERE NOT EXISTS (SELECT 1 FROM search_keys k WHERE k.kind = d.kind AND k.vendor = d.vendor AND k.ref = d.ref)
  AND ((d.kind = 'advisory' AND EXISTS (SELECT 1 FROM advisories WHERE vendor = d.vendor AND id = d.ref))
    OR (d.kind = 'fix' AND EXISTS (SELECT 1 FROM fixes WHERE vendor = d.vendor AND id = d.ref)))`
	// One statement indexes both kinds: FTS5 writes its pending terms out
	// as a new segment at the end of every statement, and each segment
	// must later be merged.
	sqlSearchIndex = `INSERT INTO search_text (rowid, kind, ref, vendor, title, body)
SELECT k.rowid, 'advisory', a.id, a.vendor, a.title,
	a.affected || coalesce((SELECT group_concat(
		char(10) || json_extract(s.value, '$.title') || char(10) || json_extract(s.value, '$.text'), '')
		FROM json_each(a.sections) s), '')
FROM json_each(?1) v CROSS JOIN json_each(v.value) i
CROSS JOIN advisories a ON a.vendor = v.key AND a.id = i.value
CROSS JOIN search_keys k ON k.kind = 'advisory' AND k.vendor = a.vendor AND k.ref = a.id
UNION ALL
SELECT k.rowid, 'fix', f.id, f.vendor, f.component, f.summary || char(10) || f.evidence
FROM json_each(?2) v CROSS JOIN json_each(v.value) i
CROSS JOIN fixes f ON f.vendor = v.key AND f.id = i.value
CROSS JOIN search_keys k ON k.kind = 'fix' AND k.vendor = f.vendor AND k.ref = f.id`
)

// A fix's release date: its earliest patch's, else its advisory's, both of
// its own vendor. Fixes are stored with it (sqlPutFix); at commit it is
// recomputed for the fixes written and those whose advisory or linked
// patches were written, and only the dates that changed are written again.
// CROSS JOIN reads the fix's few patch links first: left to choose, SQLite
// scanned every patch of the vendor by release date for the minimum.
const sqlFixDates = `UPDATE fixes SET released = d.released
FROM (SELECT c.vendor, c.id, coalesce(
		(SELECT min(p.released) FROM fix_patches fp CROSS JOIN patches p ON p.vendor = fp.vendor AND p.id = fp.patch_id
			WHERE fp.vendor = c.vendor AND fp.fix_id = c.id),
		(SELECT a.published FROM fixes f JOIN advisories a ON a.vendor = f.vendor AND a.id = f.advisory_id
			WHERE f.vendor = c.vendor AND f.id = c.id)) AS released
	FROM (SELECT v.key AS vendor, i.value AS id FROM json_each(?2) v CROSS JOIN json_each(v.value) i
		UNION SELECT f.vendor, f.id FROM json_each(?1) v CROSS JOIN json_each(v.value) i
			CROSS JOIN fixes f ON f.vendor = v.key AND f.advisory_id = i.value
		UNION SELECT fp.vendor, fp.fix_id FROM json_each(?3) v CROSS JOIN json_each(v.value) i
			CROSS JOIN fix_patches fp ON fp.vendor = v.key AND fp.patch_id = i.value) c) d
WHERE fixes.vendor = d.vendor AND fixes.id = d.id AND fixes.released IS NOT d.released`

// derivedStatements are run in this order by updateDerived; params is the
// highest parameter each takes (?1 advisories, ?2 fixes, ?3 patches).
var derivedStatements = []struct {
	query  string
	params int
}{
	{sqlFixDates, 3},
	{sqlSearchDropRows, 2}, {sqlSearchDropKeys, 2}, {sqlSearchAddKeys, 2},
	{sqlSearchIndex, 2},
}

// updateDerived brings the fixes' release dates and the full-text index up
// to date with the records written in p's transaction.
func (p *pageTx) updateDerived() error {
	c := p.changes
	if len(c.advisories)+len(c.patches)+len(c.fixes) == 0 {
		return nil
	}
	var args []any
	for _, keys := range []map[recordKey]bool{c.advisories, c.fixes, c.patches} {
		list, err := keysJSON(slices.Collect(maps.Keys(keys)))
		if err != nil {
			return err
		}
		args = append(args, list)
	}
	for _, st := range derivedStatements {
		if _, err := p.exec(st.query, args[:st.params]...); err != nil {
			return err
		}
	}
	return nil
}
