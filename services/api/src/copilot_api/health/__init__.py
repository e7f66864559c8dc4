"""Health probes: liveness, readiness and a detailed report each capability contributes to."""
