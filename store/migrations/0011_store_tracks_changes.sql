-- 0011: the store notes which records it wrote itself (store/derived.go).
--
-- Triggers noted every written advisory, patch, fix and patch link in
-- search_dirty and fix_dates_dirty, a lookup and an insert per row that
-- cost about a fifth of each page's write; the store is the only writer of
-- records and already knows what it wrote. Records changed by hand with SQL
-- are no longer re-indexed by the next write: `patchwatch reparse --force`
-- rewrites every record and its derived data.
--
-- First, derive whatever is still noted, as the store did before.
UPDATE fixes SET released = coalesce(
	(SELECT min(p.released) FROM fix_patches fp JOIN patches p ON p.id = fp.patch_id WHERE fp.fix_id = fixes.id),
	(SELECT published FROM advisories WHERE id = fixes.advisory_id))
WHERE id IN (SELECT fix_id FROM fix_dates_dirty);

DELETE FROM search_text WHERE rowid IN (
	SELECT k.rowid FROM search_dirty d CROSS JOIN search_keys k ON k.kind = d.kind AND k.ref = d.ref);
DELETE FROM search_keys WHERE rowid IN (
	SELECT k.rowid FROM search_dirty d CROSS JOIN search_keys k ON k.kind = d.kind AND k.ref = d.ref
	WHERE (d.kind = 'advisory' AND NOT EXISTS (SELECT 1 FROM advisories WHERE id = d.ref))
	   OR (d.kind = 'fix' AND NOT EXISTS (SELECT 1 FROM fixes WHERE id = d.ref)));
INSERT INTO search_keys (kind, ref)
SELECT d.kind, d.ref FROM search_dirty d
WHERE NOT EXISTS (SELECT 1 FROM search_keys k WHERE k.kind = d.kind AND k.ref = d.ref)
  AND ((d.kind = 'advisory' AND EXISTS (SELECT 1 FROM advisories WHERE id = d.ref))
    OR (d.kind = 'fix' AND EXISTS (SELECT 1 FROM fixes WHERE id = d.ref)));
INSERT INTO search_text (rowid, kind, ref, vendor, title, body)
SELECT k.rowid, 'advisory', a.id, a.vendor, a.title,
	a.affected || coalesce((SELECT group_concat(
		char(10) || json_extract(s.value, '$.title') || char(10) || json_extract(s.value, '$.text'), '')
		FROM json_each(a.sections) s), '')
FROM search_dirty d
CROSS JOIN advisories a ON a.id = d.ref
CROSS JOIN search_keys k ON k.kind = 'advisory' AND k.ref = a.id
WHERE d.kind = 'advisory';
INSERT INTO search_text (rowid, kind, ref, vendor, title, body)
SELECT k.rowid, 'fix', f.id, f.vendor, f.component, f.summary || char(10) || f.evidence
FROM search_dirty d
CROSS JOIN fixes f ON f.id = d.ref
CROSS JOIN search_keys k ON k.kind = 'fix' AND k.ref = f.id
WHERE d.kind = 'fix';

DROP TRIGGER advisories_search_ai;
DROP TRIGGER advisories_search_au;
DROP TRIGGER advisories_search_ad;
DROP TRIGGER fixes_search_ai;
DROP TRIGGER fixes_search_au;
DROP TRIGGER fixes_search_ad;
DROP TRIGGER fixes_date_ai;
DROP TRIGGER fixes_date_au;
DROP TRIGGER fix_patches_date_ai;
DROP TRIGGER fix_patches_date_ad;
DROP TRIGGER patches_date_ai;
DROP TRIGGER patches_date_au;
DROP TRIGGER advisories_date_ai;
DROP TRIGGER advisories_date_au;
DROP TABLE search_dirty;
DROP TABLE fix_dates_dirty;
