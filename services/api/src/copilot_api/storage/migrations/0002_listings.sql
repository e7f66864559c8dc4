-- Listings: the RESO document as given (JSONB) plus typed columns generated from it, so the
-- filters and indexes can never disagree with the stored document.
--
-- The embedding column is created without a dimension: the configured embedding space decides
-- it at runtime (`vector(N)`), and the HNSW index is created then (see listings/store.py).

-- RESO multi-select lookups (Cooling, Heating) as one lower-case string for substring filters.
CREATE FUNCTION listing_lookup_text(value jsonb) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN lower(CASE jsonb_typeof(value)
        WHEN 'array' THEN array_to_string(ARRAY(SELECT jsonb_array_elements_text(value)), ' | ')
        WHEN 'string' THEN value #>> '{}'
    END);

CREATE TABLE listings (
    listing_key text PRIMARY KEY,
    data jsonb NOT NULL,
    content_hash bytea NOT NULL,
    text_hash bytea NOT NULL,
    embedding vector,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),

    list_price numeric GENERATED ALWAYS AS ((data->>'ListPrice')::numeric) STORED,
    bedrooms_total numeric GENERATED ALWAYS AS ((data->>'BedroomsTotal')::numeric) STORED,
    bathrooms_total_integer numeric
        GENERATED ALWAYS AS ((data->>'BathroomsTotalInteger')::numeric) STORED,
    bathrooms_full numeric GENERATED ALWAYS AS ((data->>'BathroomsFull')::numeric) STORED,
    bathrooms_half numeric GENERATED ALWAYS AS ((data->>'BathroomsHalf')::numeric) STORED,
    living_area numeric GENERATED ALWAYS AS ((data->>'LivingArea')::numeric) STORED,
    lot_size_acres numeric GENERATED ALWAYS AS ((data->>'LotSizeAcres')::numeric) STORED,
    lot_size_square_feet numeric
        GENERATED ALWAYS AS ((data->>'LotSizeSquareFeet')::numeric) STORED,
    year_built numeric GENERATED ALWAYS AS ((data->>'YearBuilt')::numeric) STORED,
    property_type text GENERATED ALWAYS AS (data->>'PropertyType') STORED,
    property_sub_type text GENERATED ALWAYS AS (data->>'PropertySubType') STORED,
    standard_status text GENERATED ALWAYS AS (data->>'StandardStatus') STORED,
    city text GENERATED ALWAYS AS (data->>'City') STORED,
    state_or_province text GENERATED ALWAYS AS (data->>'StateOrProvince') STORED,
    postal_code text GENERATED ALWAYS AS (data->>'PostalCode') STORED,
    county_or_parish text GENERATED ALWAYS AS (data->>'CountyOrParish') STORED,
    subdivision_name text GENERATED ALWAYS AS (data->>'SubdivisionName') STORED,
    unparsed_address text GENERATED ALWAYS AS (data->>'UnparsedAddress') STORED,
    latitude numeric GENERATED ALWAYS AS ((data->>'Latitude')::numeric) STORED,
    longitude numeric GENERATED ALWAYS AS ((data->>'Longitude')::numeric) STORED,
    garage_spaces numeric GENERATED ALWAYS AS ((data->>'GarageSpaces')::numeric) STORED,
    garage_yn boolean GENERATED ALWAYS AS ((data->>'GarageYN')::boolean) STORED,
    pool_private_yn boolean GENERATED ALWAYS AS ((data->>'PoolPrivateYN')::boolean) STORED,
    waterfront_yn boolean GENERATED ALWAYS AS ((data->>'WaterfrontYN')::boolean) STORED,
    fireplaces_total numeric GENERATED ALWAYS AS ((data->>'FireplacesTotal')::numeric) STORED,
    cooling text GENERATED ALWAYS AS (listing_lookup_text(data->'Cooling')) STORED,
    heating text GENERATED ALWAYS AS (listing_lookup_text(data->'Heating')) STORED,
    new_construction_yn boolean
        GENERATED ALWAYS AS ((data->>'NewConstructionYN')::boolean) STORED,
    stories numeric GENERATED ALWAYS AS ((data->>'Stories')::numeric) STORED,
    -- Full text: places and subtype weigh more than the remarks. Private fields never enter it.
    search_document tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english',
            coalesce(data->>'PropertySubType', '') || ' ' || coalesce(data->>'City', '') || ' '
            || coalesce(data->>'SubdivisionName', '')), 'A')
        || setweight(to_tsvector('english', coalesce(data->>'PublicRemarks', '')), 'B')
    ) STORED
);

