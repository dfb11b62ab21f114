"""Deliberately broken spyglass plugins (see this distribution's pyproject.toml)."""
