"""The one place the optional SDKs behind the judge backends are imported.

Each function imports its SDK on first use and raises
:class:`~spyglass.core.MissingDependencyError` naming the ``pip install`` line when
it is missing, so ``import spyglass.providers`` never needs any of them.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from spyglass.core import MissingDependencyError

__all__ = ["langchain_core", "llama_index_core", "openai"]


def _need(module: str, extra: str, what: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingDependencyError(
            f"{what} needs the `{module.split('.')[0]}` package: pip install 'spyglass[{extra}]'"
        ) from exc


def openai() -> ModuleType:
    """The ``openai`` SDK."""
    return _need("openai", "openai", "spyglass.providers.openai.OpenAI")  # type: ignore[no-any-return]


def langchain_core() -> ModuleType:
    """``langchain_core.messages`` (the only part the Langchain backend uses)."""
    return _need(  # type: ignore[no-any-return]
        "langchain_core.messages", "langchain", "spyglass.providers.langchain.Langchain"
    )


def llama_index_core() -> ModuleType:
    """``llama_index.core.llms`` (the only part the LlamaIndex backend uses)."""
    return _need(  # type: ignore[no-any-return]
        "llama_index.core.llms", "llamaindex", "spyglass.providers.llamaindex.LlamaIndex"
    )
