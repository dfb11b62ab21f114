"""spyglass demo: record an offline RAG-style app and look inside its records.

Run with ``make demo`` (or ``.venv/bin/python examples/demo.py``). No network, no
API keys: the "LLM" is a few lines of Python. What it shows:

1. an app made of your own classes, its methods marked with ``@instrument``;
2. ``TruApp`` recording it, and ``print_instrumented()`` saying what is recorded;
3. a record: its calls, its layout (``layout_calls_as_app()``) and lens selections;
4. a streamed answer, recorded when the stream ends;
5. feedback evaluation on the records;
6. the records kept in the embedded database (``TruSession``, SQLite), feedback
   evaluated there too (deferred), and read back as a leaderboard and a table.
"""

from __future__ import annotations

import os
import statistics
import tempfile
from collections.abc import Iterator

from spyglass.adapters.custom import TruApp, instrument
from spyglass.core import Feedback, FeedbackMode, Select, SelectorError, TruSession

DOCUMENTS = [
    "A lens is a path into a record, such as the return value of a retriever.",
    "A record holds the main input, the main output and every instrumented call.",
    "Feedback functions score parts of a record selected by lenses.",
    "Recorders wrap an app; each top-level call becomes one record.",
    "The weather in the demo is always sunny.",
]


class Retriever:
    """Finds the documents that share the most words with a query."""

    def __init__(self, documents: list[str], k: int = 2) -> None:
        self.documents = documents
        self.k = k

    @instrument(retriever=True)
    def retrieve(self, query: str) -> list[str]:
        words = _words(query)
        ranked = sorted(self.documents, key=lambda doc: -len(words & _words(doc)))
        return ranked[: self.k]


class Generator:
    """A stand-in for an LLM: answers with the context sentence closest to the question."""

    @instrument
    def generate(self, question: str, context: list[str]) -> str:
        words = _words(question)
        best = max(context, key=lambda doc: len(words & _words(doc)), default="")
        return f"From what I found: {best}" if best else "I do not know."


class RAG:
    """Retrieve, then generate; ``respond`` returns the answer, ``stream`` yields it."""

    def __init__(self) -> None:
        self.retriever = Retriever(DOCUMENTS)
        self.generator = Generator()

    @instrument
    def respond(self, question: str) -> str:
        context = self.retriever.retrieve(question)
        return self.generator.generate(question, context)

    @instrument
    def stream(self, question: str) -> Iterator[str]:
        answer = self.respond(question)
        for word in answer.split(" "):
            yield word + " "


def _words(text: str) -> set[str]:
    return {w.strip(".,?!;:").lower() for w in text.split()} - {"a", "the", "is", "of", "an"}


def section(title: str) -> None:
    print(f"\n=== {title} " + "=" * max(0, 70 - len(title)))


def show_layout(node: object, indent: str = "") -> None:
    """Print the tree of a record's layout down to the recorded calls."""
    if isinstance(node, dict):
        for key, value in node.items():
            print(f"{indent}{key}:")
            show_layout(value, indent + "  ")
    elif isinstance(node, list):
        for item in node:
            if hasattr(item, "stack"):  # a RecordAppCall
                rets = repr(item.rets)
                rets = rets if len(rets) <= 60 else rets[:57] + "..."
                print(f"{indent}- call of {item.top}: args={item.args} rets={rets}")
            elif item is not None:
                show_layout(item, indent)


# ---- FEEDBACK FUNCTIONS (H6) ----------------------------------------------------------


def context_relevance(question: str, context: str) -> float:
    """Share of the question's words that appear in one retrieved document."""
    words = _words(question)
    return len(words & _words(context)) / len(words) if words else 0.0


def groundedness(sources: list[list[str]], statement: str) -> tuple[float, dict[str, str]]:
    """Share of the answer's words found in the retrieved documents, with a reason."""
    known = set().union(*(_words(doc) for docs in sources for doc in docs))
    words = _words(statement)
    missing = sorted(words - known)
    score = 1.0 - len(missing) / len(words) if words else 0.0
    return score, {"reason": "unsupported words: " + (", ".join(missing) or "none")}


def make_feedbacks() -> list[Feedback]:
    """Context relevance (one evaluation per retrieved document) and groundedness."""
    f_context_relevance = (
        Feedback(context_relevance, name="Context Relevance")
        .on(Select.RecordCalls.retriever.retrieve.args.query)
        .on(Select.RecordCalls.retriever.retrieve.rets[:])  # one evaluation per document
        .aggregate(statistics.fmean)
    )
    f_groundedness = (
        Feedback(groundedness, name="Groundedness")
        .on(Select.RecordCalls.retriever.retrieve.rets.collect())  # all documents, one argument
        .on_output()
    )
    return [f_context_relevance, f_groundedness]


QUESTIONS = [
    "What does a lens select in a record?",
    "What do feedback functions score?",
    "Is it sunny in the demo?",
]


