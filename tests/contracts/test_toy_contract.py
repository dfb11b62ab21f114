"""The contract suite on the toy third-party adapter (tests/plugins/toyframework).

The toy framework has only a sync entry point, so the async and stream tests skip,
saying so.
"""

from __future__ import annotations

from typing import Any

import pytest

from spyglass.testing import AdapterContract

toy = pytest.importorskip(
    "spyglass_toyframework", reason="run `make test` to install tests/plugins/*"
)

DOCS = ["Paris is in France.", "Berlin is in Germany.", "Rome is in Italy."]


class TestToyAdapter(AdapterContract):
    example_inputs = ("Where is Paris?", "Where is Berlin?")
    instrumented_methods = (
        (toy.ToyPipeline, "run"),
        (toy.ToyRetriever, "retrieve"),
        (toy.ToyLLM, "generate"),
    )
    adapter_name = "toy"

    def make_app(self) -> Any:
        return toy.ToyPipeline(toy.ToyRetriever(DOCS), toy.ToyLLM())

    def call(self, app: Any, input: Any) -> Any:
        return app.run(input)

    def failing_input(self) -> Any:
        return None  # the retriever calls None.lower()

    def expected_main_output(self, input: Any, result: Any) -> Any:
        return result.answer
