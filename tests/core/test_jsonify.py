"""jsonify: the documented form of every kind of value, bounds, redaction, encoders."""

from __future__ import annotations

import asyncio
import collections
import dataclasses
import datetime as dt
import enum
import json
import logging
import sys
import threading
import uuid
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal
from pathlib import PurePosixPath
from typing import Any

import pytest
from pydantic import BaseModel, Field, SecretStr, computed_field

from spyglass.core.schema._enums import FeedbackResultStatus
from spyglass.core.serial._jsonify import (
    BYTES,
    CIRCULAR,
    CLASS_INFO,
    EXCEPTION,
    NON_SERIALIZED,
    PROPERTY_ERROR,
    REDACTED,
    TRUNCATED,
    is_secret_key,
    jsonify,
    register_encoder,
    register_secret,
    unregister_encoder,
    unregister_secret,
)
from spyglass.core.serial._pyschema import Class


def strict_json(value: Any) -> Any:
    """The value after a strict JSON round trip (fails on anything that is not JSON)."""
    return json.loads(json.dumps(value, allow_nan=False))


# ------------------------------------------------------------------- scalars


@pytest.mark.parametrize("value", ["text", "", 0, -5, 10**30, 1.5, True, False, None])
def test_json_scalars_are_themselves(value: Any) -> None:
    """str, int, finite float, bool and None are returned as they are."""
    assert value == jsonify(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(float("nan"), "NaN"), (float("inf"), "Infinity"), (float("-inf"), "-Infinity")],
)
def test_non_finite_floats_become_strings(value: float, expected: str) -> None:
    """NaN and infinities become strings, so the output is strict JSON."""
    assert expected == jsonify(value)


def test_scalar_subclasses_become_plain() -> None:
    """Subclasses of str, int and float become the plain builtin values."""

    class S(str):
        def __str__(self) -> str:
            raise RuntimeError("no")

    class I(int):
        pass

    out = jsonify([S("s"), I(3), type("F", (float,), {})(2.5)])
    assert (["s", 3, 2.5], [str, int, float]) == (out, [type(v) for v in out])


class Color(enum.Enum):
    RED = 1


class Level(enum.IntEnum):
    HIGH = 3


def test_enums() -> None:
    """str-Enums give their value; other Enums (also IntEnum) their name."""
    assert ["done", "RED", "HIGH"] == jsonify([FeedbackResultStatus.DONE, Color.RED, Level.HIGH])


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (b"hello", "hello"),
        (bytearray(b"caf\xc3\xa9"), "café"),
        (memoryview(b"mv"), "mv"),
        (b"\xff\x00", {BYTES: "/wA="}),
    ],
)
def test_bytes(value: Any, expected: Any) -> None:
    """Bytes become UTF-8 text, or {__tru_bytes_base64: ...} if not valid UTF-8."""
    assert expected == jsonify(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (dt.datetime(2026, 11, 24, 2, 22, 36, 359786), "2026-11-24T02:22:36.359786"),
        (dt.date(2026, 1, 2), "2026-01-02"),
        (dt.time(3, 4, 5), "03:04:05"),
        (dt.timedelta(seconds=90, milliseconds=500), 90.5),
        (PurePosixPath("/a/b.txt"), "/a/b.txt"),
        (uuid.UUID(int=1), "00000000-0000-0000-0000-000000000001"),
        (Decimal("1.25"), 1.25),
        (Decimal("NaN"), "NaN"),
        (complex(1, 2), "(1+2j)"),
    ],
)
def test_value_types(value: Any, expected: Any) -> None:
    """Datetimes are ISO strings, timedeltas seconds, paths/UUIDs/complex text, Decimal float."""
    assert expected == jsonify(value)


def test_exception_form() -> None:
    """An exception carries its type, module and message."""
    expected = {EXCEPTION: {"type": "ValueError", "module": "builtins", "message": "bad input"}}
    assert expected == jsonify(ValueError("bad input"))


def test_lens_is_its_string() -> None:
    """A Lens is written as str(lens)."""
    from spyglass.core.lens._lens import Lens

    assert "app.retriever.retrieve[0]" == jsonify(Lens.of_string("app.retriever.retrieve[0]"))


# ----------------------------------------------------------------- lazy values


