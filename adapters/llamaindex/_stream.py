"""Keeping a call open while a LlamaIndex response streams (``spyglass_stream_wrapper``).

LlamaIndex returns *objects that carry a stream*; the call that returned one is not
over until the user has read it. For each such type :func:`stream_wrapper_for`
gives a ``wrap(ret, finish)`` that hands the same object back with its stream
tee'd: items pass through unchanged, and when the stream ends (exhausted, closed
early, failed, or garbage-collected unread) the call is finished with the
*completed, non-streaming* form of the response as its return value:

- ``StreamingResponse`` / ``AsyncStreamingResponse`` (``query(...)`` with
  ``streaming=True``): the ``response_gen`` attribute is replaced by a tee; the
  call's return value is a ``Response(streamed text, source_nodes, metadata)``.
  (TruLens lost the text when the user drained ``response_gen`` themselves.)
- ``StreamingAgentChatResponse`` (``stream_chat`` / ``astream_chat``): its
  ``response_gen`` is a property, so the object's class is switched to a subclass
  (same name, same fields) whose ``response_gen`` and ``async_response_gen()`` are
  tee'd; the return value is an ``AgentChatResponse``.
- ``WorkflowHandler`` (``Workflow.run`` / agents): returned unchanged; the call
  ends when the workflow's result is ready, with that result (what ``await
  handler`` gives) or its exception.

The user's object is never drained or completed by spyglass: ``str(response)`` and
``response.response_txt`` behave exactly as without recording.

The tee and its proxies are the core's (:class:`spyglass.core.StreamTee`, the same
proxies the core puts around generators): each step of a stream runs with the call
that returned it as the current call, so LLM calls LlamaIndex makes lazily while the
stream is read (``LLM.stream`` is only called on the first ``next``) are recorded
inside that call, for sync and async streams alike.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from spyglass.core import StreamTee
from spyglass.core.plugins import class_path, mro_match

from . import _classes as c

__all__ = ["stream_wrapper_for"]

logger = logging.getLogger(__name__)

Finish = Callable[..., None]


def _streamed_text(items: list[Any]) -> str:
    """The text of a stream's items: LlamaIndex streams ``str``; a custom one may stream
    responses, whose ``delta`` is the text."""
    parts = []
    for item in items:
        delta = item if isinstance(item, str) else getattr(item, "delta", None)
        parts.append(delta if isinstance(delta, str) else str(item))
    return "".join(parts)


# ----------------------------------------------------------------- query responses


def _wrap_streaming_response(resp: Any, finish: Finish) -> Any:
    """``StreamingResponse`` and ``AsyncStreamingResponse``: tee ``response_gen``."""
    from ._framework import Response

    source_nodes, metadata = resp.source_nodes, resp.metadata
    tee = StreamTee(finish, lambda items: Response(_streamed_text(items), source_nodes, metadata))
    if resp.response_gen is None:  # nothing to stream: the call is over
        tee.end()
    else:
        resp.response_gen = tee.proxy(resp.response_gen)
    return resp


# ------------------------------------------------------------------ chat responses

_teed_chat_class: type | None = None
_TEES = "_spyglass_tees"


def _through_tees(resp: Any, stream: Any) -> Any:
    """``stream`` through every tee of ``resp``, innermost call first."""
    for tee in resp.__dict__[_TEES]:
        stream = tee.proxy(stream)
    return stream


def _teed_chat_response_class() -> type:
    """A subclass of ``StreamingAgentChatResponse`` whose streams are tee'd (made once)."""
    global _teed_chat_class
    if _teed_chat_class is not None:
        return _teed_chat_class
    from ._framework import StreamingAgentChatResponse as Base

    def response_gen(self: Any) -> Any:
        return _through_tees(self, Base.response_gen.fget(self))  # type: ignore[attr-defined]

    def async_response_gen(self: Any) -> Any:
        return _through_tees(self, Base.async_response_gen(self))

    # Same name and qualname, so repr() and logs read exactly as without spyglass.
    _teed_chat_class = type(
        Base.__name__,
        (Base,),
        {
            "__module__": Base.__module__,
            "__qualname__": Base.__qualname__,
            "__doc__": Base.__doc__,
            "response_gen": property(response_gen),
            "async_response_gen": async_response_gen,
        },
    )
    return _teed_chat_class


def _wrap_chat_response(resp: Any, finish: Finish) -> Any:
    from ._framework import AgentChatResponse

    sources, source_nodes = resp.sources, resp.source_nodes
    tee = StreamTee(
        finish,
        lambda items: AgentChatResponse(
            response=_streamed_text(items), sources=sources, source_nodes=source_nodes
        ),
    )
    teed = _teed_chat_response_class()
    if type(resp) is teed.__mro__[1]:
        resp.__dict__[_TEES] = []
        resp.__class__ = teed
    elif type(resp) is not teed:
        tee.end()  # a subclass we do not know: record it as returned
        return resp
    # Nested calls (a chat engine delegating to another) each tee the same stream.
    resp.__dict__[_TEES].append(tee)
    tee.end_when_collected(resp)
    return resp


# ----------------------------------------------------------------------- workflows


def _wrap_workflow_handler(handler: Any, finish: Finish) -> Any:
    task = getattr(handler, "_result_task", None)
    if task is None or not hasattr(task, "add_done_callback"):
        finish(handler)  # an unknown handler: record it as returned
        return handler

    def done(task: Any) -> None:
        try:
            if task.cancelled():
                finish(None)
                return
            error = task.exception()
            if error is not None:
                finish(None, error)
                return
            stop = task.result()
            # What `await handler` gives: a plain StopEvent's result, else the event.
            plain = class_path(type(stop)) == c.STOP_EVENT
            finish(getattr(stop, "result", stop) if plain else stop)
        except Exception:
            logger.debug("spyglass could not read a workflow's result", exc_info=True)
            finish(None)

    task.add_done_callback(done)
    return handler


# ------------------------------------------------------------------------ the hook

_WRAPPERS: dict[str, Callable[[Any, Finish], Any]] = {
    c.STREAMING_RESPONSE: _wrap_streaming_response,
    c.ASYNC_STREAMING_RESPONSE: _wrap_streaming_response,
    c.STREAMING_AGENT_CHAT_RESPONSE: _wrap_chat_response,
    c.WORKFLOW_HANDLER: _wrap_workflow_handler,
}


def stream_wrapper_for(ret_type: type) -> Callable[[Any, Finish], Any] | None:
    """The ``wrap(ret, finish)`` for a LlamaIndex type that carries a stream, else ``None``."""
    path = mro_match(ret_type, _WRAPPERS)
    return None if path is None else _WRAPPERS[path]
