"""``ToyRecorder``: the recorder for toy pipelines (imported only when one is wrapped)."""

from __future__ import annotations

from typing import Any

from spyglass.core import App


class ToyRecorder(App):
    """Records a :class:`~spyglass_toyframework.framework.ToyPipeline`; main method ``run``."""

    def default_main_method(self) -> Any:
        """``pipeline.run``: what ``with_record(pipeline, ...)`` calls."""
        return self.app.run