def test_lazy_values_become_fixed_strings_and_are_not_consumed() -> None:
    """Generators, iterators and awaitables become fixed strings and are left unconsumed."""

    def gen() -> Iterator[int]:
        yield 1

    async def agen() -> Any:
        yield 1

    async def coro() -> int:
        return 1

    g, it, c, ag = gen(), iter([7, 8]), coro(), agen()
    out = jsonify([g, it, c, ag, gen, coro, agen])
    expected = [
        "spyglass: Cannot jsonify a generator object.",
        "spyglass: Cannot jsonify an iterator object.",
        "spyglass: Cannot jsonify an awaitable object.",
        "spyglass: Cannot jsonify an async generator object.",
        "spyglass: Cannot jsonify a generator function.",
        "spyglass: Cannot jsonify a coroutine function.",
        "spyglass: Cannot jsonify an async generator function.",
    ]
    left = (next(g), next(it), asyncio.run(c), asyncio.run(ag.__anext__()))
    assert (expected, (1, 7, 1, 1)) == (out, left)


# ------------------------------------------------------------------ containers


def test_dict_keys_are_coerced_to_str() -> None:
    """Non-str keys become str(key); str-Enum keys their value; a collision gets the type."""
    data = {
        (1, 2): "t",
        None: "n",
        1: "i",
        "1": "s",
        FeedbackResultStatus.DONE: "e",
        Color.RED: "c",
    }
    expected = {"(1, 2)": "t", "None": "n", "1": "i", "1 (str)": "s", "done": "e", "RED": "c"}
    assert expected == jsonify(data)


def test_sequences_and_sets_become_lists() -> None:
    """Tuples, deques, ranges, sets and dict views become lists; string sets are sorted."""
    data = {"a": 1, "b": 2}
    out = jsonify(
        [
            (1, 2),
            collections.deque([3]),
            range(2),
            {"b", "a", "c"},
            frozenset([5]),
            data.keys(),
            data.items(),
            data.values(),
        ]
    )
    assert [
        [1, 2],
        [3],
        [0, 1],
        ["a", "b", "c"],
        [5],
        ["a", "b"],
        [["a", 1], ["b", 2]],
        [1, 2],
    ] == out


def test_dict_subclasses_and_mappings() -> None:
    """dict subclasses and other Mappings become dicts."""

    class Frozen(Mapping[str, int]):
        def __getitem__(self, key: str) -> int:
            return {"x": 1}[key]

        def __iter__(self) -> Iterator[str]:
            return iter(["x"])

        def __len__(self) -> int:
            return 1

    out = jsonify([collections.OrderedDict(a=1), collections.defaultdict(int, b=2), Frozen()])
    assert [{"a": 1}, {"b": 2}, {"x": 1}] == out


# ------------------------------------------------------------------- models


class Inner(BaseModel):
    token: str = "t"
    access_token: str = "secret-token"


class Outer(BaseModel):
    name: str = "n"
    inner: Inner = Inner()
    password: str = "hunter2"
    key: SecretStr = SecretStr("sk-1")
    hidden: int = Field(0, exclude=True)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def upper(self) -> str:
        return self.name.upper()


def test_pydantic_model() -> None:
    """Fields (not excluded ones) and computed fields, redacted by name and SecretStr."""
    expected = {
        "name": "n",
        "inner": {"token": "t", "access_token": REDACTED},
        "password": REDACTED,
        "key": REDACTED,
        "upper": "N",
    }
    assert expected == jsonify(Outer())


def test_pydantic_without_redaction_still_masks_secret_str() -> None:
    """redact=False keeps key-named values but never reveals a SecretStr."""
    out = jsonify(Outer(), redact=False)
    assert ("hunter2", "**********") == (out["password"], out["key"])


def test_raising_computed_field_is_recorded() -> None:
    """A computed field that raises becomes a property error holding the exception."""

    class Broken(BaseModel):
        @computed_field  # type: ignore[prop-decorator]
        @property
        def bad(self) -> int:
            raise KeyError("gone")

    expected = {
        "bad": {
            PROPERTY_ERROR: {
                EXCEPTION: {"type": "KeyError", "module": "builtins", "message": "'gone'"}
            }
        }
    }
    assert expected == jsonify(Broken())


def test_pydantic_extra_fields() -> None:
    """Extra fields of an extra='allow' model are included (and redacted by name)."""

    class Open(BaseModel, extra="allow"):
        a: int = 1

    assert {"a": 1, "b": 2, "my_secret": REDACTED} == jsonify(Open(b=2, my_secret="s"))


