"""spyglass adapter for LangChain and LangGraph: ``TruChain``.

Usage
-----

Wrap any LangChain ``Runnable`` (an LCEL chain, a retriever, a model, a tool) or a
LangGraph compiled graph, and call it as usual inside a recording::

    from spyglass.adapters.langchain import TruChain
    from spyglass.core import Feedback, Select

    chain = {"context": retriever | format_docs, "question": RunnablePassthrough()} | prompt | llm | parser

    recorder = TruChain(chain, app_name="rag", app_version="v1", feedbacks=[
        Feedback(relevance).on_input().on(TruChain.select_context(chain)),
        Feedback(length).on_output(),
    ])
    answer, record = recorder.with_record(chain.invoke, "What is the capital of France?")
    record.layout_calls_as_app()["app"]["first"]["steps__"]["context"]["first"]["invoke"]

    with recorder as recording:              # any entry point: one record per top-level call
        for chunk in chain.stream("..."):
            ...
    recording.get().main_output              # the streamed chunks, joined

    recorder.print_instrumented()            # every component with its path

Records are laid out like the app: ``app.first.steps__.context.first`` (the retriever
of a parallel branch), ``app.middle[1]`` (the model), ``app.nodes.retrieve`` (a graph
node) and ``app.nodes.retrieve.retriever`` (a component a node's function uses).
``Record.cost`` sums the ``usage_metadata`` the models report (invoke and stream);
a model that reports nothing leaves it unknown (``Cost()``), not zero tokens.

Configuration
-------------

- Installed with ``pip install 'spyglass[langchain]'``; supports langchain-core 1.x
  (and langgraph 1.x). Outside that range the adapter warns once and is skipped.
- This adapter is the entry point ``langchain``; ``SPYGLASS_DISABLE_ADAPTERS=langchain``
  turns it off.
- ``TruChain(app, main_method=...)`` names the method ``with_record(app, ...)`` calls
  (default ``app.invoke``); every other option is :class:`spyglass.core.App`'s.
- ``TruChain.select_context(app, retriever=..., method=...)`` picks one of several
  retrievers, and ``method="ainvoke"`` reads an async app's retriever calls.
- Instrumentation is declared as data (``_specs.SPECS``): Runnable entry points,
  retrievers, models (only where a concrete class defines ``_generate``/``_stream``),
  tools, vector stores, embeddings. ``recorder.instrumented()["skipped"]`` says why a
  method was not wrapped.

- ``WithFeedbackFilterDocuments.of_retriever(retriever, feedback, threshold)`` is a
  vector-store retriever that keeps only the documents a feedback scores past the
  threshold (see :mod:`spyglass.core.guardrails`).

API
---

``TruChain``, ``WithFeedbackFilterDocuments``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from spyglass.core.plugins import lazy_exports

# public name -> module that defines it; imported on first use, so that loading the
# adapter's plugin (`_plugin`) imports neither LangChain nor the recorder machinery.
_EXPORTS: dict[str, str] = {
    "TruChain": "spyglass.adapters.langchain._recorder",
    "WithFeedbackFilterDocuments": "spyglass.adapters.langchain._guardrails",
}

__all__ = ["TruChain", "WithFeedbackFilterDocuments"]

__getattr__, __dir__ = lazy_exports(globals(), _EXPORTS)

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from ._guardrails import WithFeedbackFilterDocuments as WithFeedbackFilterDocuments
    from ._recorder import TruChain as TruChain
