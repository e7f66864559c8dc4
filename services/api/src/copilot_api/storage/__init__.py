"""Storage: the PostgreSQL pool, migrations, the embedded PostgreSQL and the Redis client."""
