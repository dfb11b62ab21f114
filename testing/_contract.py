"""`AdapterContract`: the tests every spyglass adapter must pass, inherited by a test class."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

import pytest

from spyglass.core import App, ContextThreadPoolExecutor, uninstrument, wrap_app

from ._checking import BASELINES, ContractChecks
from ._instrumentation import (
    component_objects,
    defining_class,
    function_label,
    printed_instrumentation,
    qualified_name,
    restore_problems,
    snapshot,
    wrapped_pairs,
)
from ._logs import watch_spyglass_logs
from ._outcome import (
    Outcome,
    acall_outcome,
    astream_outcome,
    call_outcome,
    error_text,
    short,
    stream_outcome,
)
from ._plugin_check import find_plugin, plugin_problems

if TYPE_CHECKING:
    from spyglass.core import Record, Recording

__all__ = ["AdapterContract"]


class AdapterContract(ContractChecks):
    """The adapter contract: subclass it as ``class TestMyAdapter(AdapterContract)``.

    The subclass says how to make and call its example app (``make_app``, ``call``,
    ``example_inputs``; optionally ``acall``, ``stream``, ``astream``,
    ``failing_input``, ``failing_stream_input``; the hooks and class attributes are
    documented below, where they are defined) and inherits one test per rule:

    - every sync, async, streamed and threaded call gives exactly one whole record
      (main input, main output or main error, calls rooted at the app, times in order);
    - the app returns, raises and streams exactly as without recording;
    - ``print_instrumented()`` lists the methods the test claims;
    - ``uninstrument()`` restores every wrapped method identically;
    - the plugin passes :func:`~spyglass.testing.check_plugin`, and ``wrap_app`` picks
      the recorder.

    An optional entry point the subclass does not define makes its tests skip, saying
    so. Anything spyglass logs at WARNING while the app runs (a hook that raised) is a
    failure. Before its first test, the class calls each entry point once on fresh
    apps, with no recorder built by the class yet: that is what "without recording"
    means. ``test_uninstrument_restores_every_original`` calls
    ``spyglass.core.uninstrument()``, which un-instruments every recorder of the
    process; recorders built before record again only for classes a later recorder
    wraps again.
    """

    @pytest.fixture(scope="class", autouse=True)
    @classmethod
    def _contract_baseline(cls) -> None:
        """Run every entry point without recording, before the class builds a recorder."""
        if cls not in BASELINES:
            BASELINES[cls] = cls().compute_baseline()

    # ------------------------------------------------------------ sync and async

    def test_sync_calls_give_one_whole_record_each(self) -> None:
        """Each sync call in a block gives one whole record; results are unchanged."""
        inputs = self.inputs()
        plain = self._baseline().sync
        problems = self._baseline_problems("call", inputs, plain)
        app = self.make_app()
        recorder = self.make_recorder(app)
        with watch_spyglass_logs() as logged:
            with recorder as recording:
                outcomes = [call_outcome(partial(self.call, app, x)) for x in inputs]
            records = self._records(recording, problems)
        problems += self._compare("call", list(zip(inputs, plain, outcomes)))
        problems += self._check(recorder, records, list(zip(inputs, outcomes)), "call")
        self._report("sync calls", problems + logged)

    def test_async_calls_give_one_whole_record_each(self) -> None:
        """Awaited one by one and gathered at once: one whole record per call."""
        inputs = self.inputs()
        plain = self._need(self._baseline().asynchronous)
        problems = self._baseline_problems("acall", inputs, plain)
        app = self.make_app()
        recorder = self.make_recorder(app)

        async def run() -> tuple[Recording, list[Outcome], Recording, list[Outcome]]:
            async with recorder as one_by_one:
                awaited = [await acall_outcome(partial(self.acall, app, x)) for x in inputs]
            async with recorder as together:
                gathered = await asyncio.gather(
                    *(acall_outcome(partial(self.acall, app, x)) for x in inputs)
                )
            return one_by_one, awaited, together, list(gathered)

        with watch_spyglass_logs() as logged:
            first, awaited, second, gathered = asyncio.run(run())
            records = self._records(first, problems)
            gathered_records = self._records(second, problems)
        problems += self._compare("acall", list(zip(inputs, plain, awaited)))
        problems += self._compare("acall", list(zip(inputs, plain, gathered)))
        problems += self._check(recorder, records, list(zip(inputs, awaited)), "acall")
        problems += self._check(
            recorder, gathered_records, list(zip(inputs, gathered)), "gathered acall", ordered=False
        )
        self._report("async calls", problems + logged)

    def _failing(self, kind: str, plain: Outcome, run: Callable[[Any, Any], Outcome]) -> None:
        x = self.failing_input()
        problems: list[str] = []
        if plain.error is None:
            problems.append(
                f"without recording, {kind}(app, {short(x)}) {plain.describe()}: "
                "failing_input() must make the app raise"
            )
        app = self.make_app()
        recorder = self.make_recorder(app)
        with watch_spyglass_logs() as logged:
            with recorder as recording:
                outcome = run(app, x)
            records = self._records(recording, problems)
        problems += self._compare(kind, [(x, plain, outcome)])
        problems += self._check(recorder, records, [(x, outcome)], kind)
        self._report(f"a failing {kind}", problems + logged)

    def test_failing_call_gives_one_record_with_main_error(self) -> None:
        """A call that raises: the same exception reaches the app; one record with main_error."""
        plain = self._need(self._baseline().failing)
        self._failing("call", plain, lambda app, x: call_outcome(partial(self.call, app, x)))

    def test_failing_async_call_gives_one_record_with_main_error(self) -> None:
        """An awaited call that raises: the same exception; one record with main_error."""
        plain = self._need(self._baseline().failing_async)
        self._failing(
            "acall",
            plain,
            lambda app, x: asyncio.run(acall_outcome(partial(self.acall, app, x))),
        )

    # ------------------------------------------------------------ streams

    def _stream_check(
        self, what: str, x: Any, plain: Outcome, run: Callable[[Any, Recording], Outcome], hint: str
    ) -> None:
        app = self.make_stream_app()
        recorder = self.make_recorder(app)
        problems: list[str] = []
        with watch_spyglass_logs() as logged:
            with recorder as recording:
                outcome = run(app, recording)
                inside = len(recording)
            records = self._records(recording, problems)
        if inside == 0 and records:
            problems.append(
                f"the record of {what} was made only when the `with` block ended, not when the "
                f"stream ended: {hint}"
            )
        problems += self._compare("stream", [(x, plain, outcome)])
        problems += self._check(recorder, records, [(x, outcome)], "stream", no_record_hint=hint)
        self._report(what, problems + logged)

    def _read_stream(self, x: Any, app: Any, recording: Recording) -> Outcome:
        return stream_outcome(partial(self.stream, app, x))

    _FINISH = (
        "the root call must end when its stream ends (for an object that carries a stream, "
        "the adapter's spyglass_stream_wrapper must call finish() when the stream is "
        "exhausted, closed or fails)"
    )

    def test_stream_read_to_the_end_gives_one_whole_record(self) -> None:
        """A stream read to the end: same chunks; one record, made when the stream ends."""
        plain_all = self._need(self._baseline().stream)
        for x, plain in zip(self.inputs(), plain_all):
            if plain.error is not None:
                self._report(
                    "a stream", [f"without recording, stream(app, {short(x)}) {plain.describe()}"]
                )
            self._stream_check(
                "a stream read to the end",
                x,
                plain,
                partial(self._read_stream, x),
                self._FINISH,
            )

    def test_stream_closed_early_gives_one_record(self) -> None:
        """A stream closed after its first chunk: one record, made at the close."""
        plain_all = self._need(self._baseline().stream)
        x, plain = self.inputs()[0], plain_all[0]
        if not plain.chunks or len(plain.chunks) < 2:
            pytest.skip(
                f"stream(app, {short(x)}) yields fewer than two chunks: nothing to close early"
            )
        first = Outcome(chunks=plain.chunks[:1], closed=True)

        def run(app: Any, recording: Recording) -> Outcome:
            outcome = stream_outcome(partial(self.stream, app, x), close_after=1)
            if not outcome.closed and outcome.error is None:
                pytest.skip(f"stream(app, {short(x)}) returned an iterator without close()")
            return outcome

        self._stream_check("a stream closed early", x, first, run, self._FINISH)

    def test_stream_failing_midway_gives_one_record_with_main_error(self) -> None:
        """A stream that raises after a chunk: same chunks, same exception; one record."""
        plain = self._need(self._baseline().failing_stream)
        x = self.failing_stream_input()
        if plain.error is None or not plain.chunks:
            self._report(
                "a failing stream",
                [
                    (
                        f"without recording, stream(app, {short(x)}) {plain.describe()}: "
                        "failing_stream_input() must make the stream raise after its first chunk"
                    )
                ],
            )
        self._stream_check(
            "a stream failing midway",
            x,
            plain,
            partial(self._read_stream, x),
            self._FINISH,
        )

    def test_async_stream_read_to_the_end_gives_one_whole_record(self) -> None:
        """An async stream read to the end: same chunks; one record."""
        plain_all = self._need(self._baseline().async_stream)
        for x, plain in zip(self.inputs(), plain_all):
            app = self.make_stream_app()
            recorder = self.make_recorder(app)
            problems: list[str] = []

            async def run(
                app: Any = app, x: Any = x, recorder: App = recorder
            ) -> tuple[Recording, Outcome]:
                async with recorder as recording:
                    outcome = await astream_outcome(partial(self.astream, app, x))
                return recording, outcome

            with watch_spyglass_logs() as logged:
                recording, outcome = asyncio.run(run())
                records = self._records(recording, problems)
            problems += self._compare("astream", [(x, plain, outcome)])
            problems += self._check(
                recorder, records, [(x, outcome)], "astream", no_record_hint=self._FINISH
            )
            self._report("an async stream", problems + logged)

    # ------------------------------------------------------------ threads

    def _threaded_inputs(self) -> list[Any]:
        inputs = self.inputs()
        return [inputs[i % len(inputs)] for i in range(max(2, self.concurrency))]

    def test_threads_with_their_own_recorders_each_get_their_record(self) -> None:
        """Threads calling at once, each in its own ``with recorder``: one record each."""
        inputs = self._threaded_inputs()
        sync = self._baseline().sync
        apps = [self.make_app() for _ in inputs]
        recorders = [self.make_recorder(app) for app in apps]
        barrier = threading.Barrier(len(inputs))
        results: dict[int, tuple[Outcome, Recording]] = {}
        crashed: list[str] = []

        def worker(i: int) -> None:
            try:
                barrier.wait(timeout=30)
                with recorders[i] as recording:
                    outcome = call_outcome(partial(self.call, apps[i], inputs[i]))
                results[i] = (outcome, recording)
            except BaseException as exc:  # noqa: BLE001 - reported, not lost in the thread
                crashed.append(f"thread {i} crashed: {error_text(exc)}")

        problems: list[str] = []
        with watch_spyglass_logs() as logged:
            threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(inputs))]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=120)
            problems += crashed
            problems += [
                f"thread {i} did not finish its call within 120 s (a deadlock?)"
                for i, thread in enumerate(threads)
                if thread.is_alive()
            ]
            all_records: list[Record] = []
            for i, (outcome, recording) in sorted(results.items()):
                x = inputs[i]
                records = self._records(recording, problems)
                base = sync[self.inputs().index(x)]
                problems += [
                    f"thread {i}: {p}" for p in self._compare("call", [(x, base, outcome)])
                ]
                problems += self._check(recorders[i], records, [(x, outcome)], f"thread {i}: call")
                all_records.extend(records[:1])
            if len(all_records) == len(inputs):
                problems += self._shape_problems(all_records, inputs)
        self._report("threads with their own recorders", problems + logged)

    def test_thread_pool_calls_in_one_recording_give_one_record_each(self) -> None:
        """Calls submitted to a ContextThreadPoolExecutor inside one ``with recorder``."""
        inputs = self._threaded_inputs()
        sync = self._baseline().sync
        app = self.make_app()
        recorder = self.make_recorder(app)
        problems: list[str] = []

        def one(x: Any) -> Outcome:
            return call_outcome(partial(self.call, app, x))

        with watch_spyglass_logs() as logged:
            with recorder as recording, ContextThreadPoolExecutor(len(inputs)) as pool:
                outcomes = list(pool.map(one, inputs))
            records = self._records(recording, problems)
            pairs = list(zip(inputs, outcomes))
            base = [sync[self.inputs().index(x)] for x in inputs]
            problems += self._compare("pooled call", list(zip(inputs, base, outcomes)))
            problems += self._check(recorder, records, pairs, "pooled call", ordered=False)
            if len(records) == len(inputs) and not problems:
                matched = self._match(records, pairs)
                problems += self._shape_problems(
                    [r for r, _ in matched], [x for _, (x, _) in matched]
                )
        self._report("calls in a ContextThreadPoolExecutor", problems + logged)

    # ------------------------------------------------------------ instrumentation

    def _claimed(self, problems: list[str]) -> list[tuple[type, str]]:
        claimed: list[tuple[type, str]] = []
        for cls, name in self.instrumented_methods:
            owner = defining_class(cls, name)
            if owner is None:
                problems.append(
                    f"{type(self).__name__}.instrumented_methods names {cls.__qualname__}.{name}, "
                    f"but {cls.__qualname__} has no attribute {name!r}"
                )
            else:
                claimed.append((owner, name))
        return claimed

    def test_print_instrumented_lists_the_claimed_methods(self) -> None:
        """``instrumented()`` and ``print_instrumented()`` show every claimed method."""
        problems: list[str] = []
        claimed = self._claimed(problems)
        app = self.make_app()
        recorder = self.make_recorder(app)
        listed = recorder.instrumented()
        methods = {(m["class"], m["name"]) for m in listed["methods"]}
        text, error = printed_instrumentation(recorder)
        if error:
            problems.append(f"recorder.print_instrumented() raised {error}")
        if not methods:
            problems.append(
                "recorder.instrumented() lists no method: the adapter's "
                "spyglass_instrument_specs matched nothing the recorder's walk reached"
            )
        for m in listed["methods"]:
            if f"with path __app__.{m['path']}" not in text:
                problems.append(
                    f"print_instrumented() does not show {m['class']}.{m['name']} at "
                    f"__app__.{m['path']}, which instrumented() lists"
                )
        for cls, name in claimed:
            where = f"{cls.__qualname__}.{name}"
            if (qualified_name(cls), name) not in methods:
                skipped = [
                    s["reason"]
                    for s in listed["skipped"]
                    if s["class"] == qualified_name(cls) and s["name"] == name
                ]
                why = (
                    f"it was skipped: {skipped[0]}"
                    if skipped
                    else "the adapter's spyglass_instrument_specs does not ask for it, or the "
                    "walk reached no instance of its class"
                )
                problems.append(
                    f"recorder.instrumented() does not list {where}, which "
                    f"{type(self).__name__}.instrumented_methods claims: {why}"
                )
            elif function_label(cls, name) not in text:
                problems.append(f"print_instrumented() does not show {where}")
        self._report("print_instrumented", problems)

    def test_uninstrument_restores_every_original(self) -> None:
        """After ``uninstrument()`` every wrapped method is the identical original again."""
        problems: list[str] = []
        claimed = self._claimed(problems)
        claimed_classes = {cls for cls, _ in claimed}
        uninstrument()
        early = snapshot(claimed_classes)
        probe_app = self.make_app()
        probe = self.make_recorder(probe_app)
        hints = [*claimed_classes, type(probe_app), *(type(o) for o in component_objects(probe))]
        listed, unresolved = wrapped_pairs(probe, hints)
        pairs = list(dict.fromkeys([*listed, *claimed]))
        uninstrument()
        before = snapshot({cls for cls, _ in pairs})
        before.update(early)
        if unresolved:
            problems.append(
                f"cannot check {len(unresolved)} wrapped method(s), whose classes the test "
                f"cannot find from recorder.instrumented(): {unresolved[:5]}"
            )
        app = self.make_app()
        recorder = self.make_recorder(app)
        for cls, name in listed:
            if vars(cls).get(name) is before[cls].get(name):
                problems.append(
                    f"recorder.instrumented() lists {cls.__qualname__}.{name}, but building "
                    "the recorder did not replace it"
                )
        uninstrument()
        problems += restore_problems(before, pairs)
        x = self.inputs()[0]
        with watch_spyglass_logs() as logged:
            with recorder as recording:
                outcome = call_outcome(partial(self.call, app, x))
            records = self._records(recording, problems)
            if records:
                problems.append(
                    f"after uninstrument(), call(app, {short(x)}) inside `with recorder` still "
                    f"made {len(records)} record(s): something the adapter installed still records"
                )
            problems += [
                f"after uninstrument(): {p}"
                for p in self._compare("call", [(x, self._baseline().sync[0], outcome)])
            ]
            again_app = self.make_app()
            again = self.make_recorder(again_app)  # instruments again, for the tests that follow
            with again as recording:
                call_outcome(partial(self.call, again_app, x))
            if len(self._records(recording, problems)) != 1:
                problems.append(
                    "a recorder built after uninstrument() does not record one call as one record"
                )
        self._report("uninstrument", problems + logged)

    # ------------------------------------------------------------ the plugin

    def _adapter(self, recorder: App) -> str | None:
        if self.adapter_name:
            return self.adapter_name
        components = recorder.instrumented()["components"]
        named = [c["adapter"] for c in components if c["adapter"]]
        root = [c["adapter"] for c in components if c["path"] == "app" and c["adapter"]]
        found: list[str | None] = [*root, *named, None]
        return found[0]

    def test_plugin_passes_check_plugin(self) -> None:
        """The adapter's plugin implements spyglass's hooks correctly (`check_plugin`)."""
        plugin = self.plugin
        name = self.adapter_name
        if plugin is None:
            name = self._adapter(self.make_recorder(self.make_app()))
            if name is None:
                self._report(
                    "the plugin",
                    ["cannot tell which adapter recorded the app: set adapter_name"],
                )
            try:
                plugin = find_plugin(str(name))
            except LookupError as exc:
                self._report("the plugin", [str(exc)])
        self._report(f"plugin {name or plugin!r}", plugin_problems(plugin, name))

    def test_wrap_app_picks_the_recorder(self) -> None:
        """``spyglass.core.wrap_app`` recognises the app (and picks ``recorder_class``)."""
        app = self.make_app()
        try:
            recorder = wrap_app(app)
        except TypeError as exc:
            self._report(
                "wrap_app",
                [
                    (
                        f"wrap_app() does not recognise the app: the adapter's "
                        f"spyglass_recorder_class hook must return a recorder for it ({exc})"
                    )
                ],
            )
            return
        problems: list[str] = []
        if not isinstance(recorder, App):
            problems.append(f"wrap_app() returned {short(recorder)}, not a spyglass.core.App")
        expected = self.recorder_class
        if expected is not None and type(recorder) is not expected:
            problems.append(
                f"wrap_app() picked {type(recorder).__name__}, but {type(self).__name__}."
                f"recorder_class is {expected.__name__}: the adapter's spyglass_recorder_class "
                "hook (or another adapter's, answering first) picks another recorder"
            )
        self._report("wrap_app", problems)
