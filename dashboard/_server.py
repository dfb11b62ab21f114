"""Serving the dashboard: uvicorn in a background thread, one server per session.

``run_dashboard`` returns once the server accepts connections, with its URL; the thread
is a daemon, so a notebook or script exits normally with the dashboard still open.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import warnings
from dataclasses import dataclass
from typing import Any

from ._app import create_app
from ._deps import uvicorn

__all__ = ["run_dashboard", "serve", "stop_dashboard"]

log = logging.getLogger(__name__)

LOOPBACK = ("127.0.0.1", "localhost", "::1")
TOKEN_ENV = "SPYGLASS_DASHBOARD_TOKEN"


@dataclass
class _Running:
    server: Any
    thread: threading.Thread
    url: str


_RUNNING: dict[int, _Running] = {}
_LOCK = threading.Lock()


def _default_session() -> Any:
    from spyglass.store import TruSession

    return TruSession()


def _free_port(address: str) -> int:
    with socket.socket(socket.AF_INET6 if ":" in address else socket.AF_INET) as s:
        s.bind((address, 0))
        return int(s.getsockname()[1])


def _check_address(address: str) -> None:
    if address not in LOOPBACK:
        warnings.warn(
            f"The dashboard listens on {address}, reachable from other machines: anyone who "
            f"can reach it reads every record. Set an access token ({TOKEN_ENV} or --token) "
            "or bind to 127.0.0.1.",
            UserWarning,
            stacklevel=3,
        )


def _config(app: Any, address: str, port: int) -> Any:
    return uvicorn.Config(
        app, host=address, port=port, log_level="warning", access_log=False, lifespan="off"
    )


def run_dashboard(
    session: Any = None,
    port: int | None = None,
    address: str = "127.0.0.1",
    force: bool = False,
    token: str | None = None,
) -> str:
    """Serve the dashboard of ``session`` in the background and return its URL.

    Args:
        session: the ``TruSession`` to show; by default ``TruSession()``.
        port: the TCP port; by default a free one.
        address: where to listen. Loopback by default; any other address is reachable
            from other machines and gives a warning.
        force: stop this session's running dashboard first (otherwise its URL is
            returned again).
        token: an access token every request must carry (default: the
            ``SPYGLASS_DASHBOARD_TOKEN`` environment variable, if set).

    Returns:
        The dashboard's URL (with ``?token=`` when a token guards it).
    """
    session = session if session is not None else _default_session()
    with _LOCK:
        running = _RUNNING.get(id(session))
        if running is not None and not force and running.thread.is_alive():
            return running.url
    if running is not None:
        stop_dashboard(session)
    _check_address(address)
    token = token if token is not None else os.environ.get(TOKEN_ENV) or None
    port = port or _free_port(address)
    server = uvicorn.Server(_config(create_app(session, token=token), address, port))
    thread = threading.Thread(target=server.run, name="spyglass-dashboard", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30.0
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError(
                f"The dashboard could not listen on {address}:{port} (is the port in use? "
                "pass another port=, or force=True to replace this session's dashboard)"
            )
        if time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError(f"The dashboard did not start on {address}:{port} within 30 s")
        time.sleep(0.02)
    host = f"[{address}]" if ":" in address else address
    url = f"http://{host}:{port}/" + (f"?token={token}" if token else "")
    with _LOCK:
        _RUNNING[id(session)] = _Running(server, thread, url)
    print(f"Dashboard started at {url}")
    return url


def stop_dashboard(session: Any = None, force: bool = False) -> None:
    """Stop the dashboard of ``session`` (with ``force``, every dashboard of this process).

    Raises:
        RuntimeError: ``session`` has no running dashboard and ``force`` is False.
    """
    with _LOCK:
        if force:
            targets = list(_RUNNING.items())
        else:
            key = id(session) if session is not None else next(reversed(_RUNNING), None)
            if key is None or key not in _RUNNING:
                raise RuntimeError(
                    "No dashboard of this session is running (run_dashboard starts one)."
                )
            targets = [(key, _RUNNING[key])]
        for key, _ in targets:
            del _RUNNING[key]
    for _, running in targets:
        running.server.should_exit = True
        running.thread.join(timeout=10.0)


def serve(session: Any, port: int, address: str, token: str | None) -> None:
    """Serve in the foreground until interrupted (what ``spyglass dashboard`` runs)."""
    _check_address(address)
    uvicorn.Server(_config(create_app(session, token=token), address, port)).run()
