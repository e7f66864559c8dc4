"""Property listings: RESO storage, ingest, query understanding and hybrid search."""
