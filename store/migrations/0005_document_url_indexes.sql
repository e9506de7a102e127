-- 0005: the harvest asks, for every page, how many records it stored
-- before (to tell layout drift from a page that never had any). Without
-- these indexes each question scanned the advisories and patches tables.
CREATE INDEX advisories_document_url ON advisories (document_url);
CREATE INDEX patches_document_url ON patches (document_url);
