-- The HNSW graph of all listings gives way to two partial graphs split by status (Active or
-- unstated, and the others; see listings/store.py VECTOR_GRAPHS): an Active search no longer
-- walks past the listings its status filter rejects. Startup builds the new graphs (searches
-- rank exactly until then); an interrupted bulk load's deferred definition of the old one goes.
DROP INDEX IF EXISTS listings_embedding_hnsw;
DELETE FROM listings_deferred_indexes WHERE name = 'listings_embedding_hnsw';
