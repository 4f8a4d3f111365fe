"""Adapters and the composition root: settings, database and migrations, the outbox relay and
bus publishers, payment gateways, channels, checkpointers, the worker and the demo seed."""
