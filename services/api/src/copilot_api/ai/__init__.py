"""AI: embeddings, LLM providers and prompt templates."""
