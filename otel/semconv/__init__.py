"""Semantic-convention names: :mod:`spyglass.otel.semconv.trace` (TruLens's names)."""

from __future__ import annotations

from . import trace

__all__ = ["trace"]
