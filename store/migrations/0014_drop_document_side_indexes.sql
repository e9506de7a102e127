-- 0014: two indexes on documents cost a b-tree insert each for every stored
-- page and serve no query that needs them.
-- documents_url_last_fetched (url, last_fetched_at): the page-state read
-- finds a URL's fetches through the UNIQUE (url, sha256) index instead; a URL
-- has one row per distinct body, so ordering them by time is a sort of a
-- handful of rows.
-- documents_source (source): listing a source's documents for a re-parse
-- reads the whole table to pick each URL's latest fetch either way.
DROP INDEX documents_url_last_fetched;
DROP INDEX documents_source;
