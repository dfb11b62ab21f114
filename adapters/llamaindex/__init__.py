"""spyglass adapter for LlamaIndex (llama-index-core 0.14): ``TruLlama``.

Usage
-----
Build the app as usual, passing ``llm=`` / ``embed_model=`` or relying on
``Settings``; wrap it; call it inside ``with``::

    from spyglass.adapters.llamaindex import TruLlama
    from spyglass.core import Feedback, Select

    query_engine = index.as_query_engine(llm=llm, similarity_top_k=2)
    context = TruLlama.select_context(query_engine)
    f_relevance = Feedback(relevance).on_input().on(context)
    recorder = TruLlama(query_engine, app_name="rag", feedbacks=[f_relevance])

    with recorder as recording:
        response = query_engine.query("What is the capital of France?")
    record = recording.get()
    record.main_input, record.main_output          # the query text, the answer
    record.get(Select.RecordCalls._retriever.retrieve.rets[:].node.text.collect())

    # streaming: the record is made when the stream has been read
    with recorder as recording:
        for token in streaming_engine.query("...").response_gen:
            print(token, end="")

``recorder.print_instrumented()`` lists every component with its path
(``__app__.app._retriever``, ``__app__.app._response_synthesizer._llm``, ...).

Configuration
-------------
Nothing to configure. The adapter registers itself through the ``spyglass``
entry-point group when ``llama-index-core`` 0.14 is installed
(``pip install 'spyglass[llamaindex]'``); ``SPYGLASS_DISABLE_ADAPTERS=llamaindex``
turns it off. What it records:

- query engines (``query``, ``aquery``, ``_query``, ``_aquery``, ``synthesize``,
  ``asynthesize``), retrievers (``retrieve``, ``aretrieve``,
  ``_retrieve``, ``_aretrieve``), chat engines (``chat``, ``achat``,
  ``stream_chat``, ``astream_chat``);
- LLMs (``complete``, ``chat``, their async and streaming forms, ``predict``,
  ``stream``, ``predict_and_call`` and async forms), embeddings
  (``get_query_embedding``, ``get_text_embedding``, batches, async forms), node
  postprocessors, response synthesizers, tools (``call``, ``acall``);
- workflows (``run``, and every ``@step``) and agents (``take_step``,
  ``handle_tool_call_results``, ``finalize``, and their steps).

LlamaIndex's own instrumentation (``dispatcher`` span and event handlers) keeps
working alongside. Token usage is read from LLM responses that report it
(``raw["usage"]`` and the like); a call that reports none adds nothing to
``Record.cost`` (unknown is not zero).

API
---
- :class:`TruLlama` — the recorder (a :class:`spyglass.core.App`):
  ``TruLlama.select_context(app)`` gives the lens to the retrieved context
  (``Select.RecordCall.rets.source_nodes[:].node.text`` for query and chat engines),
  ``TruLlama.select_source_nodes(app)`` the lens to the nodes themselves.
- :class:`WithFeedbackFilterNodes` — ``WithFeedbackFilterNodes(query_engine, feedback,
  threshold)``, a query engine that answers from only the retrieved nodes a feedback
  scores past the threshold (see :mod:`spyglass.core.guardrails`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from spyglass.core.plugins import lazy_exports

# public name -> module that defines it; imported on first use, so importing the package
# stays cheap.
_EXPORTS: dict[str, str] = {
    "TruLlama": "spyglass.adapters.llamaindex._recorder",
    "WithFeedbackFilterNodes": "spyglass.adapters.llamaindex._guardrails",
}

__all__ = ["TruLlama", "WithFeedbackFilterNodes"]

__getattr__, __dir__ = lazy_exports(globals(), _EXPORTS)

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from ._guardrails import WithFeedbackFilterNodes as WithFeedbackFilterNodes
    from ._recorder import TruLlama as TruLlama
