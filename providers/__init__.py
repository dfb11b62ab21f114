"""Judge providers: LLM-as-judge feedback with TruLens's names, on any model.

Usage::

    from spyglass.core import Feedback
    from spyglass.providers.openai import OpenAI

    provider = OpenAI()                        # or Langchain(chain=...), LlamaIndex(llm=...)
    f_answer_relevance = Feedback(provider.relevance_with_cot_reasons).on_input_output()

Public names: :class:`Provider` (base of everything that scores), :class:`LLMProvider`
(every judge method of TruLens 1.x, and their ``async`` twins), the errors, and the
price table (:func:`register_price`). Backends live in their own modules, each
importing its SDK only when used: :mod:`spyglass.providers.openai`,
:mod:`spyglass.providers.langchain`, :mod:`spyglass.providers.llamaindex`,
:mod:`spyglass.providers.huggingface.provider` (``Dummy``, offline).

TruLens providers spyglass does not build (``AzureOpenAI``, ``LiteLLM``, ``Bedrock``,
``Cortex``, ``Huggingface``, ``HuggingfaceLocal``) raise :class:`NotBuiltError` naming
what to use instead.
"""

from __future__ import annotations

from typing import Any

from ._answers import Ask, Completion
from ._errors import JudgeAnswerError, JudgeRequestError, NotBuiltError, not_built
from ._limits import Limiter
from ._llm import LLMProvider
from ._prices import price_of, register_price
from ._provider import Provider
from ._sentences import split_sentences

__all__ = [
    "Ask",
    "Completion",
    "JudgeAnswerError",
    "JudgeRequestError",
    "LLMProvider",
    "Limiter",
    "NotBuiltError",
    "Provider",
    "not_built",
    "price_of",
    "register_price",
    "split_sentences",
]

_NOT_BUILT = {
    "AzureOpenAI": "spyglass.providers.openai.OpenAI(client=openai.AzureOpenAI(...)) or "
    "OpenAI(base_url='https://<resource>.openai.azure.com/openai/v1', model_engine="
    "'<deployment>')",
    "LiteLLM": "spyglass.providers.openai.OpenAI(base_url=<your LiteLLM proxy>) or "
    "spyglass.providers.langchain.Langchain(chain=ChatLiteLLM(...))",
    "Bedrock": "spyglass.providers.langchain.Langchain(chain=ChatBedrock(...))",
    "Cortex": "spyglass.providers.langchain.Langchain(chain=<a Snowflake chat model>)",
    "Huggingface": "an LLM judge (spyglass.providers.openai.OpenAI) or, offline, "
    "spyglass.providers.huggingface.provider.Dummy",
    "HuggingfaceLocal": "an LLM judge on a local OpenAI-compatible server "
    "(spyglass.providers.openai.OpenAI(base_url=...))",
}


def __getattr__(name: str) -> Any:
    if name in _NOT_BUILT:
        raise not_built(f"trulens.providers {name}", _NOT_BUILT[name])
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
