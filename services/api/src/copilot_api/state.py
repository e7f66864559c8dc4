"""Keys of `app.state`, so every capability reads shared objects under one spelling."""

# The deployment environment (health responses report it).
ENVIRONMENT = "environment"
HEALTH = "health"
DATABASE = "database"
REDIS = "redis"
WORKFLOW_ENGINE = "workflow_engine"
SESSIONS = "sessions"
LLM = "llm"
PROMPTS = "prompts"
CACHES = "caches"
EXPERIMENTS = "experiments"
TELEMETRY = "telemetry"
# Callables run on each new PostgreSQL connection (tracing, type adapters); StoragePlugin runs them.
DATABASE_CONFIGURERS = "database_configurers"
SECURITY = "security"
# The listings capability's runtime (search service, ingest) for routes and workflow steps.
LISTINGS = "listings"
# Step types other capabilities offer the workflow engine (property search's steps, say).
WORKFLOW_STEP_TYPES = "workflow_step_types"
