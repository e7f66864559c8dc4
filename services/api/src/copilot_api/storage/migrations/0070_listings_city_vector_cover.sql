-- An exact-plan search read every matching row from the table to compute its distance: a random
-- page visit each (about 2.5 us; 17 of the 39 ms of "homes in Madison under 600k" at 100,000
-- listings, bench/search.py). Searches that name a city or a property subtype now take the
-- filters and a half-precision copy of the vector from one index-only scan of a second covering
-- index keyed by city, then subtype (about 0.4 us an entry), and read only the nearest
-- candidates from the table. The subtype-first index (0060) stays for every other search: this
-- one is four times wider, and a filter on neither key reads a whole index.
-- A btree entry holds at most about 2.7 KB: vectors of more than 1,024 dimensions are not
-- copied (their searches read the table, as before). Adding the column rewrites the table once.
-- The copy is stored out of line (only the index reads it), and the vector in line (MAIN, as
-- 0002 meant: binding an embedding space retyped the column, which reset it to EXTERNAL), so
-- the table's rows stay as narrow as before.
ALTER TABLE listings
    ALTER COLUMN embedding SET STORAGE MAIN,
    ADD COLUMN IF NOT EXISTS embedding_half halfvec GENERATED ALWAYS AS (
        CASE WHEN vector_dims(embedding) <= 1024 THEN embedding::halfvec END
    ) STORED;
ALTER TABLE listings ALTER COLUMN embedding_half SET STORAGE EXTERNAL;

-- At most 32 columns: Latitude and Longitude stay out (client-side map boxes, read from the
-- table then; the query parser never produces them).
CREATE INDEX IF NOT EXISTS listings_city_vector_cover
ON listings (lower(city), lower(property_sub_type)) INCLUDE (
    listing_key, city, state_or_province, postal_code, county_or_parish, subdivision_name,
    property_type, property_sub_type, standard_status, list_price,
    bedrooms_total, bathrooms_total_integer, bathrooms_full, bathrooms_half, living_area,
    lot_size_acres, lot_size_square_feet, year_built, garage_spaces, garage_yn, pool_private_yn,
    waterfront_yn, fireplaces_total, cooling, heating, new_construction_yn, stories,
    basement, association_yn, embedding_half
);
