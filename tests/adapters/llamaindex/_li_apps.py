"""Offline LlamaIndex apps, shared by the TruLlama tests (through conftest.py) and bench/bench_llamaindex.py.

Everything is passed explicitly (``llm=``, ``embed_model=``): ``Settings`` globals are
never read or set. The embedding is a hashed bag of words, so retrieval is
deterministic (``MockEmbedding`` ties every score and picks sources at random).
"""

from __future__ import annotations

import hashlib
import math
from typing import Any

from llama_index.core import Document, VectorStoreIndex
from llama_index.core.base.llms.types import (
    CompletionResponse,
    CompletionResponseGen,
    LLMMetadata,
)
from llama_index.core.embeddings import BaseEmbedding
from llama_index.core.llms import CustomLLM
from llama_index.core.llms.callbacks import llm_completion_callback

QUESTION = "What is the capital of Germany?"

TEXTS = (
    "Paris is the capital of France.",
    "Berlin is the capital of Germany.",
    "The Seine flows through Paris.",
)


class HashBagEmbedding(BaseEmbedding):
    """Words hashed into `dim` buckets, L2-normalised: similar texts get similar vectors."""

    dim: int = 32

    def _vec(self, text: str) -> list[float]:
        vector = [0.0] * self.dim
        for word in text.lower().replace(".", " ").replace("?", " ").split():
            vector[int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dim] += 1.0
        norm = math.sqrt(sum(x * x for x in vector)) or 1.0
        return [x / norm for x in vector]

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._vec(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._vec(text)

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._vec(query)


class UsageLLM(CustomLLM):
    """A completion LLM that answers `answer` and reports OpenAI-style usage in `raw`."""

    answer: str = "Berlin it is."

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(model_name="usage-llm", num_output=16, context_window=4096)

    def _usage(self, prompt: str) -> dict[str, Any]:
        p, c = len(prompt.split()), len(self.answer.split())
        return {"usage": {"prompt_tokens": p, "completion_tokens": c, "total_tokens": p + c}}

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        return CompletionResponse(text=self.answer, raw=self._usage(prompt))

    @llm_completion_callback()
    def stream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseGen:
        def gen() -> CompletionResponseGen:
            text = ""
            for i, word in enumerate(self.answer.split(" ")):
                delta = word if i == 0 else " " + word
                text += delta
                yield CompletionResponse(text=text, delta=delta)
            yield CompletionResponse(text=text, delta="", raw=self._usage(prompt))

        return gen()


def build_index() -> VectorStoreIndex:
    """A vector index over the three one-sentence documents of `TEXTS`."""
    docs = [Document(text=t, metadata={"src": str(i)}) for i, t in enumerate(TEXTS)]
    return VectorStoreIndex.from_documents(docs, embed_model=HashBagEmbedding())
