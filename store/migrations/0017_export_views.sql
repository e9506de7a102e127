-- 0017: what the exports need, through views instead of the raw tables.
--
-- OSV and CSAF documents carry an advisory's text sections and the first
-- time it was seen (their "modified"/"initial release" when the vendor gives
-- no date), and each fix's remedy rows. v_advisories gains two columns at its
-- end, as docs/schema.md allows; v_fix_remedies is new. Both stay within
-- SQLite 3.37 (see 0016).
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
	(SELECT count(*) FROM patches p WHERE p.advisory_id = a.id) AS patch_count,
	a.sections,
	(SELECT min(d.first_fetched_at) FROM documents d WHERE d.url = a.document_url) AS first_seen
FROM advisories a;

CREATE VIEW v_fix_remedies AS
SELECT
	r.fix_id,
	r.seq,
	r.product,
	r.version,
	r.platform,
	r.status,
	r.patch_id,
	r.fixed_version
FROM fix_remedies r;
