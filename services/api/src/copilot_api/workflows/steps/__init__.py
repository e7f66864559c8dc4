"""Step types: each is a class with a typed `Params` model and an async `run`."""
