"""Context selection: the lens to an app's retrieved context, through the adapter hook."""

from __future__ import annotations

import pytest

from spyglass.core.errors import SelectorError
from spyglass.core.feedback._feedback import Feedback
from spyglass.core.lens._select import Select

custom = pytest.importorskip("spyglass.adapters.custom")

# Several apps share this module; the custom adapter warns (as TruLens does) about
# decorated classes of the module that a given app does not reach.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Function .* was not found during instrumentation walk"
)
app_module = pytest.importorskip("spyglass.core.recording._app")

DOCS = ["Paris is the capital of France.", "France is in Europe."]
CONTEXT = Select.RecordCalls.retriever.retrieve.rets[:]


class MarkedRetriever:
    @custom.instrument(retriever=True)
    def retrieve(self, query: str) -> list[str]:
        return list(DOCS)


class PlainRetriever:
    @custom.instrument
    def fetch(self, query: str) -> list[str]:
        return list(DOCS)


class MarkedRAG:
    def __init__(self):
        self.retriever = MarkedRetriever()

    @custom.instrument
    def respond(self, question: str) -> str:
        return self.retriever.retrieve(question)[0]


class PlainRAG:
    def __init__(self):
        self.store = PlainRetriever()

    @custom.instrument
    def respond(self, question: str) -> str:
        return self.store.fetch(question)[0]


class NoRetrieverRAG:
    @custom.instrument
    def respond(self, question: str) -> str:
        return question


def selected(lens, record):
    return list(lens.get({"__record__": record.layout_calls_as_app()}))


def test_marked_retriever_gives_its_rets():
    """A method marked `@instrument(retriever=True)` is the context: `…retriever.retrieve.rets[:]`."""
    assert CONTEXT == custom.TruCustomApp.select_context(MarkedRAG())


def test_select_context_alias_delegates():
    """`Select.context(app)` (deprecated, as in TruLens) gives the same lens as the recorder class."""
    with pytest.warns(DeprecationWarning, match="select_context"):
        assert CONTEXT == Select.context(MarkedRAG())


def test_app_base_class_asks_the_adapters():
    """`App.select_context(app)` on the base recorder class asks the adapter hook."""
    assert CONTEXT == app_module.App.select_context(MarkedRAG())


def test_context_lens_selects_the_documents():
    """The context lens selects each retrieved document of a real record."""
    rag = MarkedRAG()
    recorder = custom.TruCustomApp(rag)
    with recorder as recording:
        rag.respond("Where is Paris?")
    assert DOCS == selected(custom.TruCustomApp.select_context(rag), recording.get())


def test_context_lens_drives_a_feedback():
    """A feedback on the context lens runs once per document."""
    rag = MarkedRAG()
    f = Feedback(lambda doc: float(len(doc)), name="len").on(
        custom.TruCustomApp.select_context(rag)
    )
    recorder = custom.TruCustomApp(rag, feedbacks=[f], feedback_mode="with_app")
    with recorder as recording:
        rag.respond("Where is Paris?")
    [result] = recording.get().wait_for_feedback_results(5).values()
    assert [{"doc": d} for d in DOCS] == [c.args for c in result.calls]


def test_constructor_argument_names_the_retriever():
    """`TruCustomApp(app, retriever=bound_method)` makes that method the context."""
    rag = PlainRAG()
    recorder = custom.TruCustomApp(rag, retriever=rag.store.fetch)
    assert Select.RecordCalls.store.fetch.rets[:] == recorder.select_context()


def test_no_retriever_raises_naming_the_app():
    """An app with no retriever: SelectorError (a ValueError) naming the app's type and the fix."""
    with pytest.raises(SelectorError) as info:
        custom.TruCustomApp.select_context(NoRetrieverRAG())
    assert isinstance(info.value, ValueError)
    assert "NoRetrieverRAG" in str(info.value)


def test_virtual_app_context():
    """A virtual app's context is `Select.RecordCalls.retriever.get_context.rets[:]` (TruLens)."""
    assert Select.RecordCalls.retriever.get_context.rets[:] == custom.VirtualApp().select_context()
