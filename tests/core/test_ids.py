"""Content ids computed exactly as TruLens computes them (as TruLens 1.x)."""

from __future__ import annotations

import hashlib

import pytest

from spyglass.core.schema._ids import app_id_of, obj_id_of_obj, recursive_hash


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", "d41d8cd98f00b204e9800998ecf8427e"),
        ("hello", "5d41402abc4b2a76b9719d911017c592"),
        (5, "e4da3b7fbbce2345d7772b0674a318d5"),
        ("5", "e4da3b7fbbce2345d7772b0674a318d5"),
        (3.4, "31053ad0506e935470ca21b43cae98cf"),
        (10 + 5j, "340f3808c95bbb87932f73a361184c8e"),
        (True, "f827cf462f62848df37c5e1e94a4da74"),
        (None, "6adf97f83acf6453d4a6a4b1070f3754"),
        (["hello", 5, 3.4, 10 + 5j, True, None], "ef75c403b4c1b6940a431469c66b579d"),
    ],
)
def test_golden_hashes(value: object, expected: str) -> None:
    """Scalars hash as md5(str(value)); the golden list hashes as TruLens's test says."""
    assert expected == recursive_hash(value)


def test_list_hash_ignores_order() -> None:
    """A list hashes its sorted element hashes, so order does not matter."""
    assert recursive_hash([1, "a", None]) == recursive_hash([None, 1, "a"])


def test_dict_hash_rule() -> None:
    """A dict hashes `key:hash(value),` for its keys in sorted order."""
    md5 = lambda s: hashlib.md5(s.encode()).hexdigest()
    expected = md5(f"a:{md5('1')},b:{md5('x')},")
    assert expected == recursive_hash({"b": "x", "a": 1})


def test_ignore_none_drops_none_values_at_every_level() -> None:
    """ignore_none leaves out None values, also in nested dicts."""
    assert recursive_hash({"a": 1, "n": {"b": 2}}) == recursive_hash(
        {"a": 1, "z": None, "n": {"b": 2, "y": None}}, ignore_none=True
    )


def test_none_values_count_by_default() -> None:
    """Without ignore_none, a None value changes the hash."""
    assert recursive_hash({"a": 1}) != recursive_hash({"a": 1, "z": None})


def test_mixed_key_types_do_not_raise() -> None:
    """Keys of mixed types are ordered by type, then text, instead of failing."""
    assert recursive_hash({1: "a", "b": 2}) == recursive_hash({"b": 2, 1: "a"})


def test_obj_id_of_obj() -> None:
    """An object id is `<prefix>_hash_<recursive hash>`."""
    assert "feedback_hash_" + recursive_hash({"a": 1}) == obj_id_of_obj({"a": 1}, "feedback")


def test_app_id_golden() -> None:
    """app_id of ("default_app", "base") is TruLens's verified value."""
    assert "app_hash_baf7b2cb6402e84fa3b0b3a028d4bf65" == app_id_of("default_app", "base")


def test_app_id_depends_on_version() -> None:
    """Two versions of an app have different ids."""
    assert app_id_of("app", "v1") != app_id_of("app", "v2")
