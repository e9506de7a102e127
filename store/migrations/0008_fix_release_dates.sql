-- 0008: store each fix's release date instead of computing it in v_fixes.
--
-- v_fixes.released (the earliest release of the fix's patches, else its
-- advisory's publication date) was a per-row subquery, so filtering fixes by
-- year computed it for every fix of the vendor: 0.7 s on a 100,000-page
-- database. fixes.released now holds it, indexed with the vendor. Triggers
-- note the fixes whose date may have changed (their patch links, their
-- patches' or advisory's dates) in fix_dates_dirty, and the store recomputes
-- exactly those just before each commit (store/derived.go), as it does for the
-- search index. v_fixes keeps its columns, names and order.
ALTER TABLE fixes ADD COLUMN released TEXT;

UPDATE fixes SET released = coalesce(
	(SELECT min(p.released) FROM fix_patches fp JOIN patches p ON p.id = fp.patch_id WHERE fp.fix_id = fixes.id),
	(SELECT published FROM advisories WHERE id = fixes.advisory_id));

CREATE INDEX fixes_vendor_released ON fixes (vendor, released);

CREATE TABLE fix_dates_dirty (
	fix_id TEXT PRIMARY KEY
) STRICT, WITHOUT ROWID;

CREATE TRIGGER fixes_date_ai AFTER INSERT ON fixes BEGIN
	INSERT INTO fix_dates_dirty (fix_id) SELECT new.id
	WHERE NOT EXISTS (SELECT 1 FROM fix_dates_dirty WHERE fix_id = new.id);
END;

CREATE TRIGGER fixes_date_au AFTER UPDATE OF advisory_id ON fixes
WHEN old.advisory_id IS NOT new.advisory_id
BEGIN
	INSERT INTO fix_dates_dirty (fix_id) SELECT new.id
	WHERE NOT EXISTS (SELECT 1 FROM fix_dates_dirty WHERE fix_id = new.id);
END;

CREATE TRIGGER fix_patches_date_ai AFTER INSERT ON fix_patches BEGIN
	INSERT INTO fix_dates_dirty (fix_id) SELECT new.fix_id
	WHERE NOT EXISTS (SELECT 1 FROM fix_dates_dirty WHERE fix_id = new.fix_id);
END;

CREATE TRIGGER fix_patches_date_ad AFTER DELETE ON fix_patches BEGIN
	INSERT INTO fix_dates_dirty (fix_id) SELECT old.fix_id
	WHERE NOT EXISTS (SELECT 1 FROM fix_dates_dirty WHERE fix_id = old.fix_id);
END;

CREATE TRIGGER patches_date_ai AFTER INSERT ON patches BEGIN
	INSERT INTO fix_dates_dirty (fix_id) SELECT DISTINCT fp.fix_id FROM fix_patches fp
	WHERE fp.patch_id = new.id AND NOT EXISTS (SELECT 1 FROM fix_dates_dirty d WHERE d.fix_id = fp.fix_id);
END;

CREATE TRIGGER patches_date_au AFTER UPDATE OF released ON patches
WHEN old.released IS NOT new.released
BEGIN
	INSERT INTO fix_dates_dirty (fix_id) SELECT DISTINCT fp.fix_id FROM fix_patches fp
	WHERE fp.patch_id = new.id AND NOT EXISTS (SELECT 1 FROM fix_dates_dirty d WHERE d.fix_id = fp.fix_id);
END;

CREATE TRIGGER advisories_date_ai AFTER INSERT ON advisories BEGIN
	INSERT INTO fix_dates_dirty (fix_id) SELECT f.id FROM fixes f
	WHERE f.advisory_id = new.id AND NOT EXISTS (SELECT 1 FROM fix_dates_dirty d WHERE d.fix_id = f.id);
END;

CREATE TRIGGER advisories_date_au AFTER UPDATE OF published ON advisories
WHEN old.published IS NOT new.published
BEGIN
	INSERT INTO fix_dates_dirty (fix_id) SELECT f.id FROM fixes f
	WHERE f.advisory_id = new.id AND NOT EXISTS (SELECT 1 FROM fix_dates_dirty d WHERE d.fix_id = f.id);
END;

DROP VIEW v_fixes;
CREATE VIEW v_fixes AS
SELECT
	f.id,
	f.vendor,
	f.product,
	f.versions,
	f.advisory_id,
	coalesce(a.title, '') AS advisory_title,
	coalesce((SELECT group_concat(fp.patch_id, ' ' ORDER BY fp.patch_id) FROM fix_patches fp WHERE fp.fix_id = f.id), '') AS patch_ids,
	f.released,
	f.category,
	f.security,
	f.severity,
	coalesce((SELECT group_concat(c.cve, ' ' ORDER BY c.cve) FROM fix_cves c WHERE c.fix_id = f.id), '') AS cves,
	f.component,
	f.summary,
	f.rule,
	f.evidence
FROM fixes f
LEFT JOIN advisories a ON a.id = f.advisory_id;
