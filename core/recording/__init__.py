"""Recording: the recorder base class, ``with recorder as recording:`` blocks, records built.

`App` is the base of every recorder (``TruChain``, ``TruLlama``, ``TruCustomApp``): it
walks the app, has its methods instrumented, and hands each finished record to its
sinks. The hot path (:mod:`._calls`) keeps a call stack per root call on the app's
thread; records are built from it (:mod:`._build`) when first read, or at once when
feedbacks need them.
"""

from __future__ import annotations

from ._app import App, HybridMethod
from ._block import Recording
from ._calls import MAX_STREAM_ITEMS, record_call
from ._streams import StreamTee

__all__ = ["MAX_STREAM_ITEMS", "App", "HybridMethod", "Recording", "StreamTee", "record_call"]
