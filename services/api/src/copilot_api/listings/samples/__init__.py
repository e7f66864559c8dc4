"""Demo data: deterministic sample listings (`make run`, tests and benchmarks), kept apart from
the production listings code. `generator` builds the RESO records, `remarks` their text."""

from copilot_api.listings.samples.generator import DEFAULT_COUNT, generate_listings

__all__ = ["DEFAULT_COUNT", "generate_listings"]
