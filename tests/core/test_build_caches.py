"""The caches that make building and dumping records cheap never change an answer."""

from __future__ import annotations

import copy
import pickle

from spyglass.core.lens import _lens
from spyglass.core.lens._lens import GetIndex, GetItemOrAttribute, Lens


def test_lens_text_is_cached_per_path_and_stays_right() -> None:
    lens = Lens().app.retriever[0].retrieve
    assert str(lens) == "app.retriever[0].retrieve"
    assert _lens._texts[id(lens.path)] == (lens.path, "app.retriever[0].retrieve")
    assert str(lens) == "app.retriever[0].retrieve"  # from the cache
    assert lens.model_dump() == "app.retriever[0].retrieve"


def test_lens_text_of_copies_with_another_path() -> None:
    lens = Lens().app.first
    assert str(lens) == "app.first"
    other = lens.model_copy(update={"path": (GetItemOrAttribute(item_or_attribute="x"),)})
    assert str(other) == "x"
    assert str(copy.deepcopy(lens)) == "app.first"
    assert str(pickle.loads(pickle.dumps(lens))) == "app.first"


def test_lens_text_of_a_list_path_is_not_cached() -> None:
    steps = [GetItemOrAttribute(item_or_attribute="a")]
    lens = Lens.model_construct(path=steps)  # a mutable path: never cached
    assert str(lens) == "a"
    steps.append(GetIndex(index=2))
    assert str(lens) == "a[2]"


def test_lens_text_cache_is_bounded() -> None:
    for i in range(_lens._TEXTS_LIMIT + 10):
        str(Lens()[f"k{i}"])
    assert len(_lens._texts) <= _lens._TEXTS_LIMIT
    assert str(Lens()["k0"]) == "k0"
