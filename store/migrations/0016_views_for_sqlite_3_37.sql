-- 0016: the views open in the SQLite that analysts' tools are built on.
--
-- group_concat(x, sep ORDER BY y) needs SQLite 3.44, so the sqlite3 shell and
-- Python's sqlite3 module on Debian 12 (3.40) or Ubuntu 22.04 (3.37) refused
-- the whole database ("malformed database schema (v_advisories)"), and with
-- it pandas, Datasette and DB Browser. The lists are now concatenated from a
-- subquery that is already sorted: SQLite does not flatten a subquery with
-- ORDER BY into an aggregate, so the order holds (store tests and the stock
-- shell test check it). Every view keeps its columns, names and order.
-- The oldest SQLite the database supports is 3.37 (STRICT tables).
DROP VIEW v_advisories;
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
		(SELECT c.cve FROM advisory_cves c WHERE c.advisory_id = a.id ORDER BY c.cve) s), '') AS cves,
	(SELECT count(*) FROM fixes f WHERE f.advisory_id = a.id) AS fix_count,
	(SELECT count(*) FROM patches p WHERE p.advisory_id = a.id) AS patch_count
FROM advisories a;

DROP VIEW v_patches;
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
	coalesce((SELECT group_concat(s.category, ',') FROM
		(SELECT DISTINCT f.category FROM fix_patches fp JOIN fixes f ON f.id = fp.fix_id
		 WHERE fp.patch_id = p.id ORDER BY f.category) s), '') AS categories,
	(lower(p.classification) = 'security'
		OR EXISTS (SELECT 1 FROM fix_patches fp JOIN fixes f ON f.id = fp.fix_id
			WHERE fp.patch_id = p.id AND f.security = 1)) AS security
FROM patches p;

DROP VIEW v_fixes;
CREATE VIEW v_fixes AS
SELECT
	f.id,
	f.vendor,
	f.product,
	f.versions,
	f.advisory_id,
	coalesce((SELECT a.title FROM advisories a WHERE a.id = f.advisory_id), '') AS advisory_title,
	coalesce((SELECT group_concat(s.patch_id, ' ') FROM
		(SELECT fp.patch_id FROM fix_patches fp WHERE fp.fix_id = f.id ORDER BY fp.patch_id) s), '') AS patch_ids,
	f.released,
	f.category,
	f.security,
	f.severity,
	coalesce((SELECT group_concat(s.cve, ' ') FROM
		(SELECT c.cve FROM fix_cves c WHERE c.fix_id = f.id ORDER BY c.cve) s), '') AS cves,
	f.component,
	f.summary,
	f.rule,
	f.evidence
FROM fixes f;
