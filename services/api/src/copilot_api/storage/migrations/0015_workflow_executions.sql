-- One row per workflow execution: inserted as 'running', finished as 'succeeded' or 'failed'.
CREATE TABLE workflow_executions (
    id uuid PRIMARY KEY,
    workflow_id text NOT NULL,
    workflow_version integer NOT NULL,
    status text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
    user_id text,
    session_id text,
    experiment_id text,
    variant text,
    provider text,
    fallback boolean NOT NULL DEFAULT false,
    cached boolean NOT NULL DEFAULT false,
    prompt_tokens integer NOT NULL DEFAULT 0,
    completion_tokens integer NOT NULL DEFAULT 0,
    input jsonb NOT NULL,
    output jsonb,
    error jsonb,
    step_durations_ms jsonb NOT NULL DEFAULT '{}'::jsonb,
    started_at timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    duration_ms double precision
);

CREATE INDEX workflow_executions_workflow_started ON workflow_executions (workflow_id, started_at DESC);
CREATE INDEX workflow_executions_user_started ON workflow_executions (user_id, started_at DESC);
