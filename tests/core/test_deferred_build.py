"""When records are built: at the root's end if feedbacks run on them, else on first read."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from _engine_fixtures import RAG, RAG_SPECS, engine_plugin, make_recorder

from spyglass.core.feedback._feedback import Feedback
from spyglass.core.plugins._specs import InstrumentSpec
from spyglass.core.plugins.hookspecs import hookimpl
from spyglass.core.recording import _build as _record_build
from spyglass.core.schema._enums import FeedbackMode
from spyglass.core.schema._record import Record


@pytest.fixture
def rag() -> Iterator[Any]:
    with engine_plugin(RAG_SPECS):
        yield make_recorder()


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The number of calls of each record build, appended as builds happen."""
    made: list[int] = []
    real = _record_build.build_records

    def counted(root: Any, metas: Any = None) -> Any:
        made.append(len(root.calls))
        return real(root, metas)

    monkeypatch.setattr(_record_build, "build_records", counted)
    return made


def test_a_record_is_built_when_its_recording_is_first_read(rag: Any, builds: list[int]) -> None:
    """Nothing is serialised on the app's thread; the first read builds, later reads reuse."""
    with rag as recording:
        rag.app.respond("q")
    assert [] == builds
    assert "<Recording of App with 1 records>" == repr(recording)  # repr builds nothing
    assert [] == builds
    record = recording.get()
    assert [3] == builds
    assert "q" == record.main_input
    assert record is recording.records[0] is recording[0] is next(iter(recording))
    assert 1 == len(recording)
    assert [3] == builds


def test_records_nobody_reads_are_never_built(rag: Any, builds: list[int]) -> None:
    for i in range(5):
        with rag:
            rag.app.respond(f"q{i}")
    assert [] == builds


def test_a_record_is_built_when_its_root_ends_if_feedbacks_run_on_it(builds: list[int]) -> None:
    """Feedbacks need the record: it is built before the root returns."""
    seen: list[str] = []
    feedback = Feedback(lambda text: seen.append(text) or 1.0, name="f").on_output()
    with engine_plugin(RAG_SPECS):
        recorder = make_recorder(feedbacks=[feedback], feedback_mode=FeedbackMode.WITH_APP)
        with recorder as recording:
            answer = recorder.app.respond("q")
            assert [3] == builds
            assert [answer] == seen
    assert [answer] == [recording.get().main_output]
    assert [3] == builds


def test_feedback_mode_none_defers_like_no_feedbacks(builds: list[int]) -> None:
    feedback = Feedback(lambda text: 1.0, name="f").on_output()
    with engine_plugin(RAG_SPECS):
        recorder = make_recorder(feedbacks=[feedback], feedback_mode=FeedbackMode.NONE)
        with recorder as recording:
            recorder.app.respond("q")
        assert [] == builds
        assert [] == recording.get().feedback_results
    assert [3] == builds


class Chat:
    """Takes a history the caller keeps and returns a list the caller may change."""

    def __init__(self) -> None:
        self.turns = 0

    def reply(self, question: str, history: list[str], options: dict[str, Any]) -> list[str]:
        self.turns += 1
        return [question.upper(), *history]


CHAT_SPECS = [InstrumentSpec(Chat, ("reply",), kind="custom")]


def test_containers_the_app_changes_later_are_recorded_as_they_were_at_the_root_end() -> None:
    """Lists, dicts and sets passed in or returned are copied when the root ends."""
    history: list[str] = []
    options = {"lang": "en"}
    with engine_plugin(CHAT_SPECS):
        recorder = make_recorder(Chat())
        with recorder as recording:
            for question in ("a", "b"):
                answer = recorder.app.reply(question, history, options=options)
                history.append(question)
                answer.sort()
                options["lang"] = "fr"
        first, second = recording.records
    assert {"question": "a", "history": [], "options": {"lang": "en"}} == first.calls[0].args
    assert ["A"] == first.calls[0].rets
    assert {"question": "b", "history": ["a"], "options": {"lang": "fr"}} == second.calls[0].args
    assert ["B", "a"] == second.calls[0].rets
    assert "Ba" == second.main_output  # main output of a list of strings: joined
    assert ["a", "b"] == history  # the app's own objects are untouched


class Pipeline:
    def run(self, question: str) -> str:
        docs = self.retrieve(question)
        return self.answer(docs)

    def retrieve(self, question: str) -> list[dict[str, str]]:
        return [{"text": question}]

    def answer(self, docs: list[dict[str, str]]) -> str:
        docs.append({"text": "appended by the app"})  # after its call has the list
        return docs[0]["text"]


PIPELINE_SPECS = [InstrumentSpec(Pipeline, ("run", "retrieve", "answer"), kind="custom")]


