-- 0010: remember what each fetch's records were when they were written.
--
-- records_digest is RecordsDigest of the links and records last written
-- from this fetch ('' when none were, or before this migration). A re-parse
-- compares the parser's new output with it and writes only the pages whose
-- records changed, so re-parsing the archive after a parser fix costs the
-- parsing plus the pages the fix touched.
ALTER TABLE documents ADD COLUMN records_digest TEXT NOT NULL DEFAULT '';
