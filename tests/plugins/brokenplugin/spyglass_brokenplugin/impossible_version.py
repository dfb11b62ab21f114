"""A plugin that declares a framework range no installed version satisfies."""

from __future__ import annotations

from spyglass.core import AdapterInfo, hookimpl


@hookimpl
def spyglass_adapter_info() -> AdapterInfo:
    # packaging is a dependency of spyglass, so it is installed, and never this old.
    return AdapterInfo(name="impossible", requires=("packaging<1",))
