-- A `contains` filter on Basement ("a finished basement") is a substring test (LIKE '%…%') that
-- no B-tree serves: counting its matches read every entry of the covering index (16 of the 33
-- ms of that search at 100,000 listings, one search at a time; 1 ms with this index). A trigram
-- GIN index on the expression the filters use (filters.py: an empty list is no value) finds
-- the rows that contain the words; where most listings match, the planner keeps the scan.
-- Cooling and Heating are not indexed: their common values ("central air") match most rows.
-- pg_trgm is a trusted extension: the migration role needs no superuser (RDS included).
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX IF NOT EXISTS listings_basement_trigrams
    ON listings USING gin (nullif(basement, '') gin_trgm_ops);
