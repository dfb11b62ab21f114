"""What a test module tells the contract suite about its adapter: the overridable hooks.

`AdapterHooks` holds the class attributes and methods a subclass of
:class:`~spyglass.testing.AdapterContract` overrides, and runs the baseline: every
entry point called once on fresh apps before the test class builds any recorder.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, ClassVar, TypeVar

import pytest

from spyglass.core import App, jsonify, wrap_app

from ._outcome import Outcome, acall_outcome, astream_outcome, call_outcome, stream_outcome

__all__ = ["AdapterHooks", "Baseline", "Skip", "optional"]

T = TypeVar("T")


@dataclass(frozen=True)
class Skip:
    """An optional entry point the test class does not provide, and why."""

    reason: str


def optional(run: Callable[[], T]) -> T | Skip:
    """``run()``, or the `Skip` its hook asked for (a hook that is not overridden skips)."""
    try:
        return run()
    except pytest.skip.Exception as skip:
        return Skip(str(skip.msg))


@dataclass(frozen=True)
class Baseline:
    """What the app does without recording, per entry point (one outcome per input)."""

    sync: list[Outcome]
    failing: Outcome | Skip
    asynchronous: list[Outcome] | Skip
    failing_async: Outcome | Skip
    stream: list[Outcome] | Skip
    failing_stream: Outcome | Skip
    async_stream: list[Outcome] | Skip


class AdapterHooks:
    """The hooks of the contract suite; see :class:`~spyglass.testing.AdapterContract`.

    Attributes:
        example_inputs: inputs the app answers (at least one); the threaded tests
            cycle through them, so distinct inputs let records be told apart.
        recorder_class: the recorder to build (``TruChain``, ...); ``None`` builds
            whatever ``spyglass.core.wrap_app`` picks, and checks it picks something.
        recorder_kwargs: keyword arguments for the recorder (``app_name``, ...).
        instrumented_methods: ``(class, method)`` pairs the adapter must instrument for
            this app; the class may be a subclass of the one that defines the method.
        adapter_name: the adapter's ``AdapterInfo.name``; by default, the adapter that
            recorded the app's components.
        plugin: the plugin object to check; by default, the registered plugin of
            ``adapter_name``.
        concurrency: how many threads the threaded tests run at once.
        deterministic_calls: whether one input always makes the same calls, so that a
            threaded call's record must hold the same calls as the same call alone.
        root_path: where every record's root call must be (``"app"``: a method of the
            app object itself); ``None`` when ``call`` enters through a component.
    """

    example_inputs: ClassVar[Sequence[Any]] = ()
    recorder_class: ClassVar[type[App] | None] = None
    recorder_kwargs: ClassVar[Mapping[str, Any]] = {}
    instrumented_methods: ClassVar[Sequence[tuple[type, str]]] = ()
    adapter_name: ClassVar[str | None] = None
    plugin: ClassVar[object | None] = None
    concurrency: ClassVar[int] = 4
    deterministic_calls: ClassVar[bool] = True
    root_path: ClassVar[str | None] = "app"

    # ------------------------------------------------------------ required

    def make_app(self) -> Any:
        """Return a fresh example app (called once per run: apps are never shared)."""
        raise NotImplementedError(
            f"{type(self).__name__} must define make_app(), returning a fresh example app"
        )

    def call(self, app: Any, input: Any) -> Any:
        """Call the app's sync entry point with ``input``; return its result."""
        raise NotImplementedError(
            f"{type(self).__name__} must define call(app, input), calling the app's sync "
            "entry point (e.g. `return app.invoke(input)`)"
        )

    # ------------------------------------------------------------ optional entry points

    def _not_provided(self, hook: str, what: str) -> Any:
        pytest.skip(f"{type(self).__name__} does not define {hook}(): {what}")

    def acall(self, app: Any, input: Any) -> Awaitable[Any]:
        """Start the app's async entry point (``return app.ainvoke(input)``). Optional."""
        return self._not_provided("acall", "the app has no async entry point to check")  # type: ignore[no-any-return]

    def stream(self, app: Any, input: Any) -> Iterable[Any]:
        """Return the chunks the app streams for ``input`` (an iterator). Optional."""
        return self._not_provided("stream", "the app has no streaming entry point to check")  # type: ignore[no-any-return]

    def astream(self, app: Any, input: Any) -> AsyncIterable[Any]:
        """Return the chunks the app streams asynchronously for ``input``. Optional."""
        return self._not_provided("astream", "the app has no async stream to check")  # type: ignore[no-any-return]

    def make_stream_app(self) -> Any:
        """Return a fresh app for `stream` / `astream` (default: `make_app`)."""
        return self.make_app()

    def failing_input(self) -> Any:
        """Return an input that makes `call` (and `acall`) raise. Optional."""
        return self._not_provided("failing_input", "no input that makes the app raise")

    def failing_stream_input(self) -> Any:
        """Return an input whose stream raises after yielding at least one chunk. Optional."""
        return self._not_provided(
            "failing_stream_input", "no input whose stream fails after its first chunk"
        )

    # ------------------------------------------------------------ comparing

    def normalise(self, result: Any) -> Any:
        """Turn a result into a value comparable with ``==`` (default: unchanged)."""
        return result

    def normalise_chunk(self, chunk: Any) -> Any:
        """Turn a streamed chunk into a value comparable with ``==`` (default: unchanged)."""
        return chunk

    def expected_main_input(self, input: Any) -> Any:
        """The ``main_input`` a record of a call with ``input`` must have.

        Default: ``jsonify(input)``. Return ``None`` to check only that there is one.
        """
        return jsonify(input)

    def expected_main_output(self, input: Any, result: Any) -> Any:
        """The ``main_output`` a record of a call that returned ``result`` must have.

        Default: ``result`` when it is a string. Return ``None`` to check only that there
        is one.
        """
        return result if isinstance(result, str) else None

    def expected_stream_output(self, input: Any, chunks: Sequence[Any]) -> Any:
        """The ``main_output`` of a streamed call that yielded ``chunks``.

        Default: the chunks joined, when they are strings. ``None`` checks only that
        there is one.
        """
        if chunks and all(isinstance(c, str) for c in chunks):
            return "".join(chunks)
        return None

    # ------------------------------------------------------------ the recorder

    def make_recorder(self, app: Any) -> App:
        """Wrap ``app`` in its recorder: ``recorder_class`` if set, else ``wrap_app``."""
        kwargs = {"app_name": f"contract-{type(self).__name__}", **self.recorder_kwargs}
        if self.recorder_class is not None:
            return self.recorder_class(app, **kwargs)
        return wrap_app(app, **kwargs)

    # ------------------------------------------------------------ the baseline

    def inputs(self) -> list[Any]:
        """`example_inputs` as a list; fails the test when there are none."""
        inputs = list(self.example_inputs)
        if not inputs:
            pytest.fail(
                f"{type(self).__name__}.example_inputs is empty: give at least one input the "
                "app answers",
                pytrace=False,
            )
        return inputs

    def compute_baseline(self) -> Baseline:
        """Call every entry point on fresh apps, with no recorder involved."""
        inputs = self.inputs()

        def each(run: Callable[[Any], Outcome]) -> Callable[[], list[Outcome]]:
            return lambda: [run(x) for x in inputs]

        def sync(x: Any) -> Outcome:
            app = self.make_app()
            return call_outcome(partial(self.call, app, x))

        def asynchronous(x: Any) -> Outcome:
            app = self.make_app()
            return asyncio.run(acall_outcome(partial(self.acall, app, x)))

        def streamed(x: Any) -> Outcome:
            app = self.make_stream_app()
            return stream_outcome(partial(self.stream, app, x))

        def async_streamed(x: Any) -> Outcome:
            app = self.make_stream_app()
            return asyncio.run(astream_outcome(partial(self.astream, app, x)))

        # A missing entry point skips its failing variant too, for the same reason.
        plain_async = optional(each(asynchronous))
        plain_stream = optional(each(streamed))
        return Baseline(
            sync=each(sync)(),
            failing=optional(lambda: sync(self.failing_input())),
            asynchronous=plain_async,
            failing_async=plain_async
            if isinstance(plain_async, Skip)
            else optional(lambda: asynchronous(self.failing_input())),
            stream=plain_stream,
            failing_stream=plain_stream
            if isinstance(plain_stream, Skip)
            else optional(lambda: streamed(self.failing_stream_input())),
            async_stream=optional(each(async_streamed)),
        )
