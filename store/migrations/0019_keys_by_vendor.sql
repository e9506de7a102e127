-- 0019: advisories, patches and fixes are keyed by (vendor, id).
--
-- Their IDs are the vendors' own and unique only within a vendor: Microsoft
-- uses bare CVE IDs as advisory IDs, so a second vendor publishing per CVE
-- would overwrite Microsoft's advisory, and, since fix IDs are built from
-- advisory IDs ("CVE-2024-21407/1"), its fixes with their CVEs, patch links
-- and remedies. Every table keyed by one of these IDs, and search_keys, now
-- carries the vendor; a fix's patch links and remedies name patches of its
-- own vendor (every scraper writes one vendor).
--
-- The tables are rebuilt as SQLite's ALTER TABLE documentation prescribes
-- (https://www.sqlite.org/lang_altertable.html#otheralter, the 12 steps):
-- the store runs migrations with foreign keys off and checks them with
-- PRAGMA foreign_key_check before each commits; the views are dropped first
-- and made again with the same columns, joining on the vendor too.
-- v_fix_remedies gains vendor at its end, as docs/schema.md allows, so a
-- remedy can be matched to its fix. Rows keep their values; search_keys keep
-- their rowids, so the full-text index stays as it is.
--
-- In the link tables the key's columns come first: with the vendor last,
-- PRAGMA integrity_check of SQLite 3.40 (Debian 12's) reports false "NULL
-- value" errors for WITHOUT ROWID tables whose key columns are not leading.

DROP VIEW v_advisories;
DROP VIEW v_patches;
DROP VIEW v_fixes;
DROP VIEW v_fix_remedies;
DROP VIEW v_fix_patches;

CREATE TABLE new_advisories (
	id           TEXT    NOT NULL,
	vendor       TEXT    NOT NULL CHECK (vendor <> ''),
	status       TEXT    NOT NULL CHECK (status IN ('published', 'withdrawn', 'unused')),
	title        TEXT    NOT NULL DEFAULT '',
	severity     TEXT    NOT NULL DEFAULT '',
	published    TEXT    CHECK (published IS NULL OR published GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
	updated      TEXT    CHECK (updated IS NULL OR updated GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
	version      INTEGER NOT NULL DEFAULT 0,
	url          TEXT    NOT NULL DEFAULT '',
	affected     TEXT    NOT NULL DEFAULT '',
	sections     TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(sections)),
	document_url TEXT    NOT NULL,
	PRIMARY KEY (vendor, id)
) STRICT, WITHOUT ROWID;

INSERT INTO new_advisories (id, vendor, status, title, severity, published, updated, version, url, affected, sections, document_url)
SELECT id, vendor, status, title, severity, published, updated, version, url, affected, sections, document_url
FROM advisories;

CREATE TABLE new_advisory_cves (
	vendor      TEXT NOT NULL,
	advisory_id TEXT NOT NULL,
	cve         TEXT NOT NULL,
	PRIMARY KEY (vendor, advisory_id, cve),
	FOREIGN KEY (vendor, advisory_id) REFERENCES advisories (vendor, id) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;

INSERT INTO new_advisory_cves (vendor, advisory_id, cve)
SELECT a.vendor, c.advisory_id, c.cve FROM advisory_cves c JOIN advisories a ON a.id = c.advisory_id;

CREATE TABLE new_patches (
	id                  TEXT    NOT NULL,
	vendor              TEXT    NOT NULL CHECK (vendor <> ''),
	product             TEXT    NOT NULL DEFAULT '',
	version             TEXT    NOT NULL DEFAULT '',
	released            TEXT    CHECK (released IS NULL OR released GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
	classification      TEXT    NOT NULL DEFAULT '',
	reboot_required     INTEGER CHECK (reboot_required IS NULL OR reboot_required IN (0, 1)),
	url                 TEXT    NOT NULL DEFAULT '',
	advisory_id         TEXT,
	document_url        TEXT    NOT NULL,
	severity            TEXT    NOT NULL DEFAULT '',
	vm_restart_required INTEGER CHECK (vm_restart_required IN (0, 1)),
	supersedes          TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(supersedes)),
	packages            TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(packages)),
	build               TEXT    NOT NULL DEFAULT '',
	release_id          TEXT    NOT NULL DEFAULT '',
	PRIMARY KEY (vendor, id)
) STRICT, WITHOUT ROWID;

INSERT INTO new_patches (id, vendor, product, version, released, classification, reboot_required, url, advisory_id,
	document_url, severity, vm_restart_required, supersedes, packages, build, release_id)
SELECT id, vendor, product, version, released, classification, reboot_required, url, advisory_id,
	document_url, severity, vm_restart_required, supersedes, packages, build, release_id
FROM patches;

CREATE TABLE new_fixes (
	id           TEXT    NOT NULL,
	advisory_id  TEXT,
	vendor       TEXT    NOT NULL CHECK (vendor <> ''),
	product      TEXT    NOT NULL DEFAULT '',
	versions     TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(versions)),
	component    TEXT    NOT NULL DEFAULT '',
	category     TEXT    NOT NULL CHECK (category IN ('console-os', 'vmm', 'hardware-compat', 'feature', 'unclassified')),
	security     INTEGER NOT NULL CHECK (security IN (0, 1)),
	severity     TEXT    NOT NULL DEFAULT '',
	summary      TEXT    NOT NULL DEFAULT '',
	rule         TEXT    NOT NULL,
	evidence     TEXT    NOT NULL,
	document_url TEXT    NOT NULL,
	released     TEXT,
	PRIMARY KEY (vendor, id)
) STRICT, WITHOUT ROWID;

INSERT INTO new_fixes (id, advisory_id, vendor, product, versions, component, category, security, severity,
	summary, rule, evidence, document_url, released)
SELECT id, advisory_id, vendor, product, versions, component, category, security, severity,
	summary, rule, evidence, document_url, released
FROM fixes;

CREATE TABLE new_fix_cves (
	vendor TEXT NOT NULL,
	fix_id TEXT NOT NULL,
	cve    TEXT NOT NULL,
	PRIMARY KEY (vendor, fix_id, cve),
	FOREIGN KEY (vendor, fix_id) REFERENCES fixes (vendor, id) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;

INSERT INTO new_fix_cves (vendor, fix_id, cve)
SELECT f.vendor, c.fix_id, c.cve FROM fix_cves c JOIN fixes f ON f.id = c.fix_id;

CREATE TABLE new_fix_patches (
	vendor   TEXT NOT NULL,
	fix_id   TEXT NOT NULL,
	patch_id TEXT NOT NULL,
	PRIMARY KEY (vendor, fix_id, patch_id),
	FOREIGN KEY (vendor, fix_id) REFERENCES fixes (vendor, id) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;

INSERT INTO new_fix_patches (vendor, fix_id, patch_id)
SELECT f.vendor, p.fix_id, p.patch_id FROM fix_patches p JOIN fixes f ON f.id = p.fix_id;

CREATE TABLE new_fix_remedies (
	vendor        TEXT    NOT NULL,
	fix_id        TEXT    NOT NULL,
	seq           INTEGER NOT NULL,
	product       TEXT    NOT NULL DEFAULT '',
	version       TEXT    NOT NULL DEFAULT '',
	platform      TEXT    NOT NULL DEFAULT '',
	status        TEXT    NOT NULL CHECK (status IN ('fixed', 'not-affected', 'patch-pending', 'not-applicable', 'workaround')),
	patch_id      TEXT    NOT NULL DEFAULT '',
	fixed_version TEXT    NOT NULL DEFAULT '',
	PRIMARY KEY (vendor, fix_id, seq),
	FOREIGN KEY (vendor, fix_id) REFERENCES fixes (vendor, id) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;

INSERT INTO new_fix_remedies (vendor, fix_id, seq, product, version, platform, status, patch_id, fixed_version)
SELECT f.vendor, r.fix_id, r.seq, r.product, r.version, r.platform, r.status, r.patch_id, r.fixed_version
FROM fix_remedies r JOIN fixes f ON f.id = r.fix_id;

-- search_keys rows keep their rowids: they are the rowids of search_text.
CREATE TABLE new_search_keys (
	rowid  INTEGER PRIMARY KEY,
	kind   TEXT NOT NULL CHECK (kind IN ('advisory', 'fix')),
	ref    TEXT NOT NULL,
	vendor TEXT NOT NULL,
	UNIQUE (kind, vendor, ref)
) STRICT;

INSERT INTO new_search_keys (rowid, kind, ref, vendor)
SELECT k.rowid, k.kind, k.ref, a.vendor FROM search_keys k JOIN advisories a ON k.kind = 'advisory' AND a.id = k.ref
UNION ALL
SELECT k.rowid, k.kind, k.ref, f.vendor FROM search_keys k JOIN fixes f ON k.kind = 'fix' AND f.id = k.ref;

-- A key whose record is gone (none should be) takes its index row with it.
DELETE FROM search_text WHERE rowid NOT IN (SELECT rowid FROM new_search_keys);

DROP TABLE advisory_cves;
DROP TABLE fix_cves;
DROP TABLE fix_patches;
DROP TABLE fix_remedies;
DROP TABLE advisories;
DROP TABLE patches;
DROP TABLE fixes;
DROP TABLE search_keys;

ALTER TABLE new_advisories RENAME TO advisories;
ALTER TABLE new_advisory_cves RENAME TO advisory_cves;
ALTER TABLE new_patches RENAME TO patches;
ALTER TABLE new_fixes RENAME TO fixes;
ALTER TABLE new_fix_cves RENAME TO fix_cves;
ALTER TABLE new_fix_patches RENAME TO fix_patches;
ALTER TABLE new_fix_remedies RENAME TO fix_remedies;
ALTER TABLE new_search_keys RENAME TO search_keys;

-- The indexes of the old tables, with the vendor first where a lookup by
-- an advisory or patch ID must now name the vendor too.
CREATE INDEX advisories_vendor_published ON advisories (vendor, published);
CREATE INDEX advisory_cves_cve ON advisory_cves (cve);
CREATE INDEX patches_vendor_product_version_released ON patches (vendor, product, version, released);
CREATE INDEX patches_advisory_id ON patches (vendor, advisory_id);
CREATE INDEX patches_vendor_released ON patches (vendor, released);
CREATE INDEX fixes_advisory_id ON fixes (vendor, advisory_id);
CREATE INDEX fixes_document_url ON fixes (document_url);
CREATE INDEX fixes_vendor_released_category ON fixes (vendor, released, category);
CREATE INDEX fix_cves_cve ON fix_cves (cve);
CREATE INDEX fix_patches_patch_id ON fix_patches (vendor, patch_id);
CREATE INDEX fix_remedies_patch ON fix_remedies (patch_id);

-- The views of 0016-0018, with the same columns in the same order; every
-- join between records matches the vendor as well as the ID.
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
	coalesce((SELECT group_concat(s.cve, ' ') FROM
		(SELECT c.cve FROM advisory_cves c WHERE c.vendor = a.vendor AND c.advisory_id = a.id ORDER BY c.cve) s), '') AS cves,
	(SELECT count(*) FROM fixes f WHERE f.vendor = a.vendor AND f.advisory_id = a.id) AS fix_count,
	(SELECT count(*) FROM patches p WHERE p.vendor = a.vendor AND p.advisory_id = a.id) AS patch_count,
	a.sections,
	(SELECT min(d.first_fetched_at) FROM documents d WHERE d.url = a.document_url) AS first_seen
FROM advisories a;

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
	(SELECT count(*) FROM fix_patches fp WHERE fp.vendor = p.vendor AND fp.patch_id = p.id) AS fix_count,
	coalesce((SELECT group_concat(s.category, ',') FROM
		(SELECT DISTINCT f.category FROM fix_patches fp JOIN fixes f ON f.vendor = fp.vendor AND f.id = fp.fix_id
		 WHERE fp.vendor = p.vendor AND fp.patch_id = p.id ORDER BY f.category) s), '') AS categories,
	(lower(p.classification) = 'security'
		OR EXISTS (SELECT 1 FROM fix_patches fp JOIN fixes f ON f.vendor = fp.vendor AND f.id = fp.fix_id
			WHERE fp.vendor = p.vendor AND fp.patch_id = p.id AND f.security = 1)) AS security
FROM patches p;

CREATE VIEW v_fixes AS
SELECT
	f.id,
	f.vendor,
	f.product,
	f.versions,
	f.advisory_id,
	coalesce((SELECT a.title FROM advisories a WHERE a.vendor = f.vendor AND a.id = f.advisory_id), '') AS advisory_title,
	coalesce((SELECT group_concat(s.patch_id, ' ') FROM
		(SELECT fp.patch_id FROM fix_patches fp WHERE fp.vendor = f.vendor AND fp.fix_id = f.id ORDER BY fp.patch_id) s), '') AS patch_ids,
	f.released,
	f.category,
	f.security,
	f.severity,
	coalesce((SELECT group_concat(s.cve, ' ') FROM
		(SELECT c.cve FROM fix_cves c WHERE c.vendor = f.vendor AND c.fix_id = f.id ORDER BY c.cve) s), '') AS cves,
	f.component,
	f.summary,
	f.rule,
	f.evidence
FROM fixes f;

CREATE VIEW v_fix_remedies AS
SELECT
	r.fix_id,
	r.seq,
	r.product,
	r.version,
	r.platform,
	r.status,
	r.patch_id,
	r.fixed_version,
	r.vendor
FROM fix_remedies r;

CREATE VIEW v_fix_patches AS
SELECT
	fp.fix_id,
	fp.patch_id,
	f.vendor,
	f.category,
	f.security
FROM fix_patches fp
JOIN fixes f ON f.vendor = fp.vendor AND f.id = fp.fix_id;
