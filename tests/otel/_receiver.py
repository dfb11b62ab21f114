"""A small OTLP/HTTP receiver on loopback: decodes ExportTraceServiceRequest protobufs."""

from __future__ import annotations

import gzip
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from typing_extensions import Self


def _value(v: Any) -> Any:
    kind = v.WhichOneof("value")
    if kind == "array_value":
        return tuple(_value(x) for x in v.array_value.values)
    return getattr(v, kind) if kind else None


class Receiver:
    """Collects the spans of every request to ``/v1/traces``.

    Args:
        status: the HTTP status to answer (500: a failing back-end).
        hold: answer only once ``release`` is set (a slow back-end).
    """

    def __init__(self, status: int = 200, hold: bool = False) -> None:
        self.status = status
        self.release = threading.Event()
        self.entered = threading.Event()  # a request arrived (answered or held)
        if not hold:
            self.release.set()
        self.requests = 0
        self.spans: list[dict[str, Any]] = []
        self.arrived = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.entered.set()
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                receiver.release.wait(30)
                request = ExportTraceServiceRequest()
                request.ParseFromString(body)
                receiver._collect(request, dict(self.headers))
                answer = ExportTraceServiceResponse().SerializeToString()
                self.send_response(receiver.status)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.headers: list[dict[str, str]] = []

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1/traces"

    def _collect(self, request: ExportTraceServiceRequest, headers: dict[str, str]) -> None:
        with self.arrived:
            self.requests += 1
            self.headers.append(headers)
            if self.status == 200:
                for resource_spans in request.resource_spans:
                    resource = {a.key: _value(a.value) for a in resource_spans.resource.attributes}
                    for scope_spans in resource_spans.scope_spans:
                        for span in scope_spans.spans:
                            self.spans.append(
                                {
                                    "name": span.name,
                                    "trace_id": span.trace_id.hex(),
                                    "span_id": span.span_id.hex(),
                                    "parent_span_id": span.parent_span_id.hex(),
                                    "start": span.start_time_unix_nano,
                                    "end": span.end_time_unix_nano,
                                    "status": span.status.code,
                                    "attributes": {a.key: _value(a.value) for a in span.attributes},
                                    "events": [
                                        (e.name, {a.key: _value(a.value) for a in e.attributes})
                                        for e in span.events
                                    ],
                                    "resource": resource,
                                    "scope": scope_spans.scope.name,
                                }
                            )
            self.arrived.notify_all()

    def wait_for(self, count: int, timeout: float = 30) -> bool:
        """Wait until ``count`` spans arrived."""
        with self.arrived:
            return self.arrived.wait_for(lambda: len(self.spans) >= count, timeout)

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