-- Ranking reads the embedding and the tsvector of every candidate, so both stay in the heap
-- tuple (MAIN: moved to TOAST only as a last resort); only the JSONB document, read for the
-- final page of results, goes out of line. Binding an embedding space raises
-- toast_tuple_target so that a row with its vector and tsvector fits (see listings/store.py).
ALTER TABLE listings ALTER COLUMN embedding SET STORAGE MAIN;
ALTER TABLE listings ALTER COLUMN search_document SET STORAGE MAIN;

CREATE INDEX listings_list_price ON listings (list_price);
CREATE INDEX listings_bedrooms_total ON listings (bedrooms_total);
CREATE INDEX listings_bathrooms_full ON listings (bathrooms_full);
CREATE INDEX listings_bathrooms_total_integer ON listings (bathrooms_total_integer);
CREATE INDEX listings_living_area ON listings (living_area);
CREATE INDEX listings_lot_size_acres ON listings (lot_size_acres);
CREATE INDEX listings_year_built ON listings (year_built);
CREATE INDEX listings_garage_spaces ON listings (garage_spaces);
CREATE INDEX listings_city ON listings (lower(city));
CREATE INDEX listings_state_or_province ON listings (lower(state_or_province));
CREATE INDEX listings_postal_code ON listings (lower(postal_code));
CREATE INDEX listings_subdivision_name ON listings (lower(subdivision_name));
CREATE INDEX listings_county_or_parish ON listings (lower(county_or_parish));
CREATE INDEX listings_property_sub_type ON listings (lower(property_sub_type));
CREATE INDEX listings_property_type ON listings (lower(property_type));
CREATE INDEX listings_standard_status ON listings (lower(standard_status));
-- Rare features: partial indexes keep "with a pool" selective without indexing every row.
CREATE INDEX listings_pool ON listings (listing_key) WHERE pool_private_yn;
CREATE INDEX listings_waterfront ON listings (listing_key) WHERE waterfront_yn;
CREATE INDEX listings_new_construction ON listings (listing_key) WHERE new_construction_yn;
CREATE INDEX listings_search_document ON listings USING gin (search_document);

-- Listings whose tested field is null rank after full matches ("unknown"); these tiny partial
-- indexes let that tier be found without scanning the table.
DO $$
DECLARE
    nullable text;
BEGIN
    FOREACH nullable IN ARRAY ARRAY[
        'list_price', 'bedrooms_total', 'bathrooms_total_integer', 'bathrooms_full',
        'bathrooms_half', 'living_area', 'lot_size_acres', 'lot_size_square_feet', 'year_built',
        'property_type', 'property_sub_type', 'standard_status', 'city', 'state_or_province',
        'postal_code', 'county_or_parish', 'subdivision_name', 'unparsed_address', 'latitude',
        'longitude', 'garage_spaces', 'garage_yn', 'pool_private_yn', 'waterfront_yn',
        'fireplaces_total', 'cooling', 'heating', 'new_construction_yn', 'stories'
    ] LOOP
        EXECUTE format(
            'CREATE INDEX %I ON listings (listing_key) WHERE %I IS NULL',
            'listings_null_' || nullable, nullable
        );
    END LOOP;
END $$;
CREATE INDEX listings_null_public_remarks ON listings (listing_key)
    WHERE (data->>'PublicRemarks') IS NULL;

-- One row: the embedding space the stored vectors belong to, and a counter bumped by every
-- write so that each process knows when to refresh its cache of place names.
CREATE TABLE listings_meta (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    embedding_provider text,
    embedding_model text,
    embedding_dimensions integer,
    catalog_version bigint NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO listings_meta DEFAULT VALUES;

-- Bulk loads drop the secondary indexes and rebuild them at the end (much faster than updating
-- them row by row); their definitions wait here, so an interrupted load is repaired at startup.
CREATE TABLE listings_deferred_indexes (
    name text PRIMARY KEY,
    definition text NOT NULL
);
