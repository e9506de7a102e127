package store

// Derived data brought up to date just before every commit, so it is always
// committed together with the records it derives from: the full-text index
// of the records noted in search_dirty (migration 0006) and the release
// dates of the fixes noted in fix_dates_dirty (migration 0008).
//
// Re-indexing: Set-based statements let SQLite tokenise
// each changed record once per transaction, however many pages touched it;
// CROSS JOIN keeps the small dirty list as the outer loop, so the cost
// follows the changes, not the size of the index.
const (
	sqlSearchDropRows = `DELETE FROM search_text WHERE rowid IN (
	SELECT k.rowid FROM search_dirty d CROSS JOIN search_keys k ON k.kind = d.kind AND k.ref = d.ref)`
	sqlSearchDropKeys = `DELETE FROM search_keys WHERE rowid IN (
	SELECT k.rowid FROM search_dirty d CROSS JOIN search_keys k ON k.kind = d.kind AND k.ref = d.ref
	WHERE (d.kind = 'advisory' AND NOT EXISTS (SELECT 1 FROM advisories WHERE id = d.ref))
	   OR (d.kind = 'fix' AND NOT EXISTS (SELECT 1 FROM fixes WHERE id = d.ref)))`
	sqlSearchAddKeys = `INSERT INTO search_keys (kind, ref)
SELECT d.kind, d.ref FROM search_dirty d
WHERE NOT EXISTS (SELECT 1 FROM search_keys k WHERE k.kind = d.kind AND k.ref = d.ref)
  AND ((d.kind = 'advisory' AND EXISTS (SELECT 1 FROM advisories WHERE id = d.ref))
    OR (d.kind = 'fix' AND EXISTS (SELECT 1 FROM fixes WHERE id = d.ref)))`
	sqlSearchIndexAdvisories = `INSERT INTO search_text (rowid, kind, ref, vendor, title, body)
SELECT k.rowid, 'advisory', a.id, a.vendor, a.title,
	a.affected || coalesce((SELECT group_concat(
		char(10) || json_extract(s.value, '$.title') || char(10) || json_extract(s.value, '$.text'), '')
		FROM json_each(a.sections) s), '')
FROM search_dirty d
CROSS JOIN advisories a ON a.id = d.ref
CROSS JOIN search_keys k ON k.kind = 'advisory' AND k.ref = a.id
WHERE d.kind = 'advisory'`
	sqlSearchIndexFixes = `INSERT INTO search_text (rowid, kind, ref, vendor, title, body)
SELECT k.rowid, 'fix', f.id, f.vendor, f.component, f.summary || char(10) || f.evidence
FROM search_dirty d
CROSS JOIN fixes f ON f.id = d.ref
CROSS JOIN search_keys k ON k.kind = 'fix' AND k.ref = f.id
WHERE d.kind = 'fix'`
	sqlSearchClearDirty = `DELETE FROM search_dirty`
)

// A fix's release date: its earliest patch's, else its advisory's.
const (
	sqlFixDates = `UPDATE fixes SET released = coalesce(
	(SELECT min(p.released) FROM fix_patches fp JOIN patches p ON p.id = fp.patch_id WHERE fp.fix_id = fixes.id),
	(SELECT published FROM advisories WHERE id = fixes.advisory_id))
WHERE id IN (SELECT fix_id FROM fix_dates_dirty)`
	sqlFixDatesClear = `DELETE FROM fix_dates_dirty`
)

// derivedStatements are run in this order by updateDerived.
var derivedStatements = []string{sqlFixDates, sqlFixDatesClear,
	sqlSearchDropRows, sqlSearchDropKeys, sqlSearchAddKeys,
	sqlSearchIndexAdvisories, sqlSearchIndexFixes, sqlSearchClearDirty}

// updateDerived brings the fixes' release dates and the full-text index up
// to date with the records changed in p's transaction.
func (p *pageTx) updateDerived() error {
	for _, q := range derivedStatements {
		if _, err := p.exec(q); err != nil {
			return err
		}
	}
	return nil
}
