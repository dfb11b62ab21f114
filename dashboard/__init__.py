"""The spyglass dashboard: look at records, compare app versions, watch evaluation.

Usage::

    from spyglass.core import TruSession
    from spyglass.dashboard import run_dashboard, stop_dashboard

    session = TruSession()
    url = run_dashboard(session)   # serves in the background, returns the URL
    ...
    stop_dashboard(session)

The dashboard reads the database of a ``TruSession`` through the store's public
reader (``session.reader()``, :class:`spyglass.store.Reader`); its only writes are
human feedback (``session.add_feedback``) and the retry of a failed evaluation
(``session.retry_feedback_result``). It listens on 127.0.0.1 unless told
otherwise, and takes an optional access token (``SPYGLASS_DASHBOARD_TOKEN``).
"""

from __future__ import annotations

from ._app import create_app
from ._server import run_dashboard, serve, stop_dashboard

__all__ = ["create_app", "run_dashboard", "serve", "stop_dashboard"]
