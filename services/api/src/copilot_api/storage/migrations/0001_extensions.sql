-- pgvector powers listing similarity search. On RDS the master user may create it.
CREATE EXTENSION IF NOT EXISTS vector;