@dataclasses.dataclass
class Point:
    x: int
    y: list[int]
    api_key: str = "sk"


def test_dataclass() -> None:
    """A dataclass becomes its fields, redacted by name."""
    assert {"x": 1, "y": [2], "api_key": REDACTED} == jsonify(Point(1, [2]))


# ------------------------------------------------------------------ objects


class Component:
    """The TruLens example component (§4.4): api_key, a property, a lock, a back-reference."""

    def __init__(self, parent: Any = None) -> None:
        self.api_key = "sk-secret"
        self._hidden = 5
        self.items = [1, "two", {"three": 3}]
        self.lock = threading.Lock()
        self.parent = parent

    @property
    def hidden(self) -> int:
        return self._hidden


def is_component(obj: Any) -> bool:
    return isinstance(obj, Component)


def test_component_example_with_redaction_fixed() -> None:
    """The §4.4 example: lock dropped, _hidden via its property, back-reference circular,
    and api_key redacted (TruLens left it in clear)."""
    root = Component()
    root.child = Component(parent=root)  # type: ignore[attr-defined]
    out = jsonify(root, is_component=is_component)
    child = out["child"]
    expected_child = {
        "api_key": REDACTED,
        "items": [1, "two", {"three": 3}],
        "parent": {CIRCULAR: id(root)},
        "hidden": 5,
        CLASS_INFO: Class.of_class(Component, with_bases=True).model_dump(),
    }
    assert expected_child == child


def test_component_with_skip_specials() -> None:
    """skip_specials: circular references are None and no tru_class_info is added."""
    root = Component()
    root.child = Component(parent=root)  # type: ignore[attr-defined]
    child = jsonify(root, is_component=is_component, skip_specials=True)["child"]
    assert {
        "api_key": REDACTED,
        "items": [1, "two", {"three": 3}],
        "parent": None,
        "hidden": 5,
    } == child


def test_raising_property_of_component() -> None:
    """A component property that raises becomes a property error, not a failure."""

    class Flaky(Component):
        @property
        def boom(self) -> int:
            raise RuntimeError("nope")

    out = jsonify(Flaky(), is_component=is_component)
    assert {
        PROPERTY_ERROR: {
            EXCEPTION: {"type": "RuntimeError", "module": "builtins", "message": "nope"}
        }
    } == out["boom"]


def test_plain_object_is_non_serialized() -> None:
    """An object that is not a component gets the non-serialised form."""
    obj = Component()
    expected = {
        NON_SERIALIZED: {
            "cls": Class.of_class(Component).model_dump(),
            "id": id(obj),
            "init_bindings": None,
        }
    }
    assert expected == jsonify(obj)


def test_plain_object_with_skip_specials_is_none() -> None:
    """skip_specials writes non-serialised objects as None."""
    assert [None] == jsonify([object()], skip_specials=True)


def test_jsonify_extra_hook() -> None:
    """A model's jsonify_extra(content) post-processes its serialised content."""

    class Extra(BaseModel):
        a: int = 1

        def jsonify_extra(self, content: dict[str, Any]) -> dict[str, Any]:
            return {**content, "added": True}

    assert {"a": 1, "added": True} == jsonify(Extra())


# ------------------------------------------------------------------ cycles


def test_self_containing_list_and_dict() -> None:
    """A container that contains itself is marked circular at the repeat."""
    items: list[Any] = [1]
    items.append(items)
    data: dict[str, Any] = {}
    data["me"] = data
    assert ([1, {CIRCULAR: id(items)}], {"me": {CIRCULAR: id(data)}}) == (
        jsonify(items),
        jsonify(data),
    )


def test_shared_objects_are_duplicated_not_marked() -> None:
    """A sub-object seen twice but not an ancestor is written in full each time."""
    shared = {"x": [1, 2]}
    assert {"a": {"x": [1, 2]}, "b": {"x": [1, 2]}} == jsonify({"a": shared, "b": shared})


# ------------------------------------------------------------------ bounds


def test_depth_bound() -> None:
    """Containers deeper than max_depth become a truncation marker."""
    nested: list[Any] = []
    cursor = nested
    for _ in range(10):
        cursor.append([])
        cursor = cursor[0]
    assert [[[{TRUNCATED: {"max_depth": 2}}]]] == jsonify(nested, max_depth=2)


