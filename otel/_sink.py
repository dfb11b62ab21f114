"""`OTLPSink`: a record sink that exports records and feedback results as OTLP spans.

The sink runs on its own worker thread (see ``spyglass.core.sinks``): turning a record
into spans happens there, and the SDK's ``BatchSpanProcessor`` sends them from its own
thread, in batches. The app's thread only hands the finished call to the dispatcher,
as for any sink.

A back-end that is down, slow or failing costs the app nothing: exports happen in the
background, with the exporter's timeout; a failed export drops its batch and is logged
once (the SDK's own log lines about it are kept quiet on spyglass's threads).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from spyglass.core import RecordSink
from spyglass.core.sinks import add_sink, process_sinks

from ._sdk import BatchSpanProcessor, ReadableSpan, SpanExporter, SpanExportResult, otlp_exporter
from ._spans import SpanWriter

__all__ = ["DEFAULT_MAX_ATTRIBUTE_LENGTH", "OTLPSink", "export"]

logger = logging.getLogger(__name__)

DEFAULT_MAX_ATTRIBUTE_LENGTH = 16_384
"""The longest attribute string spyglass writes unless ``OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT``
(or ``OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT``) says otherwise; longer ones end with a
marker saying how many characters were cut."""

MAX_QUEUED_SPANS = 65_536
"""Spans waiting for export; the SDK's default (2048) is a few hundred records, which a
burst or a back-end that is down for seconds would overflow."""

# Loggers of the SDK that report each failed export; quiet on spyglass's threads, where
# `_Guarded` reports the first failure itself.
_SDK_LOGGERS = (
    "opentelemetry.exporter.otlp.proto.http.trace_exporter",
    "opentelemetry.exporter.otlp.proto.grpc.exporter",
    "opentelemetry.sdk.trace.export",
)  # not the batch processor's: its "Queue full, dropping" stays visible (rate-limited)
_ours = threading.local()


class _QuietOnOurThreads(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not getattr(_ours, "active", False)


_quiet = _QuietOnOurThreads()
for _name in _SDK_LOGGERS:
    logging.getLogger(_name).addFilter(_quiet)


def _length_limit(given: int | None) -> int:
    if given is not None:
        if given < 64:
            raise ValueError(f"max_attribute_length={given}: give at least 64 characters")
        return given
    for name in ("OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT", "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT"):
        value = os.environ.get(name, "").strip()
        if value.isdigit() and int(value) >= 64:
            return int(value)
    return DEFAULT_MAX_ATTRIBUTE_LENGTH


class _Guarded(SpanExporter):
    """Wraps the real exporter: never raises, logs the first failure once."""

    def __init__(self, exporter: SpanExporter, where: str) -> None:
        self.exporter = exporter
        self.where = where
        self.failures = 0
        self.exported = 0

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        _ours.active = True
        try:
            result = self.exporter.export(spans)
        except Exception as exc:  # noqa: BLE001 - an exporter's failure never spreads
            result = SpanExportResult.FAILURE
            self._failed(repr(exc))
        else:
            if result is SpanExportResult.SUCCESS:
                self.exported += len(spans)
            else:
                self._failed("the back-end refused or did not answer")
        finally:
            _ours.active = False
        return result

    def _failed(self, why: str) -> None:
        self.failures += 1
        level = logging.WARNING if self.failures == 1 else logging.DEBUG
        logger.log(
            level,
            "spyglass: exporting spans to %s failed (%s); those spans are dropped and the app "
            "is unaffected (later failures are logged at debug level)",
            self.where,
            why,
        )

    def shutdown(self) -> None:
        self.exporter.shutdown()

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return bool(self.exporter.force_flush(timeout_millis))


class OTLPSink(RecordSink):
    """Exports one recorder's records (``sinks=[OTLPSink(...)]``) as OpenTelemetry spans.

    Each record is a trace (the app call, then a span per recorded call); each feedback
    result joins its record's trace as a ``gen_ai.evaluation.result`` event when it
    finishes. See :func:`export` for every recorder.

    Args:
        endpoint: the full traces URL (``http://localhost:4318/v1/traces``); ``None``:
            ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``, else ``OTEL_EXPORTER_OTLP_ENDPOINT`` +
            ``/v1/traces``, else the local collector's default.
        headers: HTTP headers (e.g. an API key); ``None``: ``OTEL_EXPORTER_OTLP_HEADERS``.
            Never logged.
        protocol: ``"http/protobuf"`` or ``"grpc"`` (``pip install 'spyglass[otel-grpc]'``).
        exporter: any OpenTelemetry ``SpanExporter`` instead of OTLP (the SDK's
            ``InMemorySpanExporter`` in tests); then the three above are not used.
        timeout: seconds per export request (``None``: ``OTEL_EXPORTER_OTLP_TIMEOUT``, else 10).
        max_attribute_length: the longest attribute string (see
            :data:`DEFAULT_MAX_ATTRIBUTE_LENGTH`).
        schedule_delay: seconds between background exports of what is batched.

    Raises:
        ValueError: an unknown protocol or too small a length.
        MissingDependencyError: the ``otel`` (or ``otel-grpc``) extra is not installed.
    """

    name = "otlp"

    def __init__(
        self,
        endpoint: str | None = None,
        headers: Mapping[str, str] | None = None,
        protocol: str = "http/protobuf",
        *,
        exporter: SpanExporter | None = None,
        timeout: float | None = None,
        max_attribute_length: int | None = None,
        schedule_delay: float = 1.0,
    ) -> None:
        limit = _length_limit(max_attribute_length)
        if exporter is None:
            exporter = otlp_exporter(
                protocol, endpoint, dict(headers) if headers is not None else None, timeout
            )
            where = getattr(exporter, "_endpoint", None) or endpoint or "the OTLP endpoint"
        else:
            where = type(exporter).__name__
        self.exporter = _Guarded(exporter, str(where))
        self._processor = BatchSpanProcessor(
            self.exporter,
            max_queue_size=MAX_QUEUED_SPANS,
            schedule_delay_millis=max(1.0, schedule_delay * 1000),
        )
        self._writer = SpanWriter(self._processor, limit)
        self._closed = False

    @property
    def exported(self) -> int:
        """How many spans the back-end accepted so far."""
        return self.exporter.exported

    def on_record(self, record: Any, app: Any) -> None:
        """Turn ``record`` into spans and queue them for export."""
        if self._closed:
            return
        _ours.active = True
        try:
            self._writer.write_record(record, app)
        finally:
            _ours.active = False

    def on_feedback_result(self, result: Any) -> None:
        """Queue a feedback result's evaluation span (in its record's trace)."""
        if self._closed:
            return
        _ours.active = True
        try:
            self._writer.write_feedback(result)
        finally:
            _ours.active = False

    def flush(self, timeout: float | None = None) -> bool:
        """Export what is batched now; ``False`` if that took longer than ``timeout`` seconds.

        The export goes on in the background after a timeout (it is bounded by the
        exporter's own ``timeout``).
        """
        if self._closed:
            return True
        done = threading.Event()

        def run() -> None:
            _ours.active = True
            try:
                self._processor.force_flush()
            finally:
                done.set()

        threading.Thread(target=run, name="spyglass-otlp-flush", daemon=True).start()
        return done.wait(timeout)

    def shutdown(self) -> None:
        """Export what is left (bounded by the exporter's timeout) and stop."""
        if self._closed:
            return
        self._closed = True
        _ours.active = True
        try:
            self._processor.shutdown()  # type: ignore[no-untyped-call, unused-ignore]
        finally:
            _ours.active = False


def export(
    endpoint: str | None = None,
    headers: Mapping[str, str] | None = None,
    protocol: str = "http/protobuf",
    **options: Any,
) -> OTLPSink:
    """Export every recorder's records and feedback results as OTLP spans, from now on.

    Adds an :class:`OTLPSink` with these arguments to every recorder of the process
    (``spyglass.core.add_sink``); the standard ``OTEL_EXPORTER_OTLP_*`` environment
    variables fill what is not given. Calling it again with the same arguments returns
    the sink already added.

    Args:
        endpoint, headers, protocol: as :class:`OTLPSink`.
        **options: the other keyword arguments of :class:`OTLPSink`.

    Returns:
        The sink (``sink.flush(timeout)`` to push out what is batched;
        ``spyglass.core.remove_sink(sink)`` to stop).
    """
    key = (
        endpoint,
        tuple(sorted((headers or {}).items())),
        protocol,
        tuple(sorted((k, repr(v)) for k, v in options.items())),
    )
    for sink in process_sinks():
        if isinstance(sink, OTLPSink) and getattr(sink, "_export_key", None) == key:
            return sink
    sink = OTLPSink(endpoint, headers, protocol, **options)
    sink._export_key = key  # type: ignore[attr-defined]
    add_sink(sink)
    return sink
