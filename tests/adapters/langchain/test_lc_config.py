"""A Runnable's ``config`` is recorded with what the user set, not LangChain's plumbing."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("langchain_core")

from _lc_apps import QUESTION, calls_at, rag_chain
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.runnables.config import ensure_config

from spyglass.adapters.langchain import TruChain
from spyglass.adapters.langchain._config import recorded_config
from spyglass.core.plugins._specs import OMIT


class Handler(BaseCallbackHandler):
    """A user's callback handler."""


def test_langchains_default_config_is_left_out():
    """ensure_config's defaults (empty tags/metadata/configurable, 25, no handlers)."""
    assert OMIT is recorded_config(ensure_config())
    assert OMIT is recorded_config(None)
    assert OMIT is recorded_config({})


def test_what_the_user_set_is_kept():
    config = ensure_config(
        {
            "tags": ["t"],
            "metadata": {"user": "u"},
            "run_name": "r",
            "recursion_limit": 5,
            "max_concurrency": 2,
            "configurable": {"session_id": "s", "__pregel_send": object()},
        }
    )
    assert {
        "tags": ["t"],
        "metadata": {"user": "u"},
        "run_name": "r",
        "recursion_limit": 5,
        "max_concurrency": 2,
        "configurable": {"session_id": "s"},  # LangGraph's own `__` keys left out
    } == recorded_config(config)


def test_callbacks_are_kept_only_when_they_hold_handlers():
    handler = Handler()
    assert {"callbacks": [handler]} == recorded_config({"callbacks": [handler]})
    assert OMIT is recorded_config({"callbacks": []})


def test_a_value_that_is_not_a_mapping_is_recorded_as_it_is():
    assert "odd" == recorded_config("odd")


def test_the_runnable_gets_the_config_unchanged():
    """Only the recorded form is condensed: callbacks still reach the user's handler."""
    seen: list[str] = []

    class Counting(BaseCallbackHandler):
        def on_chain_start(self, serialized, inputs, **kwargs):
            seen.append("start")

    chain = rag_chain()
    recorder = TruChain(chain)
    handler = Counting()
    config = {"callbacks": [handler], "tags": ["t"]}
    answer, record = recorder.with_record(chain.invoke, QUESTION, config)
    assert "Paris." == answer
    assert seen
    assert {"callbacks": [handler], "tags": ["t"]} == config  # the caller's dict untouched
    (root,) = calls_at(record, "app", "invoke")
    assert ["t"] == root.args["config"]["tags"]
    assert 1 == len(root.args["config"]["callbacks"])


def test_a_recorded_rag_chain_holds_no_callback_managers():
    """The default config of every inner call is left out of its args."""
    chain = rag_chain()
    _, record = TruChain(chain).with_record(chain.invoke, QUESTION)
    assert "CallbackManager" not in json.dumps([call.args for call in record.calls])
    assert all("config" not in call.args for call in record.calls)


def test_batch_configs_are_condensed_one_by_one():
    """batch takes a list of configs: each condensed, the list left out when all are empty."""
    assert [{"tags": ["a"]}, {}] == recorded_config([{"tags": ["a"]}, ensure_config()])
    assert OMIT is recorded_config([ensure_config(), ensure_config()])


def test_batch_records_the_configs_the_user_gave():
    chain = rag_chain()
    recorder = TruChain(chain)
    with recorder as recording:
        chain.batch([QUESTION, QUESTION], [{"tags": ["first"]}, {}])
    (root,) = calls_at(recording.get(), "app", "batch")
    assert [{"tags": ["first"]}, {}] == root.args["config"]
