"""Feedback functions: what to evaluate, on which parts of a record, and how.

A :class:`Feedback` is a :class:`~spyglass.core.FeedbackDefinition` that also holds
the Python implementation (and aggregator) it was built from::

    f_context_relevance = (
        Feedback(relevance, name="Context Relevance")
        .on(Select.RecordCalls.retrieve.args.query)
        .on(Select.RecordCalls.retrieve.rets[:])
        .aggregate(statistics.fmean)
    )

Every builder (``on*``, ``aggregate``) returns a *new* feedback whose
``feedback_definition_id`` is recomputed: selectors, aggregator and combinations
are part of the id, so two feedbacks that differ only in selectors are different
(TruLens kept the id of the bare implementation).

:meth:`Feedback.run` evaluates the implementation once per combination of the
selected values (``itertools.product`` by default, ``zip`` on request) and
aggregates the results (mean by default). It never raises: every outcome is a
:class:`~spyglass.core.FeedbackResult` with a status (``done``, ``failed``,
``skipped``) and, when it did not complete, an error saying why -- including which
step of a selector came up empty.

Differences from TruLens, on purpose:

- ``.on(foo=...)`` with a name that is not a parameter of the implementation raises
  :class:`~spyglass.core.SelectorError` at once, listing the parameters.
- The announcements ``✅ In <name>, input <param> will be set to ...`` go to the
  ``spyglass.core.feedback._feedback`` logger at INFO, not to stdout.
- A selector that selects nothing gives a ``failed`` result (``if_missing="error"``,
  the default) or a ``skipped`` one (``"warn"``, ``"ignore"``); it is never raised
  into the caller and never silently becomes ``NaN``.
- ``combinations="zip"`` requires equally long value lists instead of silently
  dropping the extra values.
- When every combination raised :class:`SkipEval`, the result is ``skipped``.
"""

from __future__ import annotations

import inspect
import json
import logging
import math
import pprint
import statistics
import traceback
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from pydantic import PrivateAttr

from ..errors import SelectorError
from ..lens import APP_KEY, RECORD_KEY, Lens, StepItemOrAttribute
from ..lens._select import Select
from ..schema._enums import (
    FeedbackCombinations,
    FeedbackOnMissingParameters,
    FeedbackResultStatus,
)
from ..schema._feedback import FeedbackCall, FeedbackDefinition, FeedbackResult
from ..serial._jsonify import jsonify
from ._cost import cost_tally
from ._eval import (
    Outcome,
    aggregate,
    app_json,
    as_lens,
    callable_schema,
    combine,
    failed,
    interpret,
    parameters,
    render,
    select_values,
    skipped,
    why_nothing_selected,
)

__all__ = ["CONTEXT_EACH", "CONTEXT_LIST", "Feedback", "SkipEval", "resolve_context"]

# Placeholders `Feedback.on_context` selects, replaced by the recorder's context lens
# (`resolve_context`) when the feedback is given to a recorder.
CONTEXT_EACH = Lens()["__context__"]
CONTEXT_LIST = Lens()["__context_list__"]

logger = logging.getLogger(__name__)

# Selectors shown with their Select alias in announcements, as TruLens does.
_ALIASES: tuple[tuple[str, Lens], ...] = (
    ("Select.RecordInput", Select.RecordInput),
    ("Select.RecordOutput", Select.RecordOutput),
    ("Select.RecordCalls", Select.RecordCalls),
)


class SkipEval(Exception):
    """Raise inside a feedback implementation to skip one combination of inputs.

    The combination is not evaluated and does not count in the aggregate. When
    every combination is skipped the result's status is ``skipped``.

    Args:
        reason: why this combination is skipped (shown in the log and the result).
    """

    def __init__(self, reason: str | None = None, **kwargs: Any) -> None:
        super().__init__(reason)
        self.reason = reason
        # TruLens accepted ``feedback=`` and ``ins=``; keep them for context.
        self.feedback = kwargs.get("feedback")
        self.ins = kwargs.get("ins")


