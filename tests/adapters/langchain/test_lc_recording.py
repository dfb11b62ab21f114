"""A RAG chain recorded through every Runnable entry point (issue 5, must-show 1)."""

from __future__ import annotations

import asyncio

import pytest

pytest.importorskip("langchain_core")
pytest.importorskip("numpy")  # InMemoryVectorStore's cosine similarity

from _lc_apps import QUESTION, calls_at, rag_chain, top_frames

from spyglass.adapters.langchain import TruChain
from spyglass.core import Select

RETRIEVER = "app.first.steps__.context.first"
CONTEXT = ["The Seine flows through Paris.", "Paris is the capital of France."]


@pytest.fixture
def chain():
    return rag_chain()


@pytest.fixture
def recorder(chain):
    return TruChain(chain, app_name="rag", app_version="v1")


def test_invoke_gives_one_record_with_main_input_and_output(chain, recorder):
    """invoke: one record; main input is the question, main output the parsed answer."""
    with recorder as recording:
        answer = chain.invoke(QUESTION)
    record = recording.get()
    assert ("Paris.", QUESTION, "Paris.") == (answer, record.main_input, record.main_output)
    assert "app.invoke" == top_frames(record)[-1]


def test_retriever_documents_are_under_the_documented_path(chain, recorder):
    """The retriever's documents are at app.first.steps__.context.first.invoke.rets."""
    _, record = recorder.with_record(chain.invoke, QUESTION)
    layout = record.layout_calls_as_app()
    calls = layout["app"]["first"]["steps__"]["context"]["first"]["invoke"]
    assert CONTEXT == [doc["page_content"] for doc in calls[0].rets]
    lens = Select.RecordCalls.first.steps__.context.first.invoke.rets[:].page_content
    assert lens == TruChain.select_context(chain)
    assert CONTEXT == list(lens.get({"__record__": layout}))


def test_parallel_branch_calls_nest_under_the_parallel_though_run_in_threads(chain, recorder):
    """RunnableParallel runs branches in a thread pool; their calls still nest under it."""
    _, record = recorder.with_record(chain.invoke, QUESTION)
    (retrieval,) = calls_at(record, RETRIEVER, "invoke")
    (root,) = calls_at(record, "app", "invoke")
    stack = [f"{frame.path}.{frame.method.name}" for frame in retrieval.stack]
    expected = [
        "app.invoke",
        "app.first.invoke",
        "app.first.steps__.context.invoke",
        f"{RETRIEVER}.invoke",
    ]
    assert expected == stack
    assert root.tid != retrieval.tid


def test_stream_gives_one_record_whose_output_is_the_joined_chunks(chain, recorder):
    """stream: one record when the stream is drained; main output joins the chunks."""
    with recorder as recording:
        chunks = list(chain.stream(QUESTION))
    record = recording.get()
    assert (["P", "a", "r", "i", "s", "."], QUESTION, "Paris.") == (
        chunks,
        record.main_input,
        record.main_output,
    )
    assert 1 == len(calls_at(record, RETRIEVER, "invoke"))


def test_batch_gives_one_record_with_a_main_input_and_output_per_item(chain, recorder):
    """batch: the top-level call is one record; main I/O are lists, one per input."""
    with recorder as recording:
        answers = chain.batch(["q1", "q2"])
    record = recording.get()
    assert (["Paris.", "Paris."], ["q1", "q2"], ["Paris.", "Paris."]) == (
        answers,
        record.main_input,
        record.main_output,
    )
    assert 2 == len(calls_at(record, RETRIEVER, "invoke"))


def test_async_entry_points_each_give_one_record(chain, recorder):
    """ainvoke, astream and abatch: one record per top-level call, main I/O right."""

    async def run():
        async with recorder as recording:
            answer = await chain.ainvoke(QUESTION)
            chunks = [chunk async for chunk in chain.astream(QUESTION)]
            answers = await chain.abatch(["q1", "q2"])
        return recording, answer, chunks, answers

    recording, answer, chunks, answers = asyncio.run(run())
    mains = [(r.main_input, r.main_output) for r in recording.records]
    assert ("Paris.", "Paris.", ["Paris.", "Paris."]) == (answer, "".join(chunks), answers)
    assert [
        (QUESTION, "Paris."),
        (QUESTION, "Paris."),
        (["q1", "q2"], ["Paris.", "Paris."]),
    ] == mains
    assert [1, 1, 2] == [len(calls_at(r, RETRIEVER, "ainvoke")) for r in recording.records]


def test_each_top_level_call_gives_its_own_record(chain, recorder):
    """Two invokes in one block give two records."""
    with recorder as recording:
        chain.invoke("q1")
        chain.invoke("q2")
    assert ["q1", "q2"] == [r.main_input for r in recording.records]


def test_outputs_are_identical_with_and_without_recording(recorder, chain):
    """Every entry point returns the same value recorded as not."""

    async def run_async():
        return (
            await chain.ainvoke(QUESTION),
            [c async for c in chain.astream(QUESTION)],
            await chain.abatch(["q1", "q2"]),
        )

    def run_all():
        return (
            chain.invoke(QUESTION),
            list(chain.stream(QUESTION)),
            chain.batch(["q1", "q2"]),
            asyncio.run(run_async()),
        )

    plain = run_all()
    with recorder:
        recorded = run_all()
    assert plain == recorded


def test_model_call_is_recorded_below_the_model_invoke(chain, recorder):
    """The chat model's _generate is recorded under its invoke, at app.middle[1]."""
    _, record = recorder.with_record(chain.invoke, QUESTION)
    (generate,) = calls_at(record, "app.middle[1]", "_generate")
    assert ["app.invoke", "app.middle[1].invoke", "app.middle[1]._generate"] == [
        f"{frame.path}.{frame.method.name}" for frame in generate.stack
    ]


def test_run_managers_are_left_out_of_args_and_config_keeps_what_the_user_set(chain, recorder):
    """run_manager (callback plumbing) is not recorded; config keeps the user's keys only."""
    _, record = recorder.with_record(chain.invoke, QUESTION, {"tags": ["t"], "run_name": "r"})
    (generate,) = calls_at(record, "app.middle[1]", "_generate")
    (retrieve,) = calls_at(record, RETRIEVER, "_get_relevant_documents")
    (model,) = calls_at(record, "app.middle[1]", "invoke")
    (root,) = calls_at(record, "app", "invoke")
    assert ["messages", "stop"] == list(generate.args)
    assert {"query": QUESTION} == retrieve.args
    assert {"tags": ["t"], "run_name": "r"} == root.args["config"]
    # Inner calls inherit the tags; the empty defaults and the callback manager are left out.
    assert {"tags": ["t"]} == model.args["config"]
