"""Alembic migrations of the platform's database (SQLite and PostgreSQL)."""
