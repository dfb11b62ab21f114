"""spyglass.otel: records as OpenTelemetry spans, and spans as records.

Usage
-----

Every recorder's records, to an OTLP back-end (Phoenix, Jaeger, Langfuse, Tempo, ...)::

    import spyglass.otel

    spyglass.otel.export("http://localhost:6006/v1/traces")   # or OTEL_EXPORTER_OTLP_* variables

One recorder's: ``TruChain(chain, sinks=[OTLPSink(endpoint)])``. A trace made by other
instrumentation, as a record to evaluate: ``to_record(spans)``.

Configuration
-------------

The standard ``OTEL_EXPORTER_OTLP_*`` variables (endpoint, headers, timeout) fill what
``export``/``OTLPSink`` are not given; ``OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT`` bounds
attribute strings (longer ones end with a truncation marker). Installed by
``pip install 'spyglass[otel]'`` (``spyglass[otel-grpc]`` for ``protocol="grpc"``).

API
---

``export``, ``OTLPSink``, ``to_record``; TruLens's names in
:mod:`spyglass.otel.semconv.trace` (``SpanAttributes``, ``SpanType``, ``BASE_SCOPE``).
"""

from __future__ import annotations

from ._ingest import to_record
from ._sink import DEFAULT_MAX_ATTRIBUTE_LENGTH, OTLPSink, export

__all__ = ["DEFAULT_MAX_ATTRIBUTE_LENGTH", "OTLPSink", "export", "to_record"]
