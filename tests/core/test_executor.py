"""ContextThreadPoolExecutor: each task runs in a copy of its submitter's context."""

from __future__ import annotations

import contextvars
import threading
from concurrent.futures import ThreadPoolExecutor

from spyglass.core.executor import ContextThreadPoolExecutor

VAR: contextvars.ContextVar[str] = contextvars.ContextVar("test_executor_var", default="unset")


def test_a_task_sees_the_submitters_context() -> None:
    """A value set before submit is visible in the worker thread."""
    token = VAR.set("recording")
    try:
        with ContextThreadPoolExecutor(2) as pool:
            seen = pool.submit(VAR.get).result()
    finally:
        VAR.reset(token)
    assert "recording" == seen


def test_a_plain_pool_does_not_carry_the_context() -> None:
    """The reason this class exists: ThreadPoolExecutor workers do not see it."""
    token = VAR.set("recording")
    try:
        with ThreadPoolExecutor(1) as pool:
            seen = pool.submit(VAR.get).result()
    finally:
        VAR.reset(token)
    assert "unset" == seen


def test_sequential_submits_with_different_contexts_see_their_own() -> None:
    """The context is copied per submit, not once per pool or thread."""
    with ContextThreadPoolExecutor(1) as pool:
        token = VAR.set("first")
        first = pool.submit(VAR.get)
        VAR.reset(token)
        token = VAR.set("second")
        second = pool.submit(VAR.get)
        VAR.reset(token)
        assert ("first", "second") == (first.result(), second.result())


def test_changes_made_by_a_task_stay_in_that_task() -> None:
    """A task setting a variable does not change the submitter's or another task's value."""

    def set_and_read(value: str) -> str:
        VAR.set(value)
        return VAR.get()

    with ContextThreadPoolExecutor(1) as pool:
        a = pool.submit(set_and_read, "a").result()
        b = pool.submit(VAR.get).result()
    assert ("a", "unset", "unset") == (a, b, VAR.get())


def test_map_runs_in_worker_threads_with_the_context() -> None:
    """map (built on submit) carries the context too."""
    token = VAR.set("mapped")
    try:
        with ContextThreadPoolExecutor(4) as pool:
            out = list(pool.map(lambda _: (VAR.get(), threading.get_ident()), range(8)))
    finally:
        VAR.reset(token)
    assert {"mapped"} == {v for v, _ in out}
