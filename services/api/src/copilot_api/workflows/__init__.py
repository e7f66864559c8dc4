"""Declarative AI workflows: YAML definitions, typed steps, an engine that records executions."""
