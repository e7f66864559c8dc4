-- Basement and AssociationYN filters read the JSONB document of every candidate row: a search
-- with "finished basement" at 100,000 listings scanned the whole table (about 1 s, measured by
-- bench/search.py). Typed columns generated from the document, like the other filter fields,
-- let the covering index evaluate them, and their null indexes find the "unknown" tier.
ALTER TABLE listings
    ADD COLUMN IF NOT EXISTS basement text
        GENERATED ALWAYS AS (listing_lookup_text(data->'Basement')) STORED,
    -- The type check keeps a document that was never validated from failing the cast.
    ADD COLUMN IF NOT EXISTS association_yn boolean GENERATED ALWAYS AS (
        CASE WHEN jsonb_typeof(data->'AssociationYN') = 'boolean'
            THEN (data->>'AssociationYN')::boolean END
    ) STORED;

CREATE INDEX IF NOT EXISTS listings_null_basement ON listings (listing_key) WHERE basement IS NULL;
CREATE INDEX IF NOT EXISTS listings_null_association_yn ON listings (listing_key)
    WHERE association_yn IS NULL;

-- The covering index of the filter columns (0003), now with the two new ones. PostgreSQL allows
-- 32 columns in an index, so the street address leaves it: a search by address is a lookup of a
-- few rows, not a filter over many. A bulk load that was interrupted may hold the old definition
-- among its deferred indexes: it is replaced.
DROP INDEX IF EXISTS listings_filter_cover;
CREATE INDEX listings_filter_cover ON listings (lower(city)) INCLUDE (
    listing_key, city, state_or_province, postal_code, county_or_parish, subdivision_name,
    property_type, property_sub_type, standard_status, list_price,
    bedrooms_total, bathrooms_total_integer, bathrooms_full, bathrooms_half, living_area,
    lot_size_acres, lot_size_square_feet, year_built, garage_spaces, garage_yn, pool_private_yn,
    waterfront_yn, fireplaces_total, cooling, heating, new_construction_yn, stories, latitude,
    longitude, basement, association_yn
);
UPDATE listings_deferred_indexes
SET definition = pg_get_indexdef('listings_filter_cover'::regclass)
WHERE name = 'listings_filter_cover';