def test_default_depth_bound_on_very_deep_data() -> None:
    """Data nested deeper than the recursion limit is truncated, not a RecursionError."""
    nested: list[Any] = []
    cursor = nested
    for _ in range(5000):
        cursor.append([])
        cursor = cursor[0]
    out = jsonify(nested)
    for _ in range(65):
        out = out[0]
    assert {TRUNCATED: {"max_depth": 64}} == out


def test_items_bound_on_list_dict_and_set() -> None:
    """Collections longer than max_items keep max_items entries and say how many there were."""
    marker = {TRUNCATED: {"len": 5, "kept": 2}}
    out = [
        jsonify(v, max_items=2)
        for v in (list(range(5)), {str(i): i for i in range(5)}, set(range(5)))
    ]
    assert [
        [0, 1, marker],
        {"0": 0, "1": 1, TRUNCATED: {"len": 5, "kept": 2}},
        [0, 1, marker],
    ] == out


def test_string_bound_keeps_the_length() -> None:
    """A string longer than max_str is cut and marked with its original length."""
    assert f"abcde...[{TRUNCATED}: 26 chars]" == jsonify("abcdefghijklmnopqrstuvwxyz", max_str=5)


def test_bytes_bound() -> None:
    """Long bytes are cut and marked with their original length."""
    assert f"abc...[{TRUNCATED}: 10 bytes]" == jsonify(b"abcdefghij", max_str=3)


def test_node_bound() -> None:
    """After max_nodes containers, further containers become a truncation marker."""
    out = jsonify([[1], [2], [3]], max_nodes=2)
    assert [
        [1],
        {TRUNCATED: {"max_nodes": "exceeded"}},
        {TRUNCATED: {"max_nodes": "exceeded"}},
    ] == out


def test_numpy_values() -> None:
    """numpy scalars become Python numbers and arrays (bounded) lists."""
    np = pytest.importorskip("numpy")
    values = [
        np.float32(1.5),
        np.int64(3),
        np.bool_(True),
        np.arange(6).reshape(2, 3),
        np.array(2.0),
    ]
    marker = {TRUNCATED: {"len": 5, "kept": 3}}
    expected = ([1.5, 3, True, [[0, 1, 2], [3, 4, 5]], 2.0], [0, 1, 2, marker])
    assert expected == (jsonify(values), jsonify(np.arange(5), max_items=3))


# ------------------------------------------------------------------ redaction


@pytest.mark.parametrize(
    "key",
    [
        "api_key",
        "API_KEY",
        "OPENAI_API_KEY",
        "openaiApiKey",
        "apiKey",
        "X-Api-Key",
        "password",
        "Password",
        "db_password_hash",
        "PASSWD",
        "secret",
        "client_secret",
        "SLACK_SIGNING_SECRET",
        "access_token",
        "SLACK_TOKEN",
        "HF_API_TOKEN",
        "authorization",
        "Proxy-Authorization",
        "aws_secret_access_key",
        "private_key",
        "credentials",
        "KAGGLE_KEY",
    ],
)
def test_secret_keys(key: str) -> None:
    """These keys are secret, in any case and spelling."""
    assert {key: REDACTED} == jsonify({key: "value"})


@pytest.mark.parametrize(
    "key",
    [
        "key",
        "token",
        "eos_token",
        "pad_token",
        "max_tokens",
        "n_tokens",
        "input_key",
        "memory_key",
        "name",
        "keys",
        "tokenizer",
    ],
)
def test_not_secret_keys(key: str) -> None:
    """These keys are data, not secrets."""
    assert {key: "value"} == jsonify({key: "value"})


def test_none_under_secret_key_stays_none() -> None:
    """A secret key whose value is None keeps None (nothing to hide)."""
    assert {"api_key": None} == jsonify({"api_key": None})


def test_redact_false_keeps_values() -> None:
    """redact=False writes secret-looking keys in clear."""
    assert {"api_key": "sk"} == jsonify({"api_key": "sk"}, redact=False)


def test_is_secret_key_is_exported() -> None:
    """is_secret_key gives the rule jsonify applies."""
    assert (True, False) == (is_secret_key("my_api_key"), is_secret_key("query"))


@pytest.fixture
def secret() -> Iterator[str]:
    value = "sk-registered-123"
    register_secret(value)
    yield value
    unregister_secret(value)


