"""Realtor AI Copilot platform: Pulumi components, one per tier."""
