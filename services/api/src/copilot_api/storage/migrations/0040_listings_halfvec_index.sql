-- The HNSW graph moves to half-precision copies of the vectors (an expression index on
-- embedding::halfvec(N), see listings/store.py): half the memory and disk, a faster build, and
-- searches re-rank its candidates by the exact full-precision distance. The stored vectors are
-- untouched. A graph built on the full-precision column is dropped here (with any deferred
-- definition of it an interrupted bulk load left behind); startup rebuilds the new one.
DO $$
BEGIN
    IF EXISTS (
        SELECT 1 FROM pg_indexes
        WHERE schemaname = current_schema() AND indexname = 'listings_embedding_hnsw'
          AND indexdef NOT LIKE '%halfvec%'
    ) THEN
        DROP INDEX listings_embedding_hnsw;
    END IF;
END $$;
DELETE FROM listings_deferred_indexes
WHERE name = 'listings_embedding_hnsw' AND definition NOT LIKE '%halfvec%';
