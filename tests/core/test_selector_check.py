"""The selector check: selectors that cannot match an app fail early, and say why."""

from __future__ import annotations

import pytest
from _feedback_fixtures import call
from munch import Munch

from spyglass.core.errors import SelectorError
from spyglass.core.feedback._feedback import Feedback
from spyglass.core.feedback._selector_check import (
    SelectorWarning,
    check_selectors,
    explain_selector,
)
from spyglass.core.lens._lens import Lens
from spyglass.core.lens._select import Select

R = Select.RecordCalls


def dry_call(path: str, method: str, params: dict) -> list:
    return [call([("app", "respond"), (path, method)], params, None, end=1)]


def dry_layout() -> Munch:
    """The dry-run layout of a RAG app: `app.respond`, `app.retriever.retrieve/aretrieve`, `app.tools[0].run`."""
    return Munch(
        main_input=None,
        main_output=None,
        app={
            "respond": dry_call("app", "respond", {"question": None}),
            "retriever": {
                "retrieve": dry_call("app.retriever", "retrieve", {"query": None, "k": 3}),
                "aretrieve": dry_call("app.retriever", "aretrieve", {"query": None, "k": 3}),
            },
            "tools": [{"run": dry_call("app.tools[0]", "run", {"text": None})}],
        },
    )


APP_JSON = {
    "app_name": "rag",
    "app": {"retriever": {"k": 3}, "llm": {"model": "fake"}, "tools": [{"name": "t"}]},
}


def why(lens: Lens) -> str | None:
    return explain_selector(lens, dry_layout(), APP_JSON)


# ------------------------------------------------------------------- passing


@pytest.mark.parametrize(
    "lens",
    [
        R.retriever.retrieve.rets,
        R.retriever.retrieve.rets[:],
        R.retriever.retrieve.rets[:].page_content,
        R.retriever.retrieve.rets.collect(),
        R.retriever.retrieve[:].rets[:],
        R.retriever.retrieve[1].args,
        R.retriever.retrieve.args.query,
        R.retriever.retrieve.args.query.text,
        R.retriever.retrieve.error,
        R.tools[0].run.rets,
        R.tools[:].run.rets,
        Select.RecordInput,
        Select.RecordOutput,
        Select.Record.meta.user,
        Select.RecordCall.args,
        Select.App.app.llm.model,
        Lens(),
    ],
    ids=str,
)
def test_selectors_that_can_match_pass(lens):
    """A selector passes if it exists in the dry run or stops only at values known at run time."""
    assert None is why(lens)


# ------------------------------------------------------------ failure kinds


def test_unknown_method_names_instrumented_ones():
    """A method that is not instrumented on a component: the message lists the instrumented methods."""
    assert (
        "`app.retriever` has no instrumented method `get_context`; "
        "instrumented: `retrieve`, `aretrieve`."
    ) == why(R.retriever.get_context.rets)


def test_misspelled_method_suggests_closest():
    """A misspelled method name gets a "did you mean"."""
    assert why(R.retriever.retreive.rets).endswith("Did you mean `retrieve` or `aretrieve`?")


def test_misspelled_component_suggests_closest():
    """A misspelled component: the message lists the components and methods there and the closest name."""
    assert (
        "`app` has no component or instrumented method `retriver`; components: `retriever`, "
        "`tools`; instrumented methods: `respond`. Did you mean `retriever`?"
    ) == why(R.retriver.retrieve.rets)


def test_component_without_instrumented_methods_is_explained():
    """A component that exists in the app but has no instrumented method is named as such."""
    message = why(R.llm.generate.rets)
    assert message.startswith("`app` has no component or instrumented method `llm`")
    assert message.endswith(
        "`app.llm` is part of the app, but none of its methods is instrumented."
    )


def test_unknown_parameter_lists_parameters():
    """An argument name the method does not have: the message lists its parameters."""
    assert (
        "`app.retriever.retrieve` has no parameter `qurey`; parameters: `query`, `k`. Did you mean `query`?"
        == (why(R.retriever.retrieve.args.qurey))
    )


def test_unknown_call_field_lists_fields():
    """A step after a method that is not a field of a call lists the fields of a call."""
    assert (
        "a call of `app.retriever.retrieve` has no `ret`; a call has `call_id`, `stack`, `args`, "
        "`rets`, `error`, `perf`, `pid`, `tid`. Did you mean `rets`?"
    ) == why(R.retriever.retrieve.ret)


