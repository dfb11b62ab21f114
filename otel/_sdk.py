"""The one place that imports the OpenTelemetry SDK (the ``otel`` extra).

Every other module of :mod:`spyglass.otel` takes the SDK's names from here, so a
missing install fails in one place, with the pip line to run.
"""

from __future__ import annotations

from spyglass.core import MissingDependencyError

try:
    from opentelemetry.attributes import BoundedAttributes
    from opentelemetry.context import Context
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import Event, ReadableSpan, TracerProvider, sampling
    from opentelemetry.sdk.trace.export import (
        BatchSpanProcessor,
        SpanExporter,
        SpanExportResult,
    )
    from opentelemetry.sdk.trace.id_generator import RandomIdGenerator
    from opentelemetry.sdk.util.instrumentation import InstrumentationScope
    from opentelemetry.trace import (
        SpanContext,
        SpanKind,
        Status,
        StatusCode,
        TraceFlags,
    )
except ImportError as exc:  # pragma: no cover - the extra is installed in every test run
    raise MissingDependencyError(
        "spyglass.otel needs the OpenTelemetry SDK and its OTLP exporter; install them with "
        "`pip install 'spyglass[otel]'` (add `spyglass[otel-grpc]` for protocol='grpc')"
    ) from exc

__all__ = [
    "ALWAYS_ON_SAMPLERS",
    "BatchSpanProcessor",
    "BoundedAttributes",
    "Context",
    "Event",
    "InstrumentationScope",
    "RandomIdGenerator",
    "ReadableSpan",
    "Resource",
    "SpanContext",
    "SpanExportResult",
    "SpanExporter",
    "SpanKind",
    "Status",
    "StatusCode",
    "TraceFlags",
    "TracerProvider",
    "otlp_exporter",
]

ALWAYS_ON_SAMPLERS = (sampling.ALWAYS_ON, sampling.DEFAULT_ON)
"""The SDK's samplers that keep every trace (the default is ``DEFAULT_ON``)."""


def otlp_exporter(
    protocol: str, endpoint: str | None, headers: dict[str, str] | None, timeout: float | None
) -> SpanExporter:
    """The SDK's OTLP span exporter for ``protocol`` (it reads ``OTEL_EXPORTER_OTLP_*``
    itself for whatever is ``None``).

    Raises:
        ValueError: an unknown protocol.
        MissingDependencyError: ``grpc`` without the ``otel-grpc`` extra.
    """
    if protocol == "http/protobuf":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter(endpoint=endpoint, headers=headers, timeout=timeout)
    if protocol == "grpc":
        try:
            from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import (  # type: ignore[import-not-found, unused-ignore]
                OTLPSpanExporter as GrpcExporter,
            )
        except ImportError as exc:
            raise MissingDependencyError(
                "protocol='grpc' needs the OTLP gRPC exporter; install it with "
                "`pip install 'spyglass[otel-grpc]'` (or use protocol='http/protobuf')"
            ) from exc
        return GrpcExporter(  # type: ignore[no-any-return]
            endpoint=endpoint, headers=headers, timeout=timeout
        )
    raise ValueError(
        f"unknown OTLP protocol {protocol!r}: use 'http/protobuf' (the default) or 'grpc' "
        "(with `pip install 'spyglass[otel-grpc]'`)"
    )
