"""Health probe paths, shared by the service, the container health check and the load balancer."""

HEALTH_PATH = "/health"
LIVENESS_PATH = "/health/liveness"
READINESS_PATH = "/health/readiness"
DETAILED_HEALTH_PATH = "/health/detailed"
METRICS_PATH = "/metrics"