def show_feedback(rag: RAG) -> None:
    """Record a few questions with two feedbacks and print their results per record."""
    # The selectors are checked against the app when the recorder is built; feedback runs
    # in a background pool (FeedbackMode.WITH_APP_THREAD, the default).
    recorder = TruApp(
        rag,
        app_name="demo RAG",
        app_version="v1 with feedback",
        feedbacks=make_feedbacks(),
    )
    with recorder as recording:
        for question in QUESTIONS:
            rag.respond(question)
    for record in recording.records:
        print(f"\n{record.main_input!r} -> {record.main_output!r}")
        for definition, result in record.wait_for_feedback_results(feedback_timeout=10).items():
            print(
                f"  {definition.name}: {result.result:.2f} ({result.status.value}, "
                f"{len(result.calls)} evaluation(s))"
            )
            for fcall in result.calls:
                args = ", ".join(f"{k}={_short(v)}" for k, v in fcall.args.items())
                meta = f"  [{fcall.meta['reason']}]" if "reason" in fcall.meta else ""
                print(f"      {fcall.ret:.2f} <- {args}{meta}")
    selector = Select.RecordCalls.retriever.get_context.rets
    try:
        TruApp(rag, feedbacks=[Feedback(context_relevance).on_input().on(selector)])
    except SelectorError as err:
        print("\nA selector that cannot match is refused when the recorder is built:")
        print(" ", str(err).replace("\n", "\n  "))


def show_store(rag: RAG) -> None:
    """Keep records in the embedded database and read them back, TruLens-style."""
    folder = tempfile.mkdtemp(prefix="spyglass-demo-")
    session = TruSession(database_url=f"sqlite:///{os.path.join(folder, 'default.sqlite')}")
    session.reset_database()
    print(session)
    # Recorders made from now on store into the session made last: the app's definition
    # now, each record and feedback result by a background writer.
    v1 = TruApp(rag, app_name="demo RAG", app_version="v1", feedbacks=make_feedbacks())
    # Deferred: the record is stored with its feedback pending; an evaluator runs it later.
    v2 = TruApp(
        rag,
        app_name="demo RAG",
        app_version="v2 deferred",
        feedbacks=make_feedbacks(),
        feedback_mode=FeedbackMode.DEFERRED,
    )
    for recorder in (v1, v2):
        with recorder:
            for question in QUESTIONS:
                rag.respond(question)
    session.flush(timeout=30)
    pending = [r.status.value for r in session.get_feedback_results(app_ids=[v2.app_id])]
    print(f"v2's feedback before the evaluator: {pending}")
    session.start_evaluator(return_when_done=True)

    frame, feedback_names = session.get_records_and_feedback()
    record_id = frame.loc[frame["app_version"] == "v1", "record_id"].iloc[0]
    session.add_feedback(name="Human", record_id=record_id, result=1.0)  # feedback by hand

    print("\nget_leaderboard():")
    print(session.get_leaderboard().round(3).to_string())
    print(f"\nget_records_and_feedback(): {len(frame)} records, feedback {feedback_names}")
    columns = ["app_version", "input", *feedback_names]
    print(frame[columns].round(2).to_string(index=False))
    session.close()
    url = f"sqlite:///{os.path.join(folder, 'default.sqlite')}"
    print("\nLook at these records in the dashboard (Ctrl-C stops it):")
    print(f"    .venv/bin/spyglass dashboard --database-url {url}")
    print("or from Python: run_dashboard(session) (from spyglass.dashboard import run_dashboard)")


def _short(value: object, width: int = 50) -> str:
    text = repr(value)
    return text if len(text) <= width else text[: width - 3] + "..."


def main() -> None:
    rag = RAG()
    recorder = TruApp(rag, app_name="demo RAG", app_version="v1")

    section("What is instrumented")
    recorder.print_instrumented()

    section("One record")
    with recorder as recording:
        answer = rag.respond("What does a lens select in a record?")
    record = recording.get()
    print("answer:      ", answer)
    print("main_input:  ", record.main_input)
    print("main_output: ", record.main_output)
    print(record)

    section("Its layout: layout_calls_as_app()")
    layout = record.layout_calls_as_app()
    show_layout({"app": layout["app"]})

    section("Lens selections")
    selections = {
        "Select.RecordCalls.retriever.retrieve.args.query": (
            Select.RecordCalls.retriever.retrieve.args.query
        ),
        "Select.RecordCalls.retriever.retrieve.rets[:] (collected)": (
            Select.RecordCalls.retriever.retrieve.rets[:].collect()
        ),
        "Select.RecordCalls.generator.generate.rets": Select.RecordCalls.generator.generate.rets,
        "Select.RecordInput": Select.RecordInput,
        "Select.RecordOutput": Select.RecordOutput,
    }
    for label, lens in selections.items():
        print(f"{label}\n    = {record.get(lens)!r}")
    print("TruApp.select_context(rag) =", TruApp.select_context(rag))

    section("A streamed answer")
    with recorder as recording:
        chunks = list(rag.stream("Who wraps an app?"))
    streamed = recording.get()
    print(f"{len(chunks)} chunks streamed; the record's main_output joins them:")
    print("main_output: ", streamed.main_output)
    print(streamed)

    section("Feedback")
    show_feedback(rag)

    section("Stored: TruSession on the embedded database")
    show_store(rag)


if __name__ == "__main__":
    main()
