"""TruLens's ``trulens.providers.huggingface`` names.

``Dummy`` (in :mod:`spyglass.providers.huggingface.provider`, as in TruLens) is built:
a deterministic offline provider for trying feedback without keys. ``Huggingface``
and ``HuggingfaceLocal`` (Hugging Face Inference API and local models) are not:
using them raises :class:`~spyglass.providers.NotBuiltError` saying what to use.
"""

from __future__ import annotations

from typing import Any

from .._errors import not_built
from .provider import Dummy

__all__ = ["Dummy"]

_INSTEAD = (
    "an LLM judge such as spyglass.providers.openai.OpenAI(base_url=...) (any "
    "OpenAI-compatible server, including a local one) or spyglass.providers.langchain."
    "Langchain(chain=...); for offline tries, spyglass.providers.huggingface.provider.Dummy"
)


def __getattr__(name: str) -> Any:
    if name in ("Huggingface", "HuggingfaceLocal"):
        raise not_built(f"trulens.providers.huggingface.{name}", _INSTEAD)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
