-- 0004_analyst: the analyst's side of the schema — three stable views and a
-- full-text index over advisory and fix text.
--
-- The views are the interface analysts, exports and reports read. Later
-- migrations may add columns at the end of a view but never rename, retype or
-- drop one; docs/schema.md lists them. They are plain SQL over the tables,
-- so they are always current and cost nothing to keep.
--
-- The full-text index is an ordinary FTS5 table that keeps its own copy of
-- the text: advisories and fixes are WITHOUT ROWID tables keyed by text, so
-- FTS5's external-content mode (which needs an integer rowid on the content
-- table) cannot point at them, and a contentless table could not return
-- snippets. search_keys gives every indexed record a stable integer rowid, so
-- the triggers below replace one record's row by rowid instead of scanning
-- the index. The triggers keep the index in sync on every insert, upsert and
-- delete, so the store's Go code needs no change.

-- v_advisories: one row per advisory, with its CVEs and how many fixes and
-- patches are recorded for it.
CREATE VIEW v_advisories AS
SELECT
	a.id,
	a.vendor,
	a.status,
	a.title,
	a.severity,
	a.published,
	a.updated,
	a.version,
	a.url,
	a.affected,
	coalesce((SELECT group_concat(c.cve, ' ' ORDER BY c.cve) FROM advisory_cves c WHERE c.advisory_id = a.id), '') AS cves,
	(SELECT count(*) FROM fixes f WHERE f.advisory_id = a.id) AS fix_count,
	(SELECT count(*) FROM patches p WHERE p.advisory_id = a.id) AS patch_count
FROM advisories a;

-- v_patches: one row per patch, with the categories of the fixes it carries
-- and whether any of them is a security fix.
CREATE VIEW v_patches AS
SELECT
	p.id,
	p.vendor,
	p.product,
	p.version,
	p.released,
	p.classification,
	p.reboot_required,
	p.vm_restart_required,
	p.severity,
	p.advisory_id,
	p.url,
	p.build,
	p.release_id,
	p.supersedes,
	p.packages,
	(SELECT count(*) FROM fix_patches fp WHERE fp.patch_id = p.id) AS fix_count,
	coalesce((SELECT group_concat(DISTINCT f.category ORDER BY f.category)
		FROM fix_patches fp JOIN fixes f ON f.id = fp.fix_id WHERE fp.patch_id = p.id), '') AS categories,
	(lower(p.classification) = 'security'
		OR EXISTS (SELECT 1 FROM fix_patches fp JOIN fixes f ON f.id = fp.fix_id
			WHERE fp.patch_id = p.id AND f.security = 1)) AS security
FROM patches p;

-- v_fixes: one row per fix with everything an analyst filters on: vendor,
-- product, versions, advisory, patch IDs, release date (the earliest release
-- of its patches, else the advisory's publication date), category, security,
-- severity, CVEs, component, and the classifier rule with its evidence.
CREATE VIEW v_fixes AS
SELECT
	f.id,
	f.vendor,
	f.product,
	f.versions,
	f.advisory_id,
	coalesce(a.title, '') AS advisory_title,
	coalesce((SELECT group_concat(fp.patch_id, ' ' ORDER BY fp.patch_id) FROM fix_patches fp WHERE fp.fix_id = f.id), '') AS patch_ids,
	coalesce((SELECT min(p.released) FROM fix_patches fp JOIN patches p ON p.id = fp.patch_id WHERE fp.fix_id = f.id),
		a.published) AS released,
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

-- search_keys maps each indexed record (kind, ref) to the integer rowid of
-- its row in search_text.
CREATE TABLE search_keys (
	rowid INTEGER PRIMARY KEY,
	kind  TEXT NOT NULL CHECK (kind IN ('advisory', 'fix')),
	ref   TEXT NOT NULL,
	UNIQUE (kind, ref)
) STRICT;

-- search_text is the full-text index. kind and vendor are stored for output
-- and filtering but not tokenised; ref (the record's ID, so "XSA-355"
-- finds the advisory and its fixes), title and body are searched.
-- An advisory's title is its title and its body its affected-versions
-- sentence and text sections; a fix's title is its component and its body
-- its summary and the classifier's evidence. porter folds English word
-- endings ("overflows" finds "overflow"); unicode61 folds case and accents.
CREATE VIRTUAL TABLE search_text USING fts5(
	kind UNINDEXED,
	ref,
	vendor UNINDEXED,
	title,
	body,
	tokenize = 'porter unicode61'
);

-- Rebuild: index the rows that existed before this migration.
INSERT INTO search_keys (kind, ref) SELECT 'advisory', id FROM advisories ORDER BY id;
INSERT INTO search_keys (kind, ref) SELECT 'fix', id FROM fixes ORDER BY id;
INSERT INTO search_text (rowid, kind, ref, vendor, title, body)
SELECT k.rowid, 'advisory', a.id, a.vendor, a.title,
	a.affected || coalesce((SELECT group_concat(
		char(10) || json_extract(s.value, '$.title') || char(10) || json_extract(s.value, '$.text'), '')
		FROM json_each(a.sections) s), '')
FROM advisories a JOIN search_keys k ON k.kind = 'advisory' AND k.ref = a.id;
INSERT INTO search_text (rowid, kind, ref, vendor, title, body)
SELECT k.rowid, 'fix', f.id, f.vendor, f.component, f.summary || char(10) || f.evidence
FROM fixes f JOIN search_keys k ON k.kind = 'fix' AND k.ref = f.id;

-- Advisories: an upsert that updates fires the UPDATE trigger, one that
-- inserts the INSERT trigger. The triggers avoid INSERT OR IGNORE: inside a
-- trigger the outer statement's conflict clause (the store's upsert)
-- overrides the trigger's own, which turned the IGNORE into an abort.
CREATE TRIGGER advisories_search_ai AFTER INSERT ON advisories BEGIN
	INSERT INTO search_keys (kind, ref) SELECT 'advisory', new.id
	WHERE NOT EXISTS (SELECT 1 FROM search_keys WHERE kind = 'advisory' AND ref = new.id);
	INSERT INTO search_text (rowid, kind, ref, vendor, title, body)
	SELECT k.rowid, 'advisory', new.id, new.vendor, new.title,
		new.affected || coalesce((SELECT group_concat(
			char(10) || json_extract(s.value, '$.title') || char(10) || json_extract(s.value, '$.text'), '')
			FROM json_each(new.sections) s), '')
	FROM search_keys k WHERE k.kind = 'advisory' AND k.ref = new.id;
