"""Virtual apps: evaluate records of an app that spyglass did not run.

``VirtualApp`` describes the app (any JSON you like, addressable by lens),
``VirtualRecord`` builds a :class:`~spyglass.core.Record` from the calls you say
happened, and ``TruVirtual.add_record`` runs the feedbacks on it exactly as on a
recorded one (as TruLens 1.x).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any

from spyglass.core import (
    App,
    Class,
    Cost,
    FeedbackMode,
    Lens,
    Method,
    Obj,
    Perf,
    Record,
    RecordAppCall,
    RecordAppCallMethod,
    Select,
)

from ._custom import relative_to_app

__all__ = ["TruVirtual", "VirtualApp", "VirtualRecord"]

logger = logging.getLogger(__name__)

_MICROSECOND = timedelta(microseconds=1)
# The lens the context of a virtual app is read from, and where add_dataframe puts it.
_CONTEXT_METHOD = Select.RecordCalls.retriever.get_context


def _relative(lens: Lens | str) -> Lens:
    """``lens`` without ``__record__``/``__app__`` and without a leading ``app`` step."""
    return relative_to_app(lens, example="Select.RecordCalls.retriever")


class VirtualApp(dict):  # type: ignore[type-arg]
    """A description of an app that spyglass does not run, as a dict.

    Keys may be lenses: ``va[Select.RecordCalls.llm.maxtokens] = 1024`` gives
    ``{"llm": {"maxtokens": 1024}}`` (``__record__``/``__app__`` and a leading ``app``
    are dropped), so the description mirrors the paths of the calls you record.
    """

    def __setitem__(self, key: Any, value: Any) -> None:
        if isinstance(key, Lens):
            updated = _relative(key).set(dict(self), value)
            dict.clear(self)
            dict.update(self, updated)
        else:
            dict.__setitem__(self, key, value)

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, Lens):
            return _relative(key).get_sole_item(dict(self))
        return dict.__getitem__(self, key)

    @classmethod
    def select_context(cls, app: Any = None) -> Lens:
        """The lens to a virtual app's context: ``Select.RecordCalls.retriever.get_context.rets[:]``.

        A classmethod, as in TruLens (``VirtualApp.select_context()``); it answers the
        same on an instance (``virtual_app.select_context()``). ``app`` is accepted
        (``VirtualApp.select_context(virtual_app)``, the recorders' form) and ignored:
        every virtual app's context is at the same place.
        """
        return _CONTEXT_METHOD.rets[:]


def _root_frame() -> RecordAppCallMethod:
    method = Method(obj=Obj(cls=Class.of_class(VirtualApp), id=0), name="root")
    return RecordAppCallMethod(path=Lens(), method=method)


def _frame(lens: Lens | str) -> RecordAppCallMethod:
    relative = _relative(lens)
    path, name = Select.path_and_method(relative)
    method = Method(obj=Obj(cls=Class.of_class(VirtualApp), id=0), name=name)
    return RecordAppCallMethod(path=Lens().app + path, method=method)


class VirtualRecord(Record):
    """A record built from the calls you say happened.

    Usage::

        record = VirtualRecord(
            main_input="Where is Germany?",
            main_output="Germany is in Europe.",
            calls={
                Select.RecordCalls.retriever.get_context: {
                    "args": ["Where is Germany?"],
                    "rets": ["Germany is a country in Europe."],
                },
                Select.RecordCalls.llm.generate: [{"args": ["..."], "rets": "..."}],
            },
        )

    Each key names a method by its path (``Select.RecordCalls.<path>.<method>``, or the
    same without ``__record__``); each value is one call (a dict with any of ``args``,
    ``rets``, ``error``, ``perf``, ``pid``, ``tid``, ``call_id``) or a list of calls.
    Calls get a stack ``[root, (path, method)]``, where the root (path ``Lens()``,
    method ``root``, laid out at the top-level key ``root``) is added last with
    ``args=[main_input]`` and ``rets=[main_output]``. Missing times are 1 µs spans in
    order, inside the record's ``perf``, so the root ends last.

    Args:
        calls: path of a method -> call dict or list of call dicts.
        cost: the record's cost; default ``Cost()``.
        perf: the record's (root call's) start and end; default now.
        **fields: other ``Record`` fields; ``main_input``, ``main_output`` and
            ``app_id`` default to "No main_input provided." / "No main_output
            provided." / "No app_id provided." (``TruVirtual.add_record`` sets ``app_id``).
    """

    def __init__(
        self,
        calls: Mapping[Lens | str, Mapping[str, Any] | Iterable[Mapping[str, Any]]] | None = None,
        cost: Cost | None = None,
        perf: Perf | None = None,
        **fields: Any,
    ) -> None:
        fields.setdefault("main_input", "No main_input provided.")
        fields.setdefault("main_output", "No main_output provided.")
        fields.setdefault("app_id", "No app_id provided.")
        root_perf = perf if perf is not None else Perf.now()
        root = _root_frame()
        built: list[RecordAppCall] = []
        clock = root_perf.start_time
        for lens, given in (calls or {}).items():
            frame = _frame(lens)
            for call in [given] if isinstance(given, Mapping) else list(given):
                if not isinstance(call, Mapping):
                    raise TypeError(
                        f"a virtual call for {lens} must be a dict (args, rets, ...), got {call!r}"
                    )
                data = dict(call)
                data.setdefault("stack", [root, frame])
                data.setdefault("args", [])
                data.setdefault("rets", [])
                data.setdefault("pid", 0)
                data.setdefault("tid", 0)
                if "perf" not in data:
                    data["perf"] = Perf(start_time=clock, end_time=clock + _MICROSECOND)
                    clock += _MICROSECOND
                built.append(RecordAppCall(**data))
        ends = [c.perf.end_time for c in built if c.perf is not None]
        end = max([root_perf.end_time, *(e + _MICROSECOND for e in ends)])
        root_perf = Perf(start_time=root_perf.start_time, end_time=end)
        built.append(
            RecordAppCall(
                stack=[root],
                args=[fields["main_input"]],
                rets=[fields["main_output"]],
                perf=root_perf,
                pid=0,
                tid=0,
            )
        )
        super().__init__(
            calls=built, cost=cost if cost is not None else Cost(), perf=root_perf, **fields
        )


class TruVirtual(App):
    """A recorder for records made elsewhere: add them, and the feedbacks run on them.

    Usage::

        virtual_app = VirtualApp(llm={"model": "my-model"})
        recorder = TruVirtual(app=virtual_app, app_name="offline", feedbacks=[f_context])
        recorder.add_record(VirtualRecord(main_input=..., main_output=..., calls={...}))

    Nothing is instrumented. Selectors are not checked against the app (nothing runs
    to check them against), so ``selector_nocheck`` is always ``True``.

    Args:
        app: a :class:`VirtualApp` or a dict (made into one); default an empty one.
        **kwargs: recorder options (``app_name``, ``feedbacks``, ``feedback_mode``, ...).

    Raises:
        ValueError: ``selector_nocheck=False`` was asked for.
        TypeError: ``app`` is neither a dict nor a VirtualApp.
    """

    def __init__(self, app: VirtualApp | Mapping[str, Any] | None = None, **kwargs: Any) -> None:
        if kwargs.get("selector_nocheck", True) is not True:
            raise ValueError(
                "TruVirtual cannot check selectors (nothing is recorded to check them "
                "against); leave out selector_nocheck"
            )
        kwargs["selector_nocheck"] = True
        if app is None:
            app = VirtualApp()
        elif not isinstance(app, VirtualApp):
            if not isinstance(app, Mapping):
                raise TypeError(
                    f"TruVirtual describes an app with a dict or a VirtualApp, got {type(app).__name__}"
                )
            app = VirtualApp(app)
        super().__init__(app, **kwargs)

    def add_record(self, record: Record, feedback_mode: FeedbackMode | str | None = None) -> Record:
        """Take a record made elsewhere as this app's, and run the feedbacks on it.

        The record's ``app_id`` is set to this app's. Feedbacks run as for a recorded
        record: in ``WITH_APP`` mode this returns when they are done; otherwise use
        ``record.wait_for_feedback_results()``.

        Args:
            record: usually a :class:`VirtualRecord`.
            feedback_mode: overrides the recorder's ``feedback_mode`` for this record.

        Returns:
            The record.
        """
        if not isinstance(record, Record):
            raise TypeError(f"add_record takes a Record (e.g. a VirtualRecord), got {record!r}")
        record.app_id = self.app_id
        self._add_record(record, feedback_mode)
        return record

    def add_dataframe(
        self, df: Any, feedback_mode: FeedbackMode | str | None = None
    ) -> list[Record]:
        """Add one record per row of a table with columns ``query``, ``response`` and
        optionally ``contexts`` (a list of strings per row).

        ``contexts`` become the ``rets`` of ``retriever.get_context``, the method
        :meth:`VirtualApp.select_context` points at.

        Args:
            df: a pandas ``DataFrame`` (pandas is not imported by spyglass; anything
                with ``to_dict("records")``, or an iterable of dicts, works too).
            feedback_mode: as for :meth:`add_record`.

        Returns:
            The records, in row order.
        """
        rows = df.to_dict("records") if hasattr(df, "to_dict") else list(df)
        records = []
        for i, row in enumerate(rows):
            if not isinstance(row, Mapping) or "query" not in row or "response" not in row:
                raise ValueError(
                    f"row {i} needs the columns `query` and `response` (and optionally "
                    f"`contexts`); got {sorted(row) if isinstance(row, Mapping) else row!r}"
                )
            calls: dict[Lens | str, Any] = {}
            if row.get("contexts") is not None:
                calls[_CONTEXT_METHOD] = {"args": [row["query"]], "rets": list(row["contexts"])}
            record = VirtualRecord(
                calls=calls, main_input=row["query"], main_output=row["response"]
            )
            records.append(self.add_record(record, feedback_mode))
        return records