def test_registered_secret_is_redacted_everywhere(secret: str) -> None:
    """A registered secret value is redacted wherever it appears as a string."""
    out = jsonify({"note": secret, "list": [secret, "other"], "b": secret.encode()})
    assert {"note": REDACTED, "list": [REDACTED, "other"], "b": REDACTED} == out


def test_registered_secret_at_top_level(secret: str) -> None:
    """A registered secret passed directly is redacted too."""
    assert REDACTED == jsonify(secret)


def test_register_secret_accepts_secret_str() -> None:
    """register_secret takes a SecretStr's value."""
    register_secret(SecretStr("from-secret-str"))
    try:
        assert REDACTED == jsonify("from-secret-str")
    finally:
        unregister_secret("from-secret-str")


@pytest.mark.parametrize(("value", "error"), [("", ValueError), (5, TypeError)])
def test_register_secret_rejects_bad_values(value: Any, error: type[Exception]) -> None:
    """Empty strings and non-strings cannot be registered."""
    with pytest.raises(error):
        register_secret(value)


# ------------------------------------------------------------------ encoders


class Doc:
    def __init__(self, text: str) -> None:
        self.text = text


class SpecialDoc(Doc):
    pass


@pytest.fixture
def clean_encoders() -> Iterator[None]:
    yield
    for key in (Doc, SpecialDoc, f"{__name__}:Doc", f"{__name__}.SpecialDoc"):
        unregister_encoder(key)


@pytest.mark.usefixtures("clean_encoders")
def test_encoder_by_class() -> None:
    """A class encoder's output is serialised in turn (here with redaction)."""
    register_encoder(Doc, lambda d: {"page_content": d.text, "api_key": "x"})
    assert {"page_content": "hi", "api_key": REDACTED} == jsonify(Doc("hi"))


@pytest.mark.usefixtures("clean_encoders")
def test_encoder_by_path_applies_to_subclasses() -> None:
    """A 'module:QualName' encoder applies to subclasses through the MRO."""
    register_encoder(f"{__name__}:Doc", lambda d: d.text)
    assert "sub" == jsonify(SpecialDoc("sub"))


@pytest.mark.usefixtures("clean_encoders")
def test_most_specific_encoder_wins() -> None:
    """The encoder of the most specific class in the MRO wins."""
    register_encoder(Doc, lambda d: "doc")
    register_encoder(f"{__name__}.SpecialDoc", lambda d: "special")
    assert ["doc", "special"] == jsonify([Doc(""), SpecialDoc("")])


@pytest.mark.usefixtures("clean_encoders")
def test_failing_encoder_falls_back_and_logs_once(caplog: pytest.LogCaptureFixture) -> None:
    """An encoder that raises gives the default form, logged once per type."""

    def broken(d: Doc) -> Any:
        raise RuntimeError("encoder bug")

    register_encoder(Doc, broken)
    with caplog.at_level(logging.WARNING, logger="spyglass.core.serial._jsonify"):
        out = jsonify([Doc("a"), Doc("b")])
    assert ([NON_SERIALIZED, NON_SERIALIZED], 1) == (
        [next(iter(item)) for item in out],
        caplog.text.count("encoder bug"),
    )


@pytest.mark.usefixtures("clean_encoders")
def test_encoder_returning_same_type_falls_back() -> None:
    """An encoder that returns an object of the same type gives the default form."""
    register_encoder(Doc, lambda d: Doc("again"))
    assert NON_SERIALIZED in jsonify(Doc("x"))


@pytest.mark.usefixtures("clean_encoders")
def test_encoder_output_is_bounded() -> None:
    """An encoder's output obeys the same bounds."""
    register_encoder(Doc, lambda d: list(range(10)))
    assert [0, 1, {TRUNCATED: {"len": 10, "kept": 2}}] == jsonify(Doc(""), max_items=2)


class Box:
    def __init__(self) -> None:
        self.inner: dict[str, Any] = {"box": self}


@pytest.mark.usefixtures("clean_encoders")
def test_an_encoder_answer_that_leads_back_is_a_circular_reference() -> None:
    """An encoder's dict that holds the object, or is one the object holds, ends in a
    circular-reference marker, as any cycle does."""
    register_encoder(Box, lambda b: {"me": b})
    box = Box()
    assert {"me": {CIRCULAR: id(box)}} == jsonify(box)
    unregister_encoder(Box)
    register_encoder(Box, lambda b: b.inner)  # a dict that holds the box again
    assert {"box": {CIRCULAR: id(box)}} == jsonify(box)
    assert {"box": {CIRCULAR: id(box)}} == jsonify(box, memo={})


