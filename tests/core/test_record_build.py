"""Record build: values serialised once per build, secrets redacted by parameter name."""

from __future__ import annotations

from typing import Any

from _engine_fixtures import engine_plugin, make_recorder

from spyglass.core.plugins._specs import OMIT, InstrumentSpec
from spyglass.core.plugins.hookspecs import hookimpl
from spyglass.core.schema._measures import Cost
from spyglass.core.serial._encoders import register_encoder, unregister_encoder


class Answer:
    """A result object that several calls return (like LlamaIndex's ``Response``)."""

    def __init__(self, text: str) -> None:
        self.text = text


class Engine:
    def query(self, q: str) -> Answer:
        return self.synthesize(self.retrieve(q))

    def retrieve(self, q: str) -> list[str]:
        return [q]

    def synthesize(self, docs: list[str]) -> Answer:
        return Answer(" ".join(docs))


ENGINE_SPECS = [InstrumentSpec(Engine, ("query", "retrieve", "synthesize"))]


def test_an_object_several_calls_return_is_serialised_once_per_record() -> None:
    """The same return value of three calls is encoded once, and each call shows it."""
    encoded: list[int] = []

    def encode(answer: Answer) -> dict[str, str]:
        encoded.append(id(answer))
        return {"text": answer.text}

    register_encoder(Answer, encode)
    try:
        with engine_plugin(ENGINE_SPECS):
            recorder = make_recorder(Engine())
            with recorder as rec:
                recorder.app.query("q")
            record = rec.get()  # built on read: while the encoder is registered
    finally:
        unregister_encoder(Answer)
    assert 1 == len(encoded)
    assert [["q"], {"text": "q"}, {"text": "q"}] == [call.rets for call in record.calls]
    assert {"docs": ["q"]} == record.calls[1].args


class Plumbed:
    def run(self, text: str, plumbing: object = None, **extra: object) -> str:
        return text


def test_omit_args_leaves_those_parameters_out_of_recorded_args() -> None:
    """InstrumentSpec.omit_args: named parameters are not recorded, given by position or name."""
    spec = InstrumentSpec(Plumbed, ("run",), omit_args=("plumbing",))
    with engine_plugin([spec]):
        recorder = make_recorder(Plumbed())
        with recorder as rec:
            recorder.app.run("a", object())
            recorder.app.run("b", plumbing=object(), more=1)
    assert [{"text": "a"}, {"text": "b", "extra": {"more": 1}}] == [
        r.calls[0].args for r in rec.records
    ]


def _shout(value: Any) -> Any:
    return value.upper() if isinstance(value, str) else OMIT


def _broken(value: Any) -> Any:
    raise RuntimeError("a broken form")


def test_arg_forms_give_the_recorded_value_or_leave_the_parameter_out() -> None:
    """InstrumentSpec.arg_forms: the form's result is recorded; OMIT drops the parameter;
    a raising form leaves the value as it was; the app gets the original values."""
    spec = InstrumentSpec(Plumbed, ("run",), arg_forms=(("text", _shout), ("plumbing", _broken)))
    with engine_plugin([spec]):
        recorder = make_recorder(Plumbed())
        with recorder as rec:
            returned = recorder.app.run("a", "p")
            recorder.app.run(7)  # the form answers OMIT
        args = [r.calls[0].args for r in rec.records]
    assert "a" == returned
    assert [{"text": "A", "plumbing": "p"}, {}] == args  # defaults are not filled in


def test_the_first_spec_to_give_a_parameter_a_form_keeps_it() -> None:
    specs = [
        InstrumentSpec(Plumbed, ("run",), arg_forms=(("text", _shout),)),
        InstrumentSpec(Plumbed, ("run",), arg_forms=(("text", lambda v: "second"),)),
    ]
    with engine_plugin(specs):
        recorder = make_recorder(Plumbed())
        with recorder as rec:
            recorder.app.run("a")
        assert {"text": "A"} == rec.get().calls[0].args


