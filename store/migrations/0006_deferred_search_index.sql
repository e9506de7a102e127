-- 0006: index text in bulk when a transaction commits, not row by row.
--
-- 0004's triggers re-tokenised an advisory or fix inside every upsert; a
-- harvest upserts each advisory from several pages, so that work was done
-- two or three times per record and was almost half of a harvest's time. Now
-- the triggers only note which records changed (search_dirty), and the store
-- re-indexes the noted records with a few set-based statements just before
-- each commit (store/search.go). Readers never see a committed record
-- without its index row: both land in the same transaction.
DROP TRIGGER advisories_search_ai;
DROP TRIGGER advisories_search_au;
DROP TRIGGER advisories_search_ad;
DROP TRIGGER fixes_search_ai;
DROP TRIGGER fixes_search_au;
DROP TRIGGER fixes_search_ad;

CREATE TABLE search_dirty (
	kind TEXT NOT NULL CHECK (kind IN ('advisory', 'fix')),
	ref  TEXT NOT NULL,
	PRIMARY KEY (kind, ref)
) STRICT, WITHOUT ROWID;

-- Inside a trigger fired by an upsert, OR IGNORE would be overridden by the
-- upsert's own conflict handling; NOT EXISTS says the same safely.
CREATE TRIGGER advisories_search_ai AFTER INSERT ON advisories BEGIN
	INSERT INTO search_dirty (kind, ref) SELECT 'advisory', new.id
	WHERE NOT EXISTS (SELECT 1 FROM search_dirty WHERE kind = 'advisory' AND ref = new.id);
END;

CREATE TRIGGER advisories_search_au AFTER UPDATE OF id, vendor, title, affected, sections ON advisories
WHEN old.id IS NOT new.id OR old.vendor IS NOT new.vendor OR old.title IS NOT new.title
	OR old.affected IS NOT new.affected OR old.sections IS NOT new.sections
BEGIN
	INSERT INTO search_dirty (kind, ref) SELECT 'advisory', old.id
	WHERE NOT EXISTS (SELECT 1 FROM search_dirty WHERE kind = 'advisory' AND ref = old.id);
	INSERT INTO search_dirty (kind, ref) SELECT 'advisory', new.id
	WHERE NOT EXISTS (SELECT 1 FROM search_dirty WHERE kind = 'advisory' AND ref = new.id);
END;

CREATE TRIGGER advisories_search_ad AFTER DELETE ON advisories BEGIN
	INSERT INTO search_dirty (kind, ref) SELECT 'advisory', old.id
	WHERE NOT EXISTS (SELECT 1 FROM search_dirty WHERE kind = 'advisory' AND ref = old.id);
END;

CREATE TRIGGER fixes_search_ai AFTER INSERT ON fixes BEGIN
	INSERT INTO search_dirty (kind, ref) SELECT 'fix', new.id
	WHERE NOT EXISTS (SELECT 1 FROM search_dirty WHERE kind = 'fix' AND ref = new.id);
END;

CREATE TRIGGER fixes_search_au AFTER UPDATE OF id, vendor, component, summary, evidence ON fixes
WHEN old.id IS NOT new.id OR old.vendor IS NOT new.vendor OR old.component IS NOT new.component
	OR old.summary IS NOT new.summary OR old.evidence IS NOT new.evidence
BEGIN
	INSERT INTO search_dirty (kind, ref) SELECT 'fix', old.id
	WHERE NOT EXISTS (SELECT 1 FROM search_dirty WHERE kind = 'fix' AND ref = old.id);
	INSERT INTO search_dirty (kind, ref) SELECT 'fix', new.id
	WHERE NOT EXISTS (SELECT 1 FROM search_dirty WHERE kind = 'fix' AND ref = new.id);
END;

CREATE TRIGGER fixes_search_ad AFTER DELETE ON fixes BEGIN
	INSERT INTO search_dirty (kind, ref) SELECT 'fix', old.id
	WHERE NOT EXISTS (SELECT 1 FROM search_dirty WHERE kind = 'fix' AND ref = old.id);
END;
