"""Every hook an adapter can answer, in one place.

An adapter is a pluggy plugin for the project ``"spyglass"``: a module (or object)
whose functions are decorated with :data:`hookimpl` and named like the specs
below. It is found through the ``spyglass`` entry-point group::

    [project.entry-points.spyglass]
    myframework = "my_package.spyglass_plugin"

Hooks are always called with keyword arguments, so argument names are public API.
An implementation may accept only the arguments it needs. Hooks marked
"Stops at the first non-None result" are ``firstresult`` hooks; for the others
every active adapter's answer is collected. Framework classes are named by path
strings and resolved lazily: an adapter must not import its framework at module
import time (do it inside the hook, guarded, or check ``sys.modules``).

A hook that raises is logged once, naming the plugin and the hook, and treated as
if it had answered ``None``: an adapter's bug never breaks the user's app.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import inspect

    from ..lens._lens import Lens
    from ..schema._measures import Cost
    from ._specs import AdapterInfo, InstrumentSpec

__all__ = ["PROJECT", "hookimpl", "hookspec"]

PROJECT = "spyglass"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


# --------------------------------------------------------------------------- identity


@hookspec
def spyglass_adapter_info() -> AdapterInfo:
    """Say who this adapter is and which framework versions it supports.

    Every plugin must implement it. The registry reads it before anything else: an
    adapter whose ``requires`` are not installed is unregistered quietly, one whose
    installed versions fall outside the declared range is unregistered with one
    warning naming it.

    Returns:
        The adapter's :class:`~spyglass.core.plugins._specs.AdapterInfo`.
    """


# ------------------------------------------------------------------ instrumentation


@hookspec
def spyglass_instrument_specs() -> Sequence[InstrumentSpec]:
    """Declare which classes and methods to instrument, as data.

    Called once per recorder construction; answers from all adapters are joined.
    Class paths are resolved only if their module is already imported.

    Returns:
        The adapter's :class:`~spyglass.core.plugins._specs.InstrumentSpec` entries.
    """


@hookspec(firstresult=True)
def spyglass_component_children(obj: Any) -> Iterable[tuple[Lens, Any]] | None:
    """List the children of a framework object for the walk that finds components.

    The walk starts at the wrapped app (path ``app``) and visits each child at
    ``parent_path + relative_lens``. Return ``[]`` to stop the walk at ``obj``
    (documents, vector-store contents, clients). Adapters that only add to the
    default (pydantic fields, pydantic private attributes, plain attributes) call
    :func:`spyglass.core.default_children` and extend its answer.

    Args:
        obj: an object met by the walk.

    Returns:
        ``(relative_lens, child)`` pairs, e.g. ``(Lens().steps__.context, runnable)``
        or ``(Lens().middle[1], prompt)``; ``None`` when ``obj`` is not this
        adapter's. Stops at the first non-None result.
    """


@hookspec(firstresult=True)
def spyglass_stream_wrapper(
    ret_type: type,
) -> Callable[[Any, Callable[..., None]], Any] | None:
    """Say how to keep a call open while a result of this type streams.

    Generators, async generators and awaitables are handled by the core. This hook
    is for *objects that carry a stream* (LlamaIndex ``StreamingResponse``). The
    core asks once per return type and caches the answer.

    ``wrap`` runs with the call that returned ``ret`` as the current call. The usual
    ``wrap`` makes a :class:`spyglass.core.StreamTee` from ``finish`` and puts
    ``tee.proxy(stream)`` in place of the object's stream: the core's own stream proxy,
    which runs each step with that call current and finishes it, once, when the stream
    ends (exhausted, failed, closed early or collected unread).

    Args:
        ret_type: the type of a value an instrumented method returned.

    Returns:
        ``wrap(ret, finish) -> ret2`` or ``None``. ``wrap`` returns the object to hand
        to the app (usually ``ret`` with its stream attribute wrapped) and must call
        ``finish(value, error=None, note=None)`` exactly once, when the stream is
        exhausted, closed or fails; ``value`` is what the call records as its return
        value, ``note`` why it ended early. Stops at the first non-None result.
    """


# ------------------------------------------------------------------ main input/output


@hookspec(firstresult=True)
def spyglass_main_input(
    app: Any, func: Callable[..., Any], bindings: inspect.BoundArguments
) -> Any | None:
    """Give the main input of a root call of ``app``.

    Args:
        app: the wrapped app object.
        func: the root method that was called (unbound function).
        bindings: its arguments bound to its signature (``self`` included).

    Returns:
        The main input (it will be serialised), or ``None`` to fall back to the
        default rules. Stops at the first non-None result. Must not raise.
    """


@hookspec(firstresult=True)
def spyglass_main_output(
    app: Any,
    func: Callable[..., Any],
    bindings: inspect.BoundArguments,
    ret: Any,
    streamed: bool,
) -> Any | None:
    """Give the main output of a root call of ``app``.

    Args:
        app: the wrapped app object.
        func: the root method that was called.
        bindings: its bound arguments.
        ret: what it returned; for a streamed root, the list of every item it yielded.
        streamed: whether ``ret`` is the list of a stream's items.

    Returns:
        The main output, or ``None`` to fall back to the default rules.
        Stops at the first non-None result. Must not raise.
    """


# --------------------------------------------------------------------- serialisation


@hookspec
def spyglass_json_encoders() -> Mapping[str, Callable[[Any], Any]]:
    """Give encoders for framework types, keyed by class path.

    An encoder turns an instance into plain data (dicts, lists, strings, numbers);
    the serialiser then continues into that data with its usual bounds. The most
    specific class in an object's MRO wins. Answers from all adapters are merged.

    Returns:
        ``{"langchain_core.documents.base:Document": encode_document, ...}``.
    """


# ---------------------------------------------------------------------------- cost


@hookspec(firstresult=True)
def spyglass_call_cost(obj: Any, method_name: str, ret: Any) -> Cost | None:
    """Give the cost and token usage that one recorded call reports.

    Called when a record is assembled (after the root call returns), once per call
    of a method whose :class:`~spyglass.core.plugins._specs.InstrumentSpec` says
    ``reports_cost=True`` (declare it on the specs of the methods that make a
    request); other calls are never offered. Answer only for the calls that really
    make a request (e.g. a chat model's ``_generate``), so that nested entry points
    are not counted twice.

    Args:
        obj: the instance whose method was called.
        method_name: the method's name.
        ret: what it returned (for a streamed call, the list of items it yielded).

    Returns:
        A :class:`~spyglass.core.Cost`, or ``None`` when this call reports no usage
        (unknown is not zero). Stops at the first non-None result.
    """


# ------------------------------------------------------------------------ recorders


@hookspec(firstresult=True)
def spyglass_select_context(app: Any) -> Lens | None:
    """Give the lens to the retrieved context of ``app``.

    Args:
        app: the wrapped app object.

    Returns:
        A lens into the record (``Select.RecordCalls...``), or ``None`` when ``app``
        is not this adapter's. Raise :class:`~spyglass.core.SelectorError` when the
        answer is ambiguous, listing the candidates. Stops at the first non-None result.
    """


@hookspec(firstresult=True)
def spyglass_recorder_class(app: Any) -> type | None:
    """Give the recorder class that fits ``app`` (e.g. ``TruChain`` for a Runnable).

    Args:
        app: an object the user wants recorded.

    Returns:
        A subclass of :class:`spyglass.core.App`, or ``None``.
        Stops at the first non-None result.
    """
