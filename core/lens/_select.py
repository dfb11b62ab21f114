"""`Select`: named lenses into the data a feedback function reads.

A feedback function reads from a dict with two roots: ``__record__``, the record laid
out in the app's structure (`Record.layout_calls_as_app`), and ``__app__``, the
serialised app. `Select` names the lenses people use most::

    Select.RecordCalls.retriever.retrieve.rets[:]   # every document any retrieve call returned
    Select.RecordInput, Select.RecordOutput          # the main input and output
    Select.Record.meta                               # the record's metadata
"""

from __future__ import annotations

import warnings
from typing import Any

from . import _lens
from ._lens import Lens as _Lens
from ._steps import StepItemOrAttribute

__all__ = ["Select"]


class Select:
    """Lenses into a record and its app, and helpers to take them apart.

    Attributes:
        Tru: the empty lens, the root of the feedback data (``""``).
        Record: the record laid out as the app (``__record__``).
        App: the serialised app definition (``__app__``).
        RecordInput: ``__record__.main_input``.
        RecordOutput: ``__record__.main_output``.
        RecordCalls: the root of the calls laid out by component (``__record__.app``).
        RecordCall: the last call to finish, normally the root call (``__record__.calls[-1]``).
        RecordArgs: the root call's arguments (``__record__.calls[-1].args``).
        RecordRets: the root call's return value (``__record__.calls[-1].rets``).
        RecordSpans: ``__record__.spans``, kept for TruLens 1.2 selectors (always empty).
        Lens, Query: the `Lens` class, so ``Select.Query()`` is ``Lens()``.

    There is no ``RecordMetadata``; use ``Select.Record.meta``.
    """

    Lens = _Lens
    Query = _Lens

    Tru: _Lens = _Lens()
    Record: _Lens = Tru.__record__
    App: _Lens = Tru.__app__

    RecordInput: _Lens = Record.main_input
    RecordOutput: _Lens = Record.main_output
    RecordCalls: _Lens = Record.app
    RecordCall: _Lens = Record.calls[-1]
    RecordArgs: _Lens = RecordCall.args
    RecordRets: _Lens = RecordCall.rets
    RecordSpans: _Lens = Record.spans

    # Prefixes tried, in order, when rendering a lens as `Select.<Name>...`; longer
    # lenses come before their own prefixes (RecordArgs before RecordCall).
    _RENDER_ORDER = (
        "RecordInput",
        "RecordSpans",
        "RecordOutput",
        "RecordArgs",
        "RecordRets",
        "RecordCalls",
        "RecordCall",
        "Record",
        "App",
    )

    @staticmethod
    def path_and_method(select: _Lens) -> tuple[_Lens, str]:
        """Split a lens naming a method into the component's lens and the method name.

        ``Select.path_and_method(Select.RecordCalls.retriever.get_context)`` is
        ``(Select.RecordCalls.retriever, "get_context")``.

        Raises:
            ValueError: the lens is empty or its last step is not a name.
        """
        if not select.path:
            raise ValueError("Given selector is empty so does not name a method.")
        last = select.path[-1]
        if not isinstance(last, StepItemOrAttribute):
            raise ValueError(  # noqa: TRY004 - TruLens raised ValueError; callers catch it
                f"Last part of selector is not an attribute so does not name a method: "
                f"`{select}` ends with `{last!r}`."
            )
        return _Lens(path=select.path[:-1]), last.get_item_or_attribute()

    @staticmethod
    def dequalify(select: _Lens) -> _Lens:
        """Drop a leading ``__record__`` or ``__app__``: ``__record__.app.x`` -> ``app.x``."""
        if Select.Record.is_prefix_of(select) or Select.App.is_prefix_of(select):
            return _Lens(path=select.path[1:])
        return select

    @staticmethod
    def for_record(query: _Lens) -> _Lens:
        """``query`` read from the record: ``__record__`` + ``query``."""
        return Select.Record + query

    @staticmethod
    def for_app(query: _Lens) -> _Lens:
        """``query`` read from the app: ``__app__`` + ``query``."""
        return Select.App + query

    @staticmethod
    def render_for_dashboard(query: _Lens) -> str:
        """``query`` as the Python that builds it: ``Select.RecordCalls.retriever.get_context.rets[:]``."""
        if not query.path:
            return "Select.Lens()"
        for name in Select._RENDER_ORDER:
            prefix: _Lens = getattr(Select, name)
            if prefix.is_prefix_of(query):
                rest = query.path[len(prefix.path) :]
                return f"Select.{name}" + "".join(map(repr, rest))
        return "".join(map(repr, query.path))

    @staticmethod
    def context(app: Any = None) -> _Lens:
        """Deprecated: use the recorder's ``select_context(app)`` (e.g. ``TruChain.select_context``)."""
        warnings.warn(
            "Select.context is deprecated; use the recorder's select_context(app), e.g. "
            "TruChain.select_context(chain) or TruLlama.select_context(engine).",
            DeprecationWarning,
            stacklevel=2,
        )
        # A deprecated alias of the recorders' select_context, which sits two layers up:
        # imported only when called, never at import (the one upward import in core).
        from ..recording._app import App

        lens: _Lens = App.select_context(app)
        return lens


_lens._renderer = Select.render_for_dashboard  # see `_lens.render_lens`
