"""spyglass never keeps a user's class alive: every per-class cache is weak or bounded.

A class defined in a function (a test, a notebook cell) and used through a recorder,
its walk and its records is collected once the app, the recorder and the records are
dropped, as if spyglass had never seen it.
"""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from typing import Any

import pydantic

from spyglass.adapters.custom import TruCustomApp, instrument
from spyglass.core.plugins import ClassCache


def _define_app() -> tuple[Any, list[weakref.ref[type]]]:
    """An app made of classes defined here; weak references to each of its classes."""

    class Note(pydantic.BaseModel):  # a pydantic component and a return value
        text: str = "n"

    class Document:  # plain data the app returns and the walk meets
        def __init__(self, text: str) -> None:
            self.text = text

    class Retriever:
        def __init__(self) -> None:
            self.note = Note()

        @instrument(retriever=True)
        def retrieve(self, query: str) -> list[Document]:
            return [Document(query)]

        @instrument
        def stream(self, query: str) -> Iterator[Note]:
            yield Note(text=query)

    class Rag:
        def __init__(self) -> None:
            self.retriever = Retriever()
            self.last = Document("seed")

        @instrument
        def respond(self, query: str) -> Note:
            docs = self.retriever.retrieve(query)
            list(self.retriever.stream(query))
            return Note(text=docs[0].text)

    classes = [Note, Document, Retriever, Rag]
    return Rag(), [weakref.ref(cls) for cls in classes]


def test_classes_used_by_a_recorder_are_collected_after_it() -> None:
    """Walked, instrumented, returned, streamed and serialised: still collectable."""
    app, refs = _define_app()
    recorder = TruCustomApp(app, app_name="weak")
    with recorder as recording:
        app.respond("q")
    record = recording.get()  # builds the record: arguments and returns serialised
    assert "q" == record.main_input
    recorder.print_instrumented()
    del app, recorder, recording, record
    gc.collect()
    assert [None] * len(refs) == [ref() for ref in refs]


def test_a_class_cache_computes_once_and_lets_classes_go() -> None:
    """ClassCache answers from its cache, for builtin and user classes alike, and drops a
    user class's value when the class is collected."""
    seen: list[type] = []

    def compute(cls: type) -> str:
        seen.append(cls)
        return cls.__name__

    cache: ClassCache[str] = ClassCache(compute)

    def make() -> type:
        class Local:
            pass

        return Local

    local = make()
    assert ("int", "Local", "int", "Local") == (cache[int], cache[local], cache[int], cache[local])
    assert [int, local] == seen
    assert "int" == cache.get(int)  # the interpreter's classes answer without computing
    ref = weakref.ref(local)
    del local, seen[:]
    gc.collect()
    assert ref() is None
    assert "ClassCache(" in repr(cache) and "1 classes" in repr(cache)
    cache.clear()
    assert "0 classes" in repr(cache)


def test_a_class_cache_answers_by_id_and_forgets_a_collected_class() -> None:
    """``by_id`` holds every value computed, builtin or user class, and drops a user
    class's entry when the class is collected (so its id can never answer for another)."""
    cache: ClassCache[str] = ClassCache(lambda cls: cls.__name__)

    class Local:
        pass

    assert (None, None) == (cache.by_id.get(id(int)), cache.by_id.get(id(Local)))
    assert "int" == cache[int] and "Local" == cache[Local]  # computed on first use
    assert ("int", "Local") == (cache.by_id.get(id(int)), cache.by_id.get(id(Local)))
    key = id(Local)
    del Local
    gc.collect()
    assert key not in cache.by_id
    assert "int" == cache.by_id[id(int)]
