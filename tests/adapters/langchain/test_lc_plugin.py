"""The plugin: lazy imports, adapter info, recorder choice, select_context and its errors."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytest.importorskip("langchain_core")
pytest.importorskip("numpy")

from _lc_apps import DOCS, KeywordRetriever, rag_chain, vector_retriever
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from spyglass.adapters.langchain import TruChain
from spyglass.adapters.langchain._plugin import spyglass_adapter_info
from spyglass.core import Select
from spyglass.core.errors import SelectorError
from spyglass.core.plugins._manager import wrap_app


def test_loading_the_plugin_imports_no_framework():
    """Importing the entry point and the package does not import langchain_core or langgraph."""
    code = (
        "import sys, spyglass.adapters.langchain._plugin, spyglass.adapters.langchain;"
        "print(sorted(m for m in sys.modules if m.startswith(('langchain', 'langgraph'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "[]" == out.stdout.strip()


def test_adapter_declares_its_supported_range_once():
    """AdapterInfo: name langchain, langchain-core 1.x required, langgraph 1.x optional."""
    info = spyglass_adapter_info()
    assert ("langchain", ("langchain-core>=1.0,<2",), ("langgraph>=1.0,<2",)) == (
        info.name,
        info.requires,
        info.optional,
    )


def test_wrap_app_picks_truchain_for_a_runnable():
    """wrap_app(chain) builds a TruChain; with_record(app, q) calls its invoke."""
    chain = rag_chain()
    recorder = wrap_app(chain, app_name="auto")
    answer, record = recorder.with_record(chain, "What is the capital of France?")
    assert (TruChain, "Paris.", "app.invoke") == (
        type(recorder),
        answer,
        f"{record.calls[-1].stack[-1].path}.{record.calls[-1].stack[-1].method.name}",
    )


def test_truchain_refuses_what_is_not_a_runnable():
    """TruChain(object) raises a TypeError naming the type and pointing to wrap_app."""
    with pytest.raises(TypeError, match="builtins.object.*wrap_app"):
        TruChain(object())


def test_select_context_is_the_documents_page_content_lens():
    """select_context on the class and on a recorder give the same lens to page_content."""
    chain = rag_chain()
    expected = Select.RecordCalls.first.steps__.context.first.invoke.rets[:].page_content
    assert expected == TruChain.select_context(chain) == TruChain(chain).select_context()


def test_select_context_for_async_apps_reads_ainvoke():
    """method="ainvoke" selects the retriever calls an async app makes."""
    lens = TruChain.select_context(rag_chain(), method="ainvoke")
    assert Select.RecordCalls.first.steps__.context.first.ainvoke.rets[:].page_content == lens


def test_select_context_without_a_retriever_is_an_error():
    """No retriever in the app: SelectorError saying so."""
    with pytest.raises(SelectorError, match="Cannot find any `BaseRetriever`"):
        TruChain.select_context(FakeListChatModel(responses=["x"]))


def test_several_retrievers_are_listed_and_one_can_be_chosen():
    """Two retrievers: the error lists both with their paths; retriever= picks one."""
    keyword = KeywordRetriever(docs=DOCS, name="keywords")
    chain = rag_chain(retriever=vector_retriever()) | {"extra": keyword}
    with pytest.raises(SelectorError) as caught:
        TruChain.select_context(chain)
    message = str(caught.value)
    assert "app.first.steps__.context.first (VectorStoreRetriever)" in message
    assert "app.last.steps__.extra (KeywordRetriever, name='keywords')" in message
    expected = Select.RecordCalls.last.steps__.extra.invoke.rets[:].page_content
    assert expected == TruChain.select_context(chain, retriever="keywords")
    assert expected == TruChain.select_context(chain, retriever="app.last.steps__.extra")
    assert expected == TruChain.select_context(chain, retriever=keyword)
    with pytest.raises(SelectorError, match="matches none"):
        TruChain.select_context(chain, retriever="nope")


def test_class_checks_are_remembered_per_class_and_still_see_proxies():
    """The adapter's isinstance checks (cached per class, since LangChain's bases are
    ABCs) answer as isinstance does, for plain objects and for proxies that report the
    class of what they wrap."""
    import wrapt

    from spyglass.adapters.langchain import _framework as fw
    from spyglass.adapters.langchain._plugin import _is_runnable

    chain = rag_chain()
    model = FakeListChatModel(responses=["x"])
    proxy = wrapt.ObjectProxy(chain)
    for _ in range(2):  # computed, then from the cache
        assert fw.is_instance(chain, fw.RUNNABLE) and _is_runnable(chain)
        assert fw.is_instance(proxy, fw.RUNNABLE) and _is_runnable(proxy)
        assert fw.is_instance(model, fw.CHAT_MODEL, fw.LLM)
        assert not fw.is_instance(chain, fw.CHAT_MODEL, fw.LLM)
        assert not fw.is_instance("text", fw.RUNNABLE) and not _is_runnable("text")
        assert not fw.is_instance(proxy, fw.CHAT_MODEL)
