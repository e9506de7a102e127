-- 0020: pages read from the Internet Archive (harvest --history).
--
-- documents: a capture is stored under its original URL like any fetch,
-- its fetch times being the capture time; captured_at (NULL for a live
-- fetch) and archive_url say where the body really came from.
-- archive_captures: every capture stored, by original URL and the archive's
-- digest, so a capture already held is never asked for again.
-- archive_listings: how far each CDX listing has been read, so an
-- interrupted history run continues from its resumption key.
-- v_patch_provenance: the page each patch was last written from, and when
-- that page's latest parsed copy is a capture, its time and address.
ALTER TABLE documents ADD COLUMN captured_at TEXT;
ALTER TABLE documents ADD COLUMN archive_url TEXT NOT NULL DEFAULT '';

CREATE TABLE archive_captures (
	url         TEXT NOT NULL CHECK (url <> ''),
	digest      TEXT NOT NULL CHECK (digest <> ''),
	captured_at TEXT NOT NULL,
	archive_url TEXT NOT NULL CHECK (archive_url <> ''),
	sha256      TEXT NOT NULL CHECK (length(sha256) = 64),
	parse_error TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (url, digest)
) STRICT, WITHOUT ROWID;

CREATE TABLE archive_listings (
	query      TEXT    PRIMARY KEY,
	resume_key TEXT    NOT NULL DEFAULT '',
	captures   INTEGER NOT NULL DEFAULT 0,
	complete   INTEGER NOT NULL DEFAULT 0 CHECK (complete IN (0, 1)),
	updated_at TEXT    NOT NULL
) STRICT, WITHOUT ROWID;

CREATE VIEW v_patch_provenance AS
SELECT
	p.vendor,
	p.id,
	p.document_url,
	d.captured_at,
	coalesce(d.archive_url, '') AS archive_url
FROM patches p
LEFT JOIN documents d ON d.id = (
	SELECT d2.id FROM documents d2 WHERE d2.url = p.document_url AND d2.parse_error = ''
	ORDER BY d2.last_fetched_at DESC, d2.id DESC LIMIT 1);
