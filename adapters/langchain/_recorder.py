"""``TruChain``: the recorder for LangChain runnables and LangGraph graphs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from spyglass.core import App, HybridMethod, Lens, Select, SelectorError
from spyglass.core.plugins import walk

from . import _framework as fw

__all__ = ["TruChain", "select_context_of"]

# What `select_context` reads from the retriever's calls.
_CONTEXT_METHODS = ("invoke", "ainvoke", "_get_relevant_documents", "_aget_relevant_documents")


class TruChain(App):
    """Records a LangChain ``Runnable`` or a LangGraph compiled graph.

    Usage::

        recorder = TruChain(chain, app_name="rag", app_version="v1", feedbacks=[f])
        answer, record = recorder.with_record(chain.invoke, "What is a lens?")
        with recorder as recording:
            for chunk in chain.stream("What is a lens?"):
                ...
        record = recording.get()

    Every top-level call of the app (``invoke``, ``ainvoke``, ``stream``, ``astream``,
    ``batch``, ``abatch``, ...) made inside ``with recorder`` becomes one record;
    arguments (``config``, ``callbacks``, ``run_name``, ...) pass through untouched.
    Recorded ``args`` keep ``config`` (its callback manager shown as its type and
    handler class names) but leave out the ``run_manager`` that LangChain passes to
    ``_generate``, ``_get_relevant_documents``, ``_run`` and the like: it is callback
    plumbing, a new object per call, with nothing of the app's in it.

    **Paths** read like the app: ``app.first.steps__.context.first`` (a retriever in a
    parallel branch), ``app.middle[1]`` (the model of ``prompt | model | parser``),
    ``app.nodes.retrieve`` (a graph node's body) and ``app.nodes.retrieve.retriever``
    (a component the node's function uses through its closure or a global). Objects
    LangChain or LangGraph create during a call (a chain built inside a node) are
    recorded under their caller's path plus their class name. LangGraph's channel
    writes (``ChannelWrite``) are left out; its edge routers share their class with
    node bodies (``RunnableCallable``), so they still appear, at ``app.RunnableCallable``.

    Args:
        app: the runnable or compiled graph.
        main_method: the method ``with_record(app, ...)`` calls (default ``app.invoke``).
        **kwargs: the options of :class:`spyglass.core.App` (``app_name``,
            ``app_version``, ``feedbacks``, ``feedback_mode``, ``metadata``, ...).

    Raises:
        TypeError: ``app`` is not a LangChain ``Runnable``.
    """

    def __init__(self, app: Any, **kwargs: Any) -> None:
        if not fw.is_instance(app, fw.RUNNABLE):
            raise TypeError(
                f"TruChain records LangChain runnables and LangGraph graphs; got "
                f"{type(app).__module__}.{type(app).__qualname__}. Pass the chain or compiled "
                "graph itself, or use spyglass.core.wrap_app(app) to pick the recorder "
                "that fits (TruCustomApp for your own classes)."
            )
        super().__init__(app, **kwargs)

    def default_main_method(self) -> Callable[..., Any]:
        """``app.invoke``: every Runnable's entry point."""
        return self.app.invoke  # type: ignore[no-any-return]

    @HybridMethod
    def select_context(
        cls, app: Any = None, *, retriever: Any = None, method: str = "invoke"
    ) -> Lens:
        """The lens to the ``page_content`` of the documents the app's retriever returned.

        ``Select.RecordCalls.<retriever path>.invoke.rets[:].page_content``, e.g.
        ``__record__.app.first.steps__.context.first.invoke.rets[:].page_content``.

        Args:
            app: the runnable or graph (default on a recorder: its app).
            retriever: which retriever, when the app has several: the retriever object,
                its path (``"app.first.steps__.context.first"``), its ``name`` or its
                class name.
            method: the retriever method whose return value is read: ``"invoke"``
                (LangChain's sync paths ``invoke``, ``stream`` and ``batch`` all go
                through it), or ``"ainvoke"`` for an app run with ``ainvoke``/``astream``.

        Raises:
            SelectorError: no retriever in the app, several and no ``retriever=``, or
                ``retriever=`` matches none or several (each listed with its path).
        """
        return select_context_of(app, retriever=retriever, method=method)


def select_context_of(app: Any, *, retriever: Any = None, method: str = "invoke") -> Lens:
    """The context lens of a LangChain app (see :meth:`TruChain.select_context`)."""
    if app is None:
        raise SelectorError(
            "TruChain.select_context needs the app: TruChain.select_context(chain), or "
            "recorder.select_context() on a TruChain"
        )
    if method not in _CONTEXT_METHODS:
        raise SelectorError(
            f"select_context(method={method!r}): the retriever's documents are returned by "
            f"one of {', '.join(_CONTEXT_METHODS)}"
        )
    found = _retrievers(app)
    if not found:
        raise SelectorError(
            f"Cannot find any `BaseRetriever` in app {type(app).__name__}: no retriever is "
            "reachable from it (fields, graph nodes, closures of its functions). Select the "
            "context yourself, e.g. Select.RecordCalls.<path>.invoke.rets[:].page_content"
        )
    if retriever is not None:
        found = _choose(found, retriever)
    elif len(found) > 1:
        listing = "; ".join(_describe(path, obj) for path, obj in found)
        raise SelectorError(
            f"App {type(app).__name__} has {len(found)} retrievers: {listing}. Choose one with "
            "TruChain.select_context(app, retriever=<path, name or the retriever object>), "
            f'e.g. retriever="{found[0][0]}"'
        )
    path = found[0][0]
    return Select.Record + path + Lens()[method].rets[:].page_content


def _retrievers(app: Any) -> list[tuple[Lens, Any]]:
    """The outermost retrievers reachable from ``app``, in walk order."""
    candidates = [
        (path, obj) for path, obj in walk(app).found.values() if fw.is_instance(obj, fw.RETRIEVER)
    ]
    # A retriever inside another (a multi-query or compression retriever) is the
    # outer one's business: its documents are not the app's context.
    return [
        (path, obj)
        for path, obj in candidates
        if not any(other.is_prefix_of(path) and other != path for other, _ in candidates)
    ]


def _describe(path: Lens, obj: Any) -> str:
    name = vars(obj).get("name")
    named = f", name={name!r}" if name else ""
    return f"{path} ({type(obj).__name__}{named})"


def _choose(found: list[tuple[Lens, Any]], wanted: Any) -> list[tuple[Lens, Any]]:
    if isinstance(wanted, Lens):
        wanted = str(wanted)
    if isinstance(wanted, str):
        text = wanted.removeprefix("__record__.").removeprefix("__app__.")
        text = text if text == "app" or text.startswith(("app.", "app[")) else f"app.{text}"
        chosen = [
            (path, obj)
            for path, obj in found
            if str(path) == text or vars(obj).get("name") == wanted or type(obj).__name__ == wanted
        ]
    else:
        chosen = [(path, obj) for path, obj in found if obj is wanted]
    if len(chosen) == 1:
        return chosen
    listing = "; ".join(_describe(path, obj) for path, obj in found)
    problem = "matches none" if not chosen else f"matches {len(chosen)}"
    raise SelectorError(
        f"select_context(retriever={wanted!r}) {problem} of the app's retrievers: {listing}. "
        "Pass one of these paths."
    )
