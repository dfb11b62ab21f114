"""A toy retrieval framework, and a spyglass adapter for it shipped as a third party would.

The framework (:mod:`spyglass_toyframework.framework`) knows nothing of spyglass. The
adapter (:mod:`spyglass_toyframework.spyglass_plugin`) is found by spyglass through the
``spyglass`` entry-point group declared in this distribution's ``pyproject.toml``.
"""

from __future__ import annotations

from spyglass_toyframework.framework import (
    ToyAnswer,
    ToyDocument,
    ToyLLM,
    ToyPipeline,
    ToyRetriever,
)

__all__ = ["ToyAnswer", "ToyDocument", "ToyLLM", "ToyPipeline", "ToyRetriever"]
