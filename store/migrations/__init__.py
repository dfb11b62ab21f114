"""Alembic migrations of the store's schema (run by :mod:`spyglass.store._migrate`)."""
