-- 0013: fixes_category (five distinct values) serves no query: counts by
-- category go through fixes_vendor_released_category, and a filter on one
-- category alone reads a fifth of the table either way. It cost an index
-- insert for every stored fix.
DROP INDEX fixes_category;
