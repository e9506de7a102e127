-- 0009: documents_url (url) duplicates the first column of two other
-- indexes, the UNIQUE (url, sha256) constraint's and documents_url_last_fetched,
-- so every lookup by URL can use those; keeping it cost a b-tree insert per
-- stored page.
DROP INDEX documents_url;
