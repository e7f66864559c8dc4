-- Outcomes reported against a workflow execution (POST /api/feedback); one row per execution,
-- updated when the user changes their mind. experiment_id, variant and user_id are copied from
-- the execution when it was part of an A/B test, so results need no join with executions.
-- No foreign key to workflow_executions: that table comes from a later migration (0015).
CREATE TABLE workflow_feedback (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    execution_id uuid NOT NULL UNIQUE,
    outcome text NOT NULL CHECK (outcome IN ('accepted', 'edited', 'rejected')),
    rating smallint CHECK (rating BETWEEN 1 AND 5),
    comment text CHECK (char_length(comment) <= 2000),
    experiment_id text,
    variant text,
    user_id text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX workflow_feedback_experiment ON workflow_feedback (experiment_id, variant, outcome)
    WHERE experiment_id IS NOT NULL;
