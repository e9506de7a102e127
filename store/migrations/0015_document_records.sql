-- 0015: the harvest asks how many records a page yielded before only when
-- it now fails or comes back empty, yet two indexes kept that question cheap
-- at the price of a b-tree insert for every stored advisory and patch. Each
-- fetch now stores the count it wrote (documents.records), and the indexes go.
-- Existing rows get the records that still name their page.
ALTER TABLE documents ADD COLUMN records INTEGER NOT NULL DEFAULT 0;
UPDATE documents SET records =
	  (SELECT count(*) FROM advisories WHERE document_url = documents.url)
	+ (SELECT count(*) FROM patches WHERE document_url = documents.url)
	+ (SELECT count(*) FROM fixes WHERE document_url = documents.url)
WHERE records_digest <> '' OR parse_error = '';
DROP INDEX advisories_document_url;
DROP INDEX patches_document_url;
