"""MeStocker commerce core: domain and application layer (no web, no LLM)."""
