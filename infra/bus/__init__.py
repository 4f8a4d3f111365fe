"""Event transport: the outbox relay and its publishers (in-process, Redis Streams, Kafka) and the
out-of-process consumers."""