def test_unknown_record_field_lists_fields():
    """A record field that does not exist: the message lists the fields."""
    message = why(Select.Record.main_inptu)
    assert message.startswith("a record has no field `.main_inptu`; fields: `app`, `record_id`")
    assert message.endswith("Did you mean `main_input`?")


def test_component_index_out_of_range():
    """An index past a list of components says how many there are."""
    assert "`app.tools` is a list of 1 components; it has no component [3]" == why(
        R.tools[3].run.rets
    )


def test_selector_outside_record_and_app():
    """A selector that starts neither at the record nor at the app is explained."""
    assert "starts with `.main_output`" in why(Lens().main_output)


def test_app_selector_uses_lens_error():
    """A `Select.App` selector that does not exist reports the failing step and what exists there."""
    message = why(Select.App.app.retriever.kk)
    assert "kk" in message and "`k`" in message


# ------------------------------------------------------------- check_selectors


class FakeApp:
    """What check_selectors reads from a recorder."""

    def __init__(self, feedbacks, **options):
        self.feedbacks = feedbacks
        self.selector_check_warning = options.get("selector_check_warning", False)
        self.selector_nocheck = options.get("selector_nocheck", False)

    def dry_run_layout(self):
        return dry_layout()

    def model_dump(self):
        return APP_JSON


BAD = Feedback(lambda docs: 1.0, name="ctx").on(R.retriever.get_context.rets)


def test_check_raises_selector_error_with_all_problems():
    """check_selectors raises one SelectorError (a ValueError) naming the feedback, argument, selector and the options."""
    other = Feedback(lambda q: 1.0, name="q").on(R.retriever.retrieve.args.qurey)
    with pytest.raises(SelectorError) as info:
        check_selectors(FakeApp([BAD, other]))
    text = str(info.value)
    assert isinstance(info.value, ValueError)
    assert text.startswith(
        "Feedback `ctx`, argument `docs`: `Select.RecordCalls.retriever.get_context.rets` cannot "
        "match this app: `app.retriever` has no instrumented method `get_context`"
    )
    assert "Feedback `q`, argument `q`" in text
    assert "selector_check_warning=True" in text and "selector_nocheck=True" in text


def test_check_warns_when_asked():
    """With selector_check_warning=True the check warns instead of raising."""
    with pytest.warns(SelectorWarning, match="get_context"):
        check_selectors(FakeApp([BAD], selector_check_warning=True))


def test_check_skipped_when_asked():
    """With selector_nocheck=True nothing is checked."""
    check_selectors(FakeApp([BAD], selector_nocheck=True))


def test_check_covers_if_exists():
    """The if_exists selector is checked too."""
    f = Feedback(lambda text: 1.0, name="gated", if_exists=R.llm.generate).on_output()
    with pytest.raises(SelectorError, match="Feedback `gated`, if_exists"):
        check_selectors(FakeApp([f]))


def test_good_feedbacks_pass():
    """Feedbacks whose selectors can match pass the check silently."""
    f = (
        Feedback(lambda q, d: 1.0)
        .on(R.retriever.retrieve.args.query)
        .on(R.retriever.retrieve.rets[:])
    )
    check_selectors(FakeApp([f, Feedback(lambda t: 1.0).on_output()]))


def test_broken_dry_run_does_not_break_construction(caplog):
    """If the dry run itself fails, the check is skipped with a log line, not an error."""

    class Broken(FakeApp):
        def dry_run_layout(self):
            raise RuntimeError("no dry run")

    check_selectors(Broken([BAD]))
    assert any("dry-run layout" in r.getMessage() for r in caplog.records)


# --------------------------------------------------------- through a recorder

custom = pytest.importorskip("spyglass.adapters.custom")


class Retriever:
    @custom.instrument
    def retrieve(self, query: str, k: int = 2) -> list[str]:
        return ["doc"] * k


class RAG:
    def __init__(self):
        self.retriever = Retriever()

    @custom.instrument
    def respond(self, question: str) -> str:
        return " ".join(self.retriever.retrieve(question))


def test_recorder_construction_checks_selectors():
    """Building a recorder with a selector that cannot match raises the explaining SelectorError."""
    with pytest.raises(
        SelectorError,
        match="`app.retriever` has no instrumented method `get_context`; instrumented: `retrieve`",
    ):
        custom.TruCustomApp(RAG(), feedbacks=[BAD])


def test_recorder_construction_accepts_good_selectors():
    """A recorder with matching selectors is built without complaint."""
    f = (
        Feedback(lambda q, d: 1.0)
        .on(R.retriever.retrieve.args.query)
        .on(R.retriever.retrieve.rets[:])
    )
    custom.TruCustomApp(RAG(), feedbacks=[f])
