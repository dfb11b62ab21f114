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

Each step of a stream runs in the context captured when the call returned (the
core hands the stream over with that call current), so LLM calls LlamaIndex makes
lazily while the stream is read (``LLM.stream`` is only called on the first
``next``) are recorded inside the call that returned the stream. For async streams
each step runs as a task in that context (Python 3.11+; on 3.10 such lazy calls are
recorded under the reader's context).
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import sys
import threading
import weakref
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from spyglass.core.plugins import mro_match

__all__ = ["stream_wrapper_for"]

logger = logging.getLogger(__name__)

Finish = Callable[..., None]


class _Tee:
    """What one tee'd stream has seen, and the once-only ``finish`` of its call.

    Holds no reference to the response object, so a finalizer can use it.
    """

    __slots__ = ("__weakref__", "done", "finish", "lock", "make_value", "parts")

    def __init__(self, finish: Finish, make_value: Callable[[str], Any]) -> None:
        self.finish = finish
        self.parts: list[str] = []
        self.make_value = make_value
        self.done = False
        self.lock = threading.Lock()

    def add(self, item: Any) -> None:
        if isinstance(item, str):
            self.parts.append(item)
        else:  # LlamaIndex streams are str, but a custom one may yield responses
            delta = getattr(item, "delta", None)
            self.parts.append(delta if isinstance(delta, str) else str(item))

    def end(self, error: BaseException | None = None) -> None:
        with self.lock:
            if self.done:
                return
            self.done = True
        try:
            value = self.make_value("".join(self.parts))
        except Exception:  # never break the app over a record
            logger.debug("spyglass could not build the streamed response", exc_info=True)
            value = "".join(self.parts)
        self.finish(value, error)


def _tee_sync(gen: Iterator[Any], tee: _Tee, ctx: contextvars.Context) -> Iterator[Any]:
    """Yield ``gen``'s items, each step run in ``ctx``; end ``tee`` when the stream ends."""
    while True:
        try:
            item = ctx.run(next, gen)
        except StopIteration:
            tee.end()
            return
        except BaseException as exc:
            tee.end(exc)
            raise
        tee.add(item)
        try:
            yield item
        except GeneratorExit:  # closed early by the consumer
            try:
                close = getattr(gen, "close", None)
                if close is not None:
                    ctx.run(close)
            finally:
                tee.end()
            raise


async def _anext(agen: Any) -> Any:
    return await agen.__anext__()


async def _step_in(ctx: contextvars.Context, agen: Any) -> Any:
    """``await agen.__anext__()`` with ``ctx`` as the context (Python 3.11+; else as is)."""
    if sys.version_info < (3, 11):
        return await agen.__anext__()
    return await asyncio.get_running_loop().create_task(_anext(agen), context=ctx)


async def _tee_async(agen: Any, tee: _Tee, ctx: contextvars.Context) -> AsyncIterator[Any]:
    """Yield ``agen``'s items, each step run in ``ctx``; end ``tee`` when the stream ends."""
    while True:
        try:
            item = await _step_in(ctx, agen)
        except StopAsyncIteration:
            tee.end()
            return
        except BaseException as exc:
            tee.end(exc)
            raise
        tee.add(item)
        try:
            yield item
        except GeneratorExit:  # closed early by the consumer
            try:
                aclose = getattr(agen, "aclose", None)
                if aclose is not None:
                    await aclose()
            finally:
                tee.end()
            raise


def _end_if_unread(tee: _Tee) -> None:
    if not tee.done:
        tee.end()


def _guard(obj: Any, tee: _Tee) -> None:
    """End the call when ``obj`` (a tee or the response) is collected unfinished."""
    try:
        finalizer = weakref.finalize(obj, _end_if_unread, tee)
        finalizer.atexit = False
    except TypeError:
        pass


# ----------------------------------------------------------------- query responses


def _wrap_streaming_response(resp: Any, finish: Finish) -> Any:
    from ._framework import Response

    source_nodes, metadata = resp.source_nodes, resp.metadata
    tee = _Tee(finish, lambda text: Response(text, source_nodes, metadata))
    gen = resp.response_gen
    if gen is None:  # nothing to stream: the call is over
        tee.end()
        return resp
    proxy = _tee_sync(gen, tee, contextvars.copy_context())
    resp.response_gen = proxy
    _guard(proxy, tee)
    return resp


def _wrap_async_streaming_response(resp: Any, finish: Finish) -> Any:
    from ._framework import Response

    source_nodes, metadata = resp.source_nodes, resp.metadata
    tee = _Tee(finish, lambda text: Response(text, source_nodes, metadata))
    agen = resp.response_gen
    if agen is None:
        tee.end()
        return resp
    proxy = _tee_async(agen, tee, contextvars.copy_context())
    resp.response_gen = proxy
    _guard(proxy, tee)
    return resp


# ------------------------------------------------------------------ chat responses

_teed_chat_class: type | None = None
_TEES = "_spyglass_tees"


def _teed_chat_response_class() -> type:
    """A subclass of ``StreamingAgentChatResponse`` whose streams are tee'd (made once)."""
    global _teed_chat_class
    if _teed_chat_class is not None:
        return _teed_chat_class
    from ._framework import StreamingAgentChatResponse as Base

    def response_gen(self: Any) -> Iterator[str]:
        gen: Iterator[str] = Base.response_gen.fget(self)  # type: ignore[attr-defined]
        for tee, ctx in self.__dict__[_TEES]:  # innermost call first
            gen = _tee_sync(gen, tee, ctx)
        return gen

    def async_response_gen(self: Any) -> AsyncIterator[str]:
        agen: AsyncIterator[str] = Base.async_response_gen(self)
        for tee, ctx in self.__dict__[_TEES]:
            agen = _tee_async(agen, tee, ctx)
        return agen

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
    tee = _Tee(
        finish,
        lambda text: AgentChatResponse(response=text, sources=sources, source_nodes=source_nodes),
    )
    teed = _teed_chat_response_class()
    if type(resp) is teed.__mro__[1]:
        resp.__dict__[_TEES] = []
        resp.__class__ = teed
    elif type(resp) is not teed:
        tee.end()  # a subclass we do not know: record it as returned
        return resp
    # Nested calls (a chat engine delegating to another) each tee the same stream.
    resp.__dict__[_TEES].append((tee, contextvars.copy_context()))
    _guard(resp, tee)
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
            result = getattr(stop, "result", stop) if type(stop).__name__ == "StopEvent" else stop
            finish(result)
        except Exception:
            logger.debug("spyglass could not read a workflow's result", exc_info=True)
            finish(None)

    task.add_done_callback(done)
    return handler


# ------------------------------------------------------------------------ the hook

_WRAPPERS: dict[str, Callable[[Any, Finish], Any]] = {
    "llama_index.core.base.response.schema:StreamingResponse": _wrap_streaming_response,
    "llama_index.core.base.response.schema:AsyncStreamingResponse": (
        _wrap_async_streaming_response
    ),
    "llama_index.core.chat_engine.types:StreamingAgentChatResponse": _wrap_chat_response,
    "workflows.handler:WorkflowHandler": _wrap_workflow_handler,
}


def stream_wrapper_for(ret_type: type) -> Callable[[Any, Finish], Any] | None:
    """The ``wrap(ret, finish)`` for a LlamaIndex type that carries a stream, else ``None``."""
    path = mro_match(ret_type, _WRAPPERS)
    return None if path is None else _WRAPPERS[path]
