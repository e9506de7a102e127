-- 0001_init: the first schema of patchwatch's store.
--
-- Conventions: times are UTC RFC 3339 text; calendar dates are YYYY-MM-DD
-- text, NULL when the page does not say; references to records that may
-- arrive later (advisory_id, patch_id) are plain text without a foreign key,
-- because harvest order is not dependency order. Free text defaults to ''.

-- documents keeps every distinct body ever fetched for a URL, so records can
-- be re-derived by re-parsing without touching the network.
CREATE TABLE documents (
	id               INTEGER PRIMARY KEY,
	url              TEXT    NOT NULL CHECK (url <> ''),
	source           TEXT    NOT NULL DEFAULT '',
	first_fetched_at TEXT    NOT NULL,
	last_fetched_at  TEXT    NOT NULL,
	status           INTEGER NOT NULL,
	content_type     TEXT    NOT NULL DEFAULT '',
	sha256           TEXT    NOT NULL CHECK (length(sha256) = 64),
	body             BLOB    NOT NULL,
	UNIQUE (url, sha256)
) STRICT;

CREATE INDEX documents_url ON documents (url);

CREATE TABLE advisories (
	id           TEXT    PRIMARY KEY,
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
	document_url TEXT    NOT NULL
) STRICT, WITHOUT ROWID;

CREATE INDEX advisories_vendor_published ON advisories (vendor, published);

CREATE TABLE advisory_cves (
	advisory_id TEXT NOT NULL REFERENCES advisories (id) ON DELETE CASCADE,
	cve         TEXT NOT NULL,
	PRIMARY KEY (advisory_id, cve)
) STRICT, WITHOUT ROWID;

CREATE INDEX advisory_cves_cve ON advisory_cves (cve);

CREATE TABLE patches (
	id              TEXT    PRIMARY KEY,
	vendor          TEXT    NOT NULL CHECK (vendor <> ''),
	product         TEXT    NOT NULL DEFAULT '',
	version         TEXT    NOT NULL DEFAULT '',
	released        TEXT    CHECK (released IS NULL OR released GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
	classification  TEXT    NOT NULL DEFAULT '',
	reboot_required INTEGER CHECK (reboot_required IS NULL OR reboot_required IN (0, 1)),
	url             TEXT    NOT NULL DEFAULT '',
	advisory_id     TEXT,
	document_url    TEXT    NOT NULL
) STRICT, WITHOUT ROWID;

CREATE INDEX patches_vendor_product_version_released ON patches (vendor, product, version, released);
CREATE INDEX patches_advisory_id ON patches (advisory_id);

-- fixes are owned by the page they were parsed from (document_url): saving
-- that page again replaces them.
CREATE TABLE fixes (
	id           TEXT    PRIMARY KEY,
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
	document_url TEXT    NOT NULL
) STRICT, WITHOUT ROWID;

CREATE INDEX fixes_advisory_id ON fixes (advisory_id);
CREATE INDEX fixes_category ON fixes (category);
CREATE INDEX fixes_document_url ON fixes (document_url);

CREATE TABLE fix_cves (
	fix_id TEXT NOT NULL REFERENCES fixes (id) ON DELETE CASCADE,
	cve    TEXT NOT NULL,
	PRIMARY KEY (fix_id, cve)
) STRICT, WITHOUT ROWID;

CREATE INDEX fix_cves_cve ON fix_cves (cve);

CREATE TABLE fix_patches (
	fix_id   TEXT NOT NULL REFERENCES fixes (id) ON DELETE CASCADE,
	patch_id TEXT NOT NULL,
	PRIMARY KEY (fix_id, patch_id)
) STRICT, WITHOUT ROWID;

CREATE INDEX fix_patches_patch_id ON fix_patches (patch_id);

-- runs is the harvest ledger: one row per `patchwatch harvest`, so a partial
-- harvest is visible instead of silently leaving gaps.
CREATE TABLE runs (
	id          INTEGER PRIMARY KEY,
	started_at  TEXT    NOT NULL,
	finished_at TEXT,
	status      TEXT    NOT NULL CHECK (status IN ('running', 'ok', 'partial', 'failed')),
	sources     TEXT    NOT NULL DEFAULT '',
	pages       INTEGER NOT NULL DEFAULT 0,
	failed      INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE TABLE run_errors (
	id      INTEGER PRIMARY KEY,
	run_id  INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
	source  TEXT    NOT NULL DEFAULT '',
	url     TEXT    NOT NULL DEFAULT '',
	message TEXT    NOT NULL,
	at      TEXT    NOT NULL
) STRICT;

CREATE INDEX run_errors_run_id ON run_errors (run_id);
