"""Alembic revisions, oldest first; each creates or alters the prefixed tables."""
