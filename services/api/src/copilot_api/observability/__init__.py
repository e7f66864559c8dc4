"""Observability: structured logging, metrics and traces."""
