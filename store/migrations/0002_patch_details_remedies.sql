-- 0002: what vendors say about a patch beyond its date (VMware bulletins and
-- KB pages: severity, guest restart, supersedence, packages, build, the
-- release that groups it) and the per-product remedy rows of an advisory's
-- fixes ("ESXi 6.7 → ESXi670-202103401-SG", "Workstation 8.x → not affected").

ALTER TABLE patches ADD COLUMN severity TEXT NOT NULL DEFAULT '';
ALTER TABLE patches ADD COLUMN vm_restart_required INTEGER CHECK (vm_restart_required IN (0, 1));
ALTER TABLE patches ADD COLUMN supersedes TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(supersedes));
ALTER TABLE patches ADD COLUMN packages TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(packages));
ALTER TABLE patches ADD COLUMN build TEXT NOT NULL DEFAULT '';
ALTER TABLE patches ADD COLUMN release_id TEXT NOT NULL DEFAULT '';

-- fix_remedies belong to their fix and are replaced with it.
CREATE TABLE fix_remedies (
	fix_id        TEXT    NOT NULL REFERENCES fixes (id) ON DELETE CASCADE,
	seq           INTEGER NOT NULL,
	product       TEXT    NOT NULL DEFAULT '',
	version       TEXT    NOT NULL DEFAULT '',
	platform      TEXT    NOT NULL DEFAULT '',
	status        TEXT    NOT NULL CHECK (status IN ('fixed', 'not-affected', 'patch-pending', 'not-applicable', 'workaround')),
	patch_id      TEXT    NOT NULL DEFAULT '',
	fixed_version TEXT    NOT NULL DEFAULT '',
	PRIMARY KEY (fix_id, seq)
) STRICT, WITHOUT ROWID;

CREATE INDEX fix_remedies_patch ON fix_remedies (patch_id);
