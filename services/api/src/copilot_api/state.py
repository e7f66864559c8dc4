"""Keys of `app.state`, so every capability reads shared objects under one spelling."""

SETTINGS = "settings"
HEALTH = "health"
DATABASE = "database"
REDIS = "redis"