def test_a_container_several_calls_share_is_copied_once_and_serialised_once() -> None:
    """A list one call returns and the next takes is copied once at the root's end: the
    record shows it in both calls as it was then, serialised once (one form, shared)."""
    with engine_plugin(PIPELINE_SPECS):
        recorder = make_recorder(Pipeline())
        with recorder as recording:
            recorder.app.run("q")
        record = recording.get()
    retrieve, answer = (c for c in record.calls if c.stack[-1].method.name != "run")
    both = [{"text": "q"}, {"text": "appended by the app"}]
    assert (both, {"docs": both}) == (retrieve.rets, answer.args)  # as at the root's end
    assert retrieve.rets is answer.args["docs"]


def test_other_objects_are_serialised_as_they_are_when_the_record_is_built() -> None:
    """Documented: an object (not a list, dict or set) changed after its root shows its
    state at the first read; reading right after the block is the way to pin it."""

    @dataclasses.dataclass
    class Box:
        value: str

    box = Box("before")
    with engine_plugin(CHAT_SPECS):
        recorder = make_recorder(Chat())
        with recorder as pinned:
            recorder.app.reply("a", [], {"box": box})
        pinned.get()  # built now
        with recorder as late:
            recorder.app.reply("b", [], {"box": box})
        box.value = "after"
        early_form = pinned.get().calls[0].args["options"]["box"]
        late_form = late.get().calls[0].args["options"]["box"]
    assert {"value": "before"} == early_form
    assert {"value": "after"} == late_form


def test_record_metadata_is_taken_when_the_root_ends(rag: Any) -> None:
    with rag as recording:
        recording.record_metadata = {"turn": 1}
        rag.app.respond("a")
        recording.record_metadata = {"turn": 2}
        rag.app.respond("b")
        recording.record_metadata = {"turn": 3}
    assert [{"turn": 1}, {"turn": 2}] == [r.meta for r in recording.records]


def test_an_evaluating_and_a_deferring_recorder_share_call_ids_and_keep_order(
    builds: list[int],
) -> None:
    """A root two recorders see is built once for both when either needs it now."""
    feedback = Feedback(lambda text: 1.0, name="f").on_output()
    with engine_plugin(RAG_SPECS):
        app = RAG()
        plain = make_recorder(app)
        evaluating = make_recorder(app, feedbacks=[feedback], feedback_mode=FeedbackMode.WITH_APP)
        with plain as outer:
            app.respond("first")  # only `plain` records it: deferred
            with evaluating as inner:
                app.respond("second")  # both: built now, for both
            assert [3] == builds
        assert ["first", "second"] == [r.main_input for r in outer.records]
        assert ["second"] == [r.main_input for r in inner.records]
    assert [3, 3] == builds
    shared = outer.records[1]
    assert [c.call_id for c in shared.calls] == [c.call_id for c in inner.records[0].calls]
    assert shared.record_id != inner.records[0].record_id


def test_reading_while_other_threads_finish_roots_sees_each_record_once_in_order(
    rag: Any,
) -> None:
    """Reads from another thread build what has ended; nothing is lost or doubled."""
    seen: list[list[Record]] = []
    done = threading.Event()

    def reader() -> None:
        while not done.is_set():
            seen.append(list(recording.records))
        seen.append(list(recording.records))

    with rag as recording:
        thread = threading.Thread(target=reader)
        thread.start()
        for i in range(200):
            rag.app.respond(f"q{i}")
        done.set()
        thread.join()
    final = recording.records
    assert [f"q{i}" for i in range(200)] == [r.main_input for r in final]
    assert all(isinstance(r, Record) for snapshot in seen for r in snapshot)
    for snapshot in seen:  # each read saw a prefix of the final list
        assert [r.record_id for r in snapshot] == [r.record_id for r in final[: len(snapshot)]]


class CallsTheApp:
    """An adapter whose main_input hook calls an instrumented method of the app."""

    def __init__(self, app: RAG) -> None:
        self.app = app

    @hookimpl
    def spyglass_main_input(self, app: Any, func: Any, bindings: Any) -> Any:
        if app is self.app:
            self.app.retriever.retrieve("from a hook")
        return None


def test_a_deferred_build_records_nothing_even_inside_another_recording() -> None:
    """Building runs with recording suspended: hook calls never become records."""
    with engine_plugin(RAG_SPECS):
        recorder = make_recorder()
        with engine_plugin([], CallsTheApp(recorder.app)):
            with recorder as first:
                recorder.app.respond("q")
            with recorder as second:
                record = first.get()  # built here, inside `second`
    assert "q" == record.main_input
    assert [] == second.records