@pytest.mark.usefixtures("clean_encoders")
def test_an_encoder_answer_spends_the_node_budget_and_depth() -> None:
    """An encoder's dict counts as a container of its own, at its object's depth."""
    register_encoder(Doc, lambda d: {"text": d.text, "more": [d.text]})
    assert {"text": "a", "more": {TRUNCATED: {"max_nodes": "exceeded"}}} == jsonify(
        Doc("a"), max_nodes=2
    )
    assert {TRUNCATED: {"max_nodes": "exceeded"}} == jsonify(Doc("a"), max_nodes=1)
    assert [{TRUNCATED: {"max_depth": 0}}] == jsonify([Doc("a")], max_depth=0)
    assert {"text": "a", "more": {TRUNCATED: {"max_depth": 0}}} == jsonify(Doc("a"), max_depth=0)


@pytest.mark.parametrize(
    ("target", "fn", "error"),
    [(Doc, "not callable", TypeError), (5, repr, TypeError), ("NoModule", repr, ValueError)],
)
def test_register_encoder_rejects_bad_arguments(
    target: Any, fn: Any, error: type[Exception]
) -> None:
    """Bad registrations fail at once with a message that says what to pass."""
    with pytest.raises(error, match="register_encoder"):
        register_encoder(target, fn)


def test_path_encoder_applies_to_a_class_defined_later() -> None:
    """A path registered before its framework is imported applies once the class exists."""
    register_encoder("fake_framework.docs:Document", lambda d: "encoded")
    try:
        document = type("Document", (), {"__module__": "fake_framework.docs"})
        assert "encoded" == jsonify(document())
    finally:
        unregister_encoder("fake_framework.docs:Document")


# ------------------------------------------------------------------ hostile objects


class Hostile:
    """Everything that can raise, raises."""

    def __repr__(self) -> str:
        raise RuntimeError("repr")

    __str__ = __repr__

    def __getattr__(self, name: str) -> Any:
        raise RuntimeError("getattr")

    def __eq__(self, other: object) -> bool:
        raise RuntimeError("eq")

    def __hash__(self) -> int:
        return 1


class HostileSequence(Sequence[int]):
    def __getitem__(self, i: Any) -> Any:
        raise RuntimeError("getitem")

    def __len__(self) -> int:
        raise RuntimeError("len")

    def __iter__(self) -> Iterator[int]:
        raise RuntimeError("iter")


class HostileClass:
    @property  # type: ignore[misc]
    def __class__(self) -> type:
        raise RuntimeError("class")


def test_hostile_objects_never_raise() -> None:
    """Objects whose dunders raise are written as non-serialised objects or coerced keys."""
    out = jsonify(
        {Hostile(): [Hostile(), HostileSequence(), HostileClass()]},
        is_component=lambda o: True,
    )
    assert strict_json(out) == out


def test_hostile_key_text() -> None:
    """A key whose str and repr raise gets a description that cannot fail."""
    (key,) = jsonify({Hostile(): 1})
    assert key.startswith("<unprintable Hostile at 0x")


def test_hostile_is_component_predicate() -> None:
    """A raising is_component predicate counts as 'not a component'."""

    def predicate(obj: Any) -> bool:
        raise RuntimeError("predicate")

    assert NON_SERIALIZED in jsonify(Component(), is_component=predicate)


def test_jsonify_when_the_stack_is_almost_full() -> None:
    """Called with little stack left, jsonify still returns instead of raising."""
    data = [[[[{"a": [1, 2, {"b": [3]}]}]]]]

    def dive(n: int) -> Any:
        return jsonify(data) if n == 0 else dive(n - 1)

    out = dive(sys.getrecursionlimit() - 60)
    assert strict_json(out) == out


def test_output_is_strict_json() -> None:
    """A mixed bag of values serialises to strict JSON."""
    out = jsonify(
        {
            "f": float("nan"),
            "b": b"\x80",
            "d": dt.datetime(2020, 1, 1),
            "e": ValueError("x"),
            "o": object(),
            1: {2},
        }
    )
    assert strict_json(out) == out