class AskedPlugin:
    """Answers spyglass_call_cost for every call and notes which methods it was asked about."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    @hookimpl
    def spyglass_call_cost(self, obj: Any, method_name: str, ret: Any) -> Cost:
        self.asked.append(method_name)
        return Cost(n_requests=1)


def test_cost_is_asked_only_for_methods_whose_spec_reports_cost() -> None:
    """spyglass_call_cost is offered the calls of reports_cost methods, and only those."""
    plugin = AskedPlugin()
    specs = [
        InstrumentSpec(Engine, ("query", "retrieve")),
        InstrumentSpec(Engine, ("synthesize",), reports_cost=True),
    ]
    with engine_plugin(specs), engine_plugin([], plugin):
        recorder = make_recorder(Engine())
        with recorder as rec:
            recorder.app.query("q")
        cost = rec.get().cost  # built on read: while the plugin is registered
    assert ["synthesize"] == plugin.asked
    assert 1 == cost.n_requests


class Pipe:
    """Plumbing between components: calls what it is given."""

    def __init__(self, target: Engine) -> None:
        self.target = target

    def run(self, q: str) -> list[str]:
        return self.target.retrieve(q)


class Outer:
    def __init__(self) -> None:
        self.engine = Engine()
        self.pipe = Pipe(self.engine)

    def ask(self, q: str) -> list[str]:
        return self.pipe.run(q)


def test_excluded_classes_are_not_recorded_and_their_callees_attach_to_the_caller() -> None:
    """InstrumentSpec.exclude: no call, no component; calls inside attach to its caller."""
    specs = [
        InstrumentSpec(Outer, ("ask",)),
        InstrumentSpec(Pipe, ("run",), exclude=(Pipe,)),
        InstrumentSpec(Engine, ("retrieve",)),
    ]
    with engine_plugin(specs):
        recorder = make_recorder(Outer())
        with recorder as rec:
            assert ["q"] == recorder.app.ask("q")
    record = rec.get()
    assert [["app.engine.retrieve", "app.ask"], ["app.ask"]] == [
        [f"{frame.path}.{frame.method.name}" for frame in reversed(call.stack)]
        for call in record.calls
    ]
    assert ["app", "app.engine"] == [c["path"] for c in recorder.instrumented()["components"]]


class Worker:
    """Created per call; calls a method of its own."""

    def work(self, q: str) -> str:
        return self.step(q)

    def step(self, q: str) -> str:
        return q.upper()


class Boss:
    def delegate(self, q: str) -> str:
        return Worker().work(q)


def test_an_unreached_object_calling_its_own_method_keeps_one_path() -> None:
    """A per-call object's call on itself is at the object's path, not a doubled one."""
    specs = [
        InstrumentSpec(Boss, ("delegate",)),
        InstrumentSpec(Worker, ("work", "step"), eager=True),
    ]
    with engine_plugin(specs):
        recorder = make_recorder(Boss())
        with recorder as rec:
            assert "Q" == recorder.app.delegate("q")
    assert ["app.Worker.step", "app.Worker.work", "app.delegate"] == [
        str(call.stack[-1]) for call in rec.get().calls
    ]


class Client:
    def complete(self, prompt: str, api_key: str, **options: object) -> str:
        return prompt.upper()


def test_arguments_named_like_secrets_are_redacted() -> None:
    """A parameter named like a secret (`api_key`, `*_token` in **kwargs) is recorded as redacted."""
    with engine_plugin([InstrumentSpec(Client, ("complete",))]):
        recorder = make_recorder(Client())
        with recorder as rec:
            answer = recorder.app.complete("hi", api_key="sk-secret", auth_token="t0k", n=2)
    assert "HI" == answer
    assert {
        "prompt": "hi",
        "api_key": "__tru_redacted",
        "options": {"auth_token": "__tru_redacted", "n": 2},
    } == rec.get().calls[0].args