class Feedback(FeedbackDefinition):
    """A feedback function: an implementation, its selectors, and an aggregator.

    Args:
        imp: the implementation, a callable that returns a number, a
            ``(number, dict)`` pair (the dict is kept as the call's ``meta``), or a
            dict of numbers (kept as ``multi_result``).
        agg: aggregates the values of all combinations (default:
            :func:`statistics.fmean`; ``numpy.mean`` works too).
        name: the name shown in results (default: the implementation's name).
        higher_is_better: whether higher values are better.
        if_exists: a lens; when it selects nothing the feedback is skipped.
        if_missing: what to do when a selector selects nothing: ``"error"`` (result
            ``failed``), ``"warn"`` (``skipped``, logged at WARNING), ``"ignore"``
            (``skipped``).
        combinations: ``"product"`` (every combination of the selected values) or
            ``"zip"`` (values taken together, lists of equal length).
        **kwargs: other :class:`~spyglass.core.FeedbackDefinition` fields
            (``selectors``, ``run_location``, ...).

    The feedback is hashable by its ``feedback_definition_id`` and serialises as a
    ``FeedbackDefinition``. Calling it calls the implementation.
    """

    _imp: Callable[..., Any] | None = PrivateAttr(default=None)
    _agg: Callable[..., Any] | None = PrivateAttr(default=None)
    _load_error: str | None = PrivateAttr(default=None)  # why a stored one could not load

    def __init__(
        self,
        imp: Callable[..., Any] | None = None,
        agg: Callable[..., Any] | None = None,
        name: str | None = None,
        higher_is_better: bool | None = None,
        if_exists: Lens | str | None = None,
        if_missing: FeedbackOnMissingParameters | str = FeedbackOnMissingParameters.ERROR,
        combinations: FeedbackCombinations | str = FeedbackCombinations.PRODUCT,
        **kwargs: Any,
    ) -> None:
        if imp is not None and not callable(imp):
            raise TypeError(f"Feedback implementation must be callable, got {imp!r}.")
        if agg is not None and not callable(agg):
            raise TypeError(f"Feedback aggregator must be callable, got {agg!r}.")
        selectors = kwargs.pop("selectors", None) or {}
        if "supplied_name" in kwargs and name is None:
            name = kwargs.pop("supplied_name")
        if imp is not None:
            kwargs.setdefault("implementation", callable_schema(imp))
        if agg is not None:
            kwargs.setdefault("aggregator", callable_schema(agg))
        super().__init__(
            supplied_name=name,
            higher_is_better=higher_is_better,
            if_exists=if_exists,
            if_missing=if_missing,
            combinations=combinations,
            selectors={},
            **kwargs,
        )
        self._imp = imp
        self._agg = agg
        if selectors:
            names, var_kw, _ = self._parameters()
            checked = {
                k: as_lens(v, k)
                for k, v in dict(selectors).items()
                if self._check_name(k, names, var_kw)
            }
            self.selectors = checked
        self._update_id()

    @classmethod
    def model_validate(cls, obj: Any, **kwargs: Any) -> Any:
        """Read a feedback back from stored JSON, loading its implementation and aggregator.

        ``FeedbackDefinition.load(data, allowed_modules=[...])`` ends here: the callables are
        loaded from their recorded modules when those are under ``spyglass`` or listed in
        ``allowed_modules`` (in ``context``); otherwise the feedback is returned without
        them, and running it fails with a result that names the module to allow.
        """
        feedback = super().model_validate(obj, **kwargs)
        if isinstance(feedback, Feedback) and feedback._imp is None and feedback.implementation:
            context = kwargs.get("context")
            allowed = context.get("allowed_modules", ()) if isinstance(context, dict) else ()
            feedback._load_callables(allowed)
        return feedback

    def _load_callables(self, allowed_modules: Iterable[str]) -> None:
        try:
            imp = (
                self.implementation.load(allowed_modules=allowed_modules)
                if self.implementation
                else None
            )
            agg = self.aggregator.load(allowed_modules=allowed_modules) if self.aggregator else None
        except Exception as exc:  # noqa: BLE001 - reported by run() and __call__, not raised here
            # Both or neither: a feedback whose stored aggregator cannot load must not fall
            # back to the mean silently (TruLens's DEFERRED runs did).
            self._load_error = f"{type(exc).__name__}: {exc}"
            return
        self._imp, self._agg = imp, agg

    def _missing_implementation(self) -> str:
        reason = f" Loading it failed: {self._load_error}" if self._load_error else ""
        return (
            f"Feedback `{self.name}` has no implementation loaded (it was read from stored "
            f"JSON); load it with FeedbackDefinition.load(data, allowed_modules=[...]) naming "
            f"its module, or build it with Feedback(imp, ...).{reason}"
        )

    # ------------------------------------------------------------------ identity

    def _copy(self, **update: Any) -> Feedback:
        # FeedbackDefinition.model_copy recomputes the id when a defining field changes;
        # private attributes (the implementation and aggregator) are copied along.
        new: Feedback = self.model_copy(update=update)
        return new

    # --------------------------------------------------------------- properties

    @property
    def imp(self) -> Callable[..., Any] | None:
        """The implementation (``None`` for a definition loaded without it)."""
        return self._imp

    @property
    def agg(self) -> Callable[..., Any]:
        """The aggregator (:func:`statistics.fmean` unless one was given)."""
        return self._agg if self._agg is not None else statistics.fmean

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Call the implementation directly."""
        if self._imp is None:
            raise TypeError(self._missing_implementation())
        return self._imp(*args, **kwargs)

    # ----------------------------------------------------------------- builders

    def _parameters(self) -> tuple[list[str], bool, set[str]]:
        """The implementation's selectable parameters, whether it takes ``**kwargs``, and
        the required ones (see ``parameters``); without an implementation anything goes."""
        return parameters(self._imp) if self._imp is not None else ([], True, set())

    def _check_name(self, param: str, names: list[str], var_kw: bool) -> bool:
        if param in names or var_kw or self._imp is None:
            return True
        raise SelectorError(
            f"Feedback `{self.name}`: `{param}` is not a parameter of its implementation "
            f"{self._imp_label()}; its parameters are "
            + (", ".join(f"`{n}`" for n in names) or "(none)")
            + "."
        )

    def _imp_label(self) -> str:
        imp = self._imp
        try:
            sig = str(inspect.signature(imp)) if imp is not None else "()"
        except (TypeError, ValueError):
            sig = "(...)"
        return f"`{getattr(imp, '__qualname__', getattr(imp, '__name__', repr(imp)))}{sig}`"

    def _announce(self, param: str, lens: Lens) -> None:
        if not logger.isEnabledFor(logging.INFO):
            return
        alias = next((f" or `{n}`" for n, a in _ALIASES if a == lens), "")
        logger.info("✅ In %s, input %s will be set to %s%s .", self.name, param, lens, alias)

    def on(self, *args: Lens | str, **kwargs: Lens | str) -> Feedback:
        """Select the values of the implementation's arguments.

        Positional lenses fill the parameters not selected yet, in signature order;
        keyword lenses name the parameter.

        Raises:
            SelectorError: a keyword names no parameter of the implementation, or a
                value is not a lens.
            TypeError: more positional lenses than parameters left.
        """
        names, var_kw, _ = self._parameters()
        selectors = dict(self.selectors)
        for param, value in kwargs.items():
            self._check_name(param, names, var_kw)
            selectors[param] = as_lens(value, param)
            self._announce(param, selectors[param])
        for value in args:
            free = [n for n in names if n not in selectors]
            if not free:
                raise TypeError(
                    f"Feedback implementation {self._imp_label()} has no more inputs. "
                    "Perhaps you meant to evaluate it on App output only instead of app "
                    "input and output?"
                )
            selectors[free[0]] = as_lens(value, free[0])
            self._announce(free[0], selectors[free[0]])
        return self._copy(selectors=selectors)

    def on_input(self, arg: str | None = None) -> Feedback:
        """Select the record's main input (``Select.RecordInput``) for ``arg`` or the
        next parameter."""
        return self.on(**{arg: Select.RecordInput}) if arg else self.on(Select.RecordInput)

    def on_prompt(self, arg: str | None = None) -> Feedback:
        """Alias of :meth:`on_input`."""
        return self.on_input(arg)

    def on_output(self, arg: str | None = None) -> Feedback:
        """Select the record's main output (``Select.RecordOutput``) for ``arg`` or the
        next parameter."""
        return self.on(**{arg: Select.RecordOutput}) if arg else self.on(Select.RecordOutput)

    def on_response(self, arg: str | None = None) -> Feedback:
        """Alias of :meth:`on_output`."""
        return self.on_output(arg)

    def on_context(self, arg: str | None = None, *, collect_list: bool) -> Feedback:
        """Select the app's retrieved context (TruLens's OTEL-mode name) for ``arg`` or
        the next parameter.

        The recorder the feedback is given to resolves it with its
        ``select_context()`` (the retrieval calls its adapter knows of; for a custom
        app, the methods marked ``@instrument(retriever=True)`` or with
        ``span_type=SpanType.RETRIEVAL``).

        Args:
            arg: the parameter to fill (default: the next one not selected yet).
            collect_list: ``True``: the list of contexts is passed once; ``False``: the
                feedback runs once per context and the results are aggregated.
        """
        lens = CONTEXT_LIST if collect_list else CONTEXT_EACH
        return self.on(**{arg: lens}) if arg else self.on(lens)

    def on_input_output(self) -> Feedback:
        """Select the main input then the main output for the next two parameters."""
        return self.on_input().on_output()

    def on_default(self) -> Feedback:
        """Fill the remaining parameters with defaults: one parameter gets the main
        output; two get the main input and the main output.

        Raises:
            SelectorError: any other number of parameters is left.
        """
        names, _, _ = self._parameters()
        free = [n for n in names if n not in self.selectors]
        if len(free) == 1:
            return self.on(**{free[0]: Select.RecordOutput})
        if len(free) == 2:
            return self.on(**{free[0]: Select.RecordInput, free[1]: Select.RecordOutput})
        raise SelectorError(
            f"Cannot determine default selectors for feedback `{self.name}`: "
            f"{len(free)} parameters are not selected yet ("
            + (", ".join(f"`{n}`" for n in free) or "none")
            + "); on_default() handles one (main output) or two (main input, main output). "
            "Use .on(param=Select...) instead."
        )

    def aggregate(
        self,
        func: Callable[..., Any] | None = None,
        combinations: FeedbackCombinations | str | None = None,
    ) -> Feedback:
        """Set the aggregator and/or how argument values combine.

        Raises:
            ValueError: neither is given.
        """
        if func is None and combinations is None:
            raise ValueError(
                "aggregate() needs an aggregation function (e.g. statistics.fmean) "
                "and/or combinations (FeedbackCombinations.PRODUCT or ZIP)."
            )
        update: dict[str, Any] = {}
        if func is not None:
            if not callable(func):
                raise TypeError(f"Feedback aggregator must be callable, got {func!r}.")
            update["aggregator"] = callable_schema(func)
        if combinations is not None:
            update["combinations"] = FeedbackCombinations(combinations)
        new = self._copy(**update)
        if func is not None:
            new._agg = func
        return new

    # ---------------------------------------------------------------- evaluation

    def _lenses(self) -> Iterable[Lens]:
        yield from self.selectors.values()
        if self.if_exists is not None:
            yield self.if_exists

    def needs_app(self) -> bool:
        """Whether a selector reads the app's JSON (``__app__``) or the whole source."""
        for lens in self._lenses():
            path = tuple(lens.path)
            if not path:
                return True
            first = path[0]
            if (
                not isinstance(first, StepItemOrAttribute)
                or first.get_item_or_attribute() == APP_KEY
            ):
                return True
        return False

    def run(
        self,
        app: Any = None,
        record: Any = None,
        source_data: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> FeedbackResult:
        """Evaluate this feedback on a record.

        Args:
            app: the recorder, an ``AppDefinition`` or the app's JSON; selectors
                starting with ``__app__`` (``Select.App``) read its JSON.
            record: the record; selectors starting with ``__record__``
                (``Select.Record``) read its layout (``layout_calls_as_app()``).
            source_data: more top-level keys to select from.
            **kwargs: argument values that override selectors or fill parameters
                without one.

        Returns:
            A result with status ``done``, ``failed`` (with the error and traceback)
            or ``skipped`` (with the reason). Never raises for a failing feedback.

        Raises:
            TypeError: a keyword names no parameter of the implementation.
        """
        names, var_kw, _ = self._parameters()
        for k in kwargs:
            if k not in names and not var_kw:
                raise TypeError(
                    f"Feedback `{self.name}`.run() got `{k}`, which is not a parameter of "
                    f"{self._imp_label()}."
                )
        record_id = getattr(record, "record_id", None) or "no record"
        calls: list[FeedbackCall] = []
        # Implementations report what their calls cost (report_cost); the sum is the
        # result's cost, whatever the outcome.
        with cost_tally() as tally:
            try:
                if self._imp is None:
                    outcome = failed(self._missing_implementation())
                else:
                    outcome = self._evaluate(self._source(app, record, source_data), kwargs, calls)
            except Exception as exc:  # our own failure: say so, never raise into the app
                logger.exception("spyglass failed while evaluating feedback %s", self.name)
                outcome = failed(
                    "".join(traceback.format_exception(exc))
                    + "\nspyglass failed while evaluating this feedback; please report it."
                )
        return FeedbackResult(
            feedback_definition_id=self.feedback_definition_id,
            record_id=record_id,
            name=self.name,
            status=outcome.status,
            cost=tally.total,
            calls=calls,
            result=outcome.result,
            error=outcome.error,
            multi_result=outcome.multi_result,
            last_ts=datetime.now(),
        )

    def _source(
        self, app: Any, record: Any, source_data: Mapping[str, Any] | None
    ) -> dict[str, Any]:
        source: dict[str, Any] = dict(source_data or {})
        if record is not None:
            source[RECORD_KEY] = record.layout_calls_as_app()
        if app is not None and APP_KEY not in source and self.needs_app():
            source[APP_KEY] = app_json(app)
        return source

    def _evaluate(
        self, source: dict[str, Any], kwargs: dict[str, Any], calls: list[FeedbackCall]
    ) -> Outcome:
        """Call the implementation on every combination, then aggregate; the outcome."""
        if self.if_exists is not None and not self.if_exists.exists(source):
            return skipped(
                f"Feedback `{self.name}` skipped: its if_exists selector "
                f"`{render(self.if_exists)}` selected nothing: "
                f"{why_nothing_selected(self.if_exists, source)}"
            )
        imp = self._imp
        assert imp is not None
        values = select_values(self, source, kwargs)
        if isinstance(values, Outcome):
            return values
        combos = combine(self, values)
        if isinstance(combos, Outcome):
            return combos
        numbers_: list[float] = []
        dicts: list[dict[str, float]] = []
        skips: list[str] = []
        total = 0
        for ins in combos:
            total += 1
            try:
                ret = imp(**ins)
            except SkipEval as skip:  # the user's way to skip one combination
                skips.append(skip.reason or "no reason given")
                continue
            except Exception as exc:  # noqa: BLE001 - the implementation's failure is a result
                return failed(
                    "".join(traceback.format_exception(exc))
                    + f"\nEvaluation of {self.name} failed on inputs:\n{pprint.pformat(ins)}"
                )
            checked = interpret(ret)
            if isinstance(checked, Outcome):
                return failed(f"{checked.error}\nInputs:\n{pprint.pformat(ins)}")
            value, meta = checked
            if isinstance(value, dict):
                dicts.append(value)
                meta = {**meta, "multi_result": value}
                call_ret = statistics.fmean(value.values())
            else:
                numbers_.append(value)
                call_ret = value
            calls.append(FeedbackCall(args=jsonify(ins), ret=call_ret, meta=jsonify(meta)))
        if skips:
            logger.warning(
                "%d/%d evaluation(s) of feedback %s were skipped: %s",
                len(skips),
                total,
                self.name,
                "; ".join(skips),
            )
        if not calls:
            return skipped(
                f"Feedback `{self.name}`: all {total} evaluation(s) were skipped: "
                + "; ".join(skips)
            )
        if numbers_ and dicts:
            return failed(
                f"Feedback `{self.name}` returned numbers for some inputs and dicts for "
                "others; return one kind."
            )
        return self._aggregate(numbers_, dicts)

    def _aggregate(self, numbers_: list[float], dicts: list[dict[str, float]]) -> Outcome:
        agg = self.agg
        try:
            if numbers_:
                result = aggregate(agg, numbers_)
                if isinstance(result, Outcome):
                    return result
                return Outcome(FeedbackResultStatus.DONE, result=result)
            multi: dict[str, float] = {}
            for key in dict.fromkeys(k for d in dicts for k in d):
                value = aggregate(agg, [d[key] for d in dicts if key in d])
                if isinstance(value, Outcome):
                    return value
                multi[key] = value
        except Exception as exc:  # noqa: BLE001 - the aggregator's failure is a result
            return failed(
                "".join(traceback.format_exception(exc))
                + f"\nAggregation of {self.name} failed on values: {numbers_ or dicts}"
            )
        # TruLens's form: the per-key aggregates in multi_result, no single result.
        return Outcome(FeedbackResultStatus.DONE, result=math.nan, multi_result=json.dumps(multi))


def resolve_context(feedback: Any, app: Any) -> Any:
    """``feedback`` with the placeholders of `Feedback.on_context` replaced by the lens of
    ``app.select_context()`` (collected into one list for ``collect_list=True``).

    Raises:
        SelectorError: the feedback selects the context but the recorder cannot say
            where its app's context is (the message says how to select it).
    """
    selectors = getattr(feedback, "selectors", None)
    if not isinstance(feedback, Feedback) or not selectors:
        return feedback
    marked = {p: lens for p, lens in selectors.items() if lens in (CONTEXT_EACH, CONTEXT_LIST)}
    if not marked:
        return feedback
    context: Lens = app.select_context()
    resolved = dict(selectors)
    for param, lens in marked.items():
        resolved[param] = context.collect() if lens == CONTEXT_LIST else context
    return feedback._copy(selectors=resolved)
