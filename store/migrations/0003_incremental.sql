-- 0003: what an incremental, unattended harvest needs to remember.
--
-- documents: the validators to send on the next request (ETag,
-- Last-Modified), the links the page led to (so an unchanged page need not be
-- parsed again to find them), the parse error if the page did not parse, and
-- bodies compressed from now on (older rows stay 'identity').
ALTER TABLE documents ADD COLUMN etag TEXT NOT NULL DEFAULT '';
ALTER TABLE documents ADD COLUMN last_modified TEXT NOT NULL DEFAULT '';
ALTER TABLE documents ADD COLUMN links TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(links));
ALTER TABLE documents ADD COLUMN parse_error TEXT NOT NULL DEFAULT '';
ALTER TABLE documents ADD COLUMN body_encoding TEXT NOT NULL DEFAULT 'identity' CHECK (body_encoding IN ('identity', 'gzip'));

CREATE INDEX documents_url_last_fetched ON documents (url, last_fetched_at);
CREATE INDEX documents_source ON documents (source);

-- run_sources is the per-source line of the run ledger: what each source
-- fetched and found, so an operator can see which vendor failed and how.
CREATE TABLE run_sources (
	run_id         INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
	source         TEXT    NOT NULL,
	started_at     TEXT    NOT NULL,
	finished_at    TEXT    NOT NULL,
	status         TEXT    NOT NULL CHECK (status IN ('ok', 'partial', 'failed')),
	requests       INTEGER NOT NULL DEFAULT 0,
	http_2xx       INTEGER NOT NULL DEFAULT 0,
	http_304       INTEGER NOT NULL DEFAULT 0,
	http_4xx       INTEGER NOT NULL DEFAULT 0,
	http_5xx       INTEGER NOT NULL DEFAULT 0,
	net_errors     INTEGER NOT NULL DEFAULT 0,
	new            INTEGER NOT NULL DEFAULT 0,
	changed        INTEGER NOT NULL DEFAULT 0,
	unchanged      INTEGER NOT NULL DEFAULT 0,
	failed         INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (run_id, source)
) STRICT;

CREATE INDEX run_sources_source ON run_sources (source, finished_at);