END;

CREATE TRIGGER advisories_search_au AFTER UPDATE ON advisories BEGIN
	DELETE FROM search_text WHERE rowid = (SELECT rowid FROM search_keys WHERE kind = 'advisory' AND ref = old.id);
	UPDATE search_keys SET ref = new.id WHERE kind = 'advisory' AND ref = old.id;
	INSERT INTO search_keys (kind, ref) SELECT 'advisory', new.id
	WHERE NOT EXISTS (SELECT 1 FROM search_keys WHERE kind = 'advisory' AND ref = new.id);
	INSERT INTO search_text (rowid, kind, ref, vendor, title, body)
	SELECT k.rowid, 'advisory', new.id, new.vendor, new.title,
		new.affected || coalesce((SELECT group_concat(
			char(10) || json_extract(s.value, '$.title') || char(10) || json_extract(s.value, '$.text'), '')
			FROM json_each(new.sections) s), '')
	FROM search_keys k WHERE k.kind = 'advisory' AND k.ref = new.id;
END;

CREATE TRIGGER advisories_search_ad AFTER DELETE ON advisories BEGIN
	DELETE FROM search_text WHERE rowid = (SELECT rowid FROM search_keys WHERE kind = 'advisory' AND ref = old.id);
	DELETE FROM search_keys WHERE kind = 'advisory' AND ref = old.id;
END;

-- Fixes: the same three, over component, summary and evidence.
CREATE TRIGGER fixes_search_ai AFTER INSERT ON fixes BEGIN
	INSERT INTO search_keys (kind, ref) SELECT 'fix', new.id
	WHERE NOT EXISTS (SELECT 1 FROM search_keys WHERE kind = 'fix' AND ref = new.id);
	INSERT INTO search_text (rowid, kind, ref, vendor, title, body)
	SELECT k.rowid, 'fix', new.id, new.vendor, new.component, new.summary || char(10) || new.evidence
	FROM search_keys k WHERE k.kind = 'fix' AND k.ref = new.id;
END;

CREATE TRIGGER fixes_search_au AFTER UPDATE ON fixes BEGIN
	DELETE FROM search_text WHERE rowid = (SELECT rowid FROM search_keys WHERE kind = 'fix' AND ref = old.id);
	UPDATE search_keys SET ref = new.id WHERE kind = 'fix' AND ref = old.id;
	INSERT INTO search_keys (kind, ref) SELECT 'fix', new.id
	WHERE NOT EXISTS (SELECT 1 FROM search_keys WHERE kind = 'fix' AND ref = new.id);
	INSERT INTO search_text (rowid, kind, ref, vendor, title, body)
	SELECT k.rowid, 'fix', new.id, new.vendor, new.component, new.summary || char(10) || new.evidence
	FROM search_keys k WHERE k.kind = 'fix' AND k.ref = new.id;
END;

CREATE TRIGGER fixes_search_ad AFTER DELETE ON fixes BEGIN
	DELETE FROM search_text WHERE rowid = (SELECT rowid FROM search_keys WHERE kind = 'fix' AND ref = old.id);
	DELETE FROM search_keys WHERE kind = 'fix' AND ref = old.id;
END;
