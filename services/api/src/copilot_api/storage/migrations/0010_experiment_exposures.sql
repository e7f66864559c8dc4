-- A/B test exposures: one row per (experiment, user), whatever the number of exposures.
-- The variant is the one assigned at first exposure; later exposures only bump the counters.
CREATE TABLE experiment_exposures (
    experiment_id text NOT NULL,
    user_id text NOT NULL,
    variant text NOT NULL,
    exposures integer NOT NULL DEFAULT 1 CHECK (exposures > 0),
    first_exposed_at timestamptz NOT NULL DEFAULT now(),
    last_exposed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (experiment_id, user_id)
);

CREATE INDEX experiment_exposures_variant ON experiment_exposures (experiment_id, variant);
