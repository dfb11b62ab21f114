"""An OpenAI-compatible chat completions server for the provider tests.

A small Starlette app served for real by uvicorn on a loopback port, in a thread, so
the ``openai`` SDK runs all of its own code (HTTP, JSON, streaming, errors). It
judges like a model would: it answers in the form the request asks for (JSON schema,
tool call, or text) unless a test makes it answer otherwise, and it reports usage.

A test sets :attr:`JudgeServer.style` and :attr:`JudgeServer.score` (or a
``scorer``), or a ``failure`` (429 with Retry-After, 500, slow, malformed), and reads
``requests`` (how many arrived; ``fail_for`` counts from the first), ``max_in_flight`` and ``bodies``.
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

_STATEMENT = re.compile(r"^(?:STATEMENT|KEY POINT) (\d+):", re.MULTILINE)


def _words(messages: list[dict[str, Any]]) -> int:
    return sum(len(str(m.get("content") or "").split()) for m in messages)


class JudgeServer:
    """The server's behaviour and counters (reset per test by the fixture)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset()
        self.port = 0
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------- control

    def reset(self) -> None:
        with getattr(self, "lock", threading.Lock()):
            self.style: str | None = None  # None: as asked; or "schema", "tool", "text", "none"
            self.score: int = 2
            self.scorer: Callable[[list[dict[str, Any]]], int] | None = None
            self.text_template = "The answer fits the question well.\nScore: {score}"
            self.failure: str | None = None  # "429", "500", "slow", "malformed"
            self.fail_for = 0.0  # seconds after reset during which `failure` applies
            self.retry_after = "1"
            self.slow_seconds = 0.0
            self.requests = 0
            self.in_flight = 0
            self.max_in_flight = 0
            self.bodies: list[dict[str, Any]] = []
            self.started_at: float | None = None  # the first request's arrival

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    # -------------------------------------------------------------- answers

    def _score(self, messages: list[dict[str, Any]]) -> int:
        return self.scorer(messages) if self.scorer is not None else self.score

    def _judgement(self, body: dict[str, Any]) -> dict[str, Any]:
        """What a judge would answer: a dict matching the requested shape."""
        messages = body.get("messages", [])
        user = str(messages[-1].get("content") or "") if messages else ""
        system = str(messages[0].get("content") or "") if messages else ""
        score = self._score(messages)
        if "key points of the SOURCE" in system:
            return {"key_points": ["The first point.", "The second point."]}
        items = [int(n) for n in _STATEMENT.findall(user)]
        if items:
            return {
                "statements": [
                    {"index": n, "evidence": f"evidence {n}", "score": score, "trivial": False}
                    for n in items
                ]
            }
        return {"reason": "The answer fits the question well.", "score": score}

    def _style(self, body: dict[str, Any]) -> str:
        if self.style is not None:
            return self.style
        if body.get("tools"):
            return "tool"
        if body.get("response_format"):
            return "schema"
        return "text"

    def _message(self, body: dict[str, Any]) -> dict[str, Any]:
        style = self._style(body)
        judgement = self._judgement(body)
        if style == "tool":
            call = {
                "id": "call_1",
                "type": "function",
                "function": {"name": "submit_judgement", "arguments": json.dumps(judgement)},
            }
            return {"role": "assistant", "content": None, "tool_calls": [call]}
        if style == "schema":
            return {"role": "assistant", "content": json.dumps(judgement)}
        if style == "none":
            return {"role": "assistant", "content": "I cannot judge this without more context."}
        if "score" in judgement:
            text = self.text_template.format(score=judgement["score"])
        else:  # lists have no text form worth inventing: answer them as JSON in text
            text = "Here is my judgement:\n```json\n" + json.dumps(judgement) + "\n```"
        return {"role": "assistant", "content": text}

    def _completion(self, body: dict[str, Any]) -> dict[str, Any]:
        message = self._message(body)
        prompt = _words(body.get("messages", []))
        answer = len(json.dumps(message).split())
        return {
            "id": f"chatcmpl-{self.requests}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model", "judge"),
            "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
            "usage": {
                "prompt_tokens": prompt,
                "completion_tokens": answer,
                "total_tokens": prompt + answer,
            },
        }

    def _chunks(self, completion: dict[str, Any]) -> list[str]:
        message = completion["choices"][0]["message"]
        base = {k: completion[k] for k in ("id", "created", "model")}
        base["object"] = "chat.completion.chunk"
        deltas: list[dict[str, Any]] = [{"role": "assistant", "content": ""}]
        content = message.get("content") or ""
        deltas += [{"content": content[i : i + 7]} for i in range(0, len(content), 7)]
        for call in message.get("tool_calls") or ():
            args = call["function"]["arguments"]
            first = {
                "index": 0,
                "id": call["id"],
                "type": "function",
                "function": {"name": call["function"]["name"], "arguments": ""},
            }
            deltas.append({"tool_calls": [first]})
            deltas += [
                {"tool_calls": [{"index": 0, "function": {"arguments": args[i : i + 9]}}]}
                for i in range(0, len(args), 9)
            ]
        out = [
            json.dumps({**base, "choices": [{"index": 0, "delta": d, "finish_reason": None}]})
            for d in deltas
        ]
        out.append(
            json.dumps({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
        )
        out.append(json.dumps({**base, "choices": [], "usage": completion["usage"]}))
        return [f"data: {c}\n\n" for c in out] + ["data: [DONE]\n\n"]

    async def handle(self, request: Request) -> Response:
        body = await request.json()
        with self.lock:
            self.requests += 1
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            self.bodies.append(body)
            if self.started_at is None:
                self.started_at = time.monotonic()
            failing = self.failure is not None and (
                self.fail_for <= 0 or time.monotonic() - self.started_at < self.fail_for
            )
        try:
            # Hold the request a little so concurrent requests overlap measurably.
            await asyncio.sleep(self.slow_seconds if failing and self.failure == "slow" else 0.01)
            if failing and self.failure == "429":
                return JSONResponse(
                    {"error": {"message": "Rate limit reached", "type": "rate_limit"}},
                    status_code=429,
                    headers={"retry-after": self.retry_after},
                )
            if failing and self.failure == "500":
                return JSONResponse({"error": {"message": "boom", "type": "server"}}, 500)
            if failing and self.failure == "malformed":
                return Response("{not json", media_type="application/json")
            completion = self._completion(body)
            if body.get("stream"):
                return StreamingResponse(
                    iter(self._chunks(completion)), media_type="text/event-stream"
                )
            return JSONResponse(completion)
        finally:
            with self.lock:
                self.in_flight -= 1

    # -------------------------------------------------------------- serving

    def start(self) -> None:
        app = Starlette(routes=[Route("/v1/chat/completions", self.handle, methods=["POST"])])
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Without it, delayed ACKs add ~40 ms to every answer (Nagle on small writes).
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            app,
            log_level="warning",
            lifespan="off",
            ws="none",
            access_log=False,
            limit_concurrency=1000,
            timeout_graceful_shutdown=1,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name="judge-server", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the judge test server did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
