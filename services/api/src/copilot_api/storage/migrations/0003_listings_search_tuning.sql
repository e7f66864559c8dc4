-- Search tuning measured at 100,000 listings (bench/search.py): fewer, better indexes and
-- statistics, so that the filters of a search cost an index scan rather than thousands of
-- visits to the wide heap rows (which carry the vector and the tsvector). IF [NOT] EXISTS
-- throughout: development databases made from pre-release versions of 0002 differ slightly.

-- float8 compares faster than numeric and makes smaller indexes; RESO numbers fit it exactly
-- enough (prices to the cent, counts, areas). One ALTER: one table rewrite, indexes rebuilt.
ALTER TABLE listings
    ALTER COLUMN list_price TYPE float8,
    ALTER COLUMN bedrooms_total TYPE float8,
    ALTER COLUMN bathrooms_total_integer TYPE float8,
    ALTER COLUMN bathrooms_full TYPE float8,
    ALTER COLUMN bathrooms_half TYPE float8,
    ALTER COLUMN living_area TYPE float8,
    ALTER COLUMN lot_size_acres TYPE float8,
    ALTER COLUMN lot_size_square_feet TYPE float8,
    ALTER COLUMN year_built TYPE float8,
    ALTER COLUMN latitude TYPE float8,
    ALTER COLUMN longitude TYPE float8,
    ALTER COLUMN garage_spaces TYPE float8,
    ALTER COLUMN fireplaces_total TYPE float8,
    ALTER COLUMN stories TYPE float8;

-- Small counts (beds, baths, garage spaces) match most listings: scanning their index costs
-- more than checking the rows that the selective filters (place, price, subtype) found.
DROP INDEX IF EXISTS listings_bedrooms_total;
DROP INDEX IF EXISTS listings_bathrooms_full;
DROP INDEX IF EXISTS listings_bathrooms_total_integer;
DROP INDEX IF EXISTS listings_garage_spaces;

-- Most listings are Active (the default filter): only the other statuses ("sold", "pending")
-- are worth an index. A partial index gets no expression statistics, hence the second line:
-- without it the planner would think "Active" rare and pick the exact plan for broad searches.
DROP INDEX IF EXISTS listings_standard_status;
CREATE INDEX IF NOT EXISTS listings_standard_status ON listings (lower(standard_status))
    WHERE lower(standard_status) <> 'active';
CREATE STATISTICS IF NOT EXISTS listings_standard_status_stats ON (lower(standard_status)) FROM listings;

-- Places nest (a city lies in one state and county, a ZIP in one city). Without these the
-- planner multiplies their selectivities, underestimates "Madison, WI" a hundredfold and plans
-- for a few hundred rows when thousands match.
CREATE STATISTICS IF NOT EXISTS listings_places_stats (dependencies, ndistinct)
    ON lower(city), lower(state_or_province), lower(county_or_parish), lower(postal_code),
       lower(subdivision_name)
    FROM listings;

-- Every filter column in one narrow index (about 250 bytes a listing): once VACUUM has marked
-- the pages all-visible, a search evaluates its filters on this index alone (an index-only
-- scan) and reads only the matching rows.
CREATE INDEX IF NOT EXISTS listings_filter_cover ON listings (lower(city)) INCLUDE (
    listing_key, city, state_or_province, postal_code, county_or_parish, subdivision_name,
    unparsed_address, property_type, property_sub_type, standard_status, list_price,
    bedrooms_total, bathrooms_total_integer, bathrooms_full, bathrooms_half, living_area,
    lot_size_acres, lot_size_square_feet, year_built, garage_spaces, garage_yn, pool_private_yn,
    waterfront_yn, fireplaces_total, cooling, heating, new_construction_yn, stories, latitude,
    longitude
);
