"""A plugin whose import fails, as one does when its framework is broken."""

from __future__ import annotations

raise ImportError("spyglass_brokenplugin needs a framework that is not installed")
