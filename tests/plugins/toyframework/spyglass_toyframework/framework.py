"""The toy framework: a retriever, an LLM, and a pipeline that runs them."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ToyDocument:
    """A retrieved document."""

    text: str
    score: float = 0.0


@dataclass
class ToyAnswer:
    """What a pipeline run returns."""

    answer: str
    sources: list[ToyDocument] = field(default_factory=list)


class ToyRetriever:
    """Finds the documents sharing the most words with a query."""

    def __init__(self, documents: list[str]) -> None:
        self.documents = [ToyDocument(text) for text in documents]

    def retrieve(self, query: str, k: int = 2) -> list[ToyDocument]:
        """Return the ``k`` best documents for ``query``."""
        words = set(query.lower().split())
        scored = [
            ToyDocument(doc.text, float(len(words & set(doc.text.lower().split()))))
            for doc in self.documents
        ]
        return sorted(scored, key=lambda d: -d.score)[:k]


class ToyLLM:
    """A deterministic "language model": echoes the first line of its prompt's context."""

    def __init__(self, prefix: str = "Answer:") -> None:
        self.prefix = prefix

    def generate(self, prompt: str) -> str:
        """Return a completion for ``prompt``."""
        context = prompt.split("\n")[0]
        return f"{self.prefix} {context}"


class ToyPipeline:
    """Retrieve, then generate."""

    def __init__(self, retriever: ToyRetriever, llm: ToyLLM) -> None:
        self.retriever = retriever
        self.llm = llm

    def run(self, question: str) -> ToyAnswer:
        """Answer ``question`` from the retrieved documents."""
        docs = self.retriever.retrieve(question)
        context = " ".join(doc.text for doc in docs)
        return ToyAnswer(self.llm.generate(f"{context}\nQ: {question}"), docs)
