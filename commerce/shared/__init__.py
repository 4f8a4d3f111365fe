"""What every bounded context shares: commands and events, the message bus, the unit of work and
outbox, idempotency, money, clock, NIT and text rules, typed Spanish errors."""
