-- 0018: v_fix_patches, the link between fixes and the patches that carry
-- them, with the fix's category and security flag, so the cadence analysis
-- (package analysis) reads views only. One row per fix × patch; patch_id may
-- name a patch that is not stored (yet), as in fix_patches.
CREATE VIEW v_fix_patches AS
SELECT
	fp.fix_id,
	fp.patch_id,
	f.vendor,
	f.category,
	f.security
FROM fix_patches fp
JOIN fixes f ON f.id = fp.fix_id;
