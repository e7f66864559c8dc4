-- API keys (security, migrations 0020-0029). Only a SHA-256 digest of each key is stored;
-- `prefix` (cpk_ + 10 hex characters) is the public handle used for lookup and revocation.
CREATE TABLE api_keys (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    prefix text NOT NULL UNIQUE CHECK (prefix ~ '^cpk_[0-9a-f]{10}$'),
    secret_hash bytea NOT NULL CHECK (octet_length(secret_hash) = 32),
    name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
    scopes text[] NOT NULL
        CHECK (cardinality(scopes) > 0 AND scopes <@ ARRAY['search', 'workflows', 'admin']),
    -- Per-key overrides of RATE_LIMIT_REQUESTS_PER_MINUTE / _PER_HOUR; NULL uses the setting.
    rate_limit_per_minute integer CHECK (rate_limit_per_minute > 0),
    rate_limit_per_hour integer CHECK (rate_limit_per_hour > 0),
    created_at timestamptz NOT NULL DEFAULT now(),
    -- Updated at most once a minute per key and worker, not on every request.
    last_used_at timestamptz,
    revoked_at timestamptz
);

-- Names identify live keys (`development`, `crm-prod`); a revoked key frees its name.
CREATE UNIQUE INDEX api_keys_live_name ON api_keys (name) WHERE revoked_at IS NULL;
