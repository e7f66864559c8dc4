"""A/B experiments: configuration, sticky assignment, exposures, feedback and results."""
