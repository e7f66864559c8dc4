"""Property search, from request to response (README "Property search"):

routes.py (POST /api/property-search) -> the `property_search` workflow (workflows/
property_search.yaml) running steps.py: fair-housing screen, understanding (the query parsed by
listings/parsing, refined by the session, the client's filters and sort validated once), the
search (listings/search.py: hard filters and sort in SQL, then ranking), whose typed result
becomes the response body (schemas.py `SearchOutcome.from_result`) once.
"""
