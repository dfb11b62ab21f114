"""A record's calls as a tree with a timeline (the record page's waterfall).

A stored record lists its calls in the order they ended, each with its stack of
``(path, method)`` frames. A call's parent is the call one frame shorter on the same
stack whose time span contains it; a call whose parent was not recorded hangs from the
root. Offsets and widths are percentages of the record's span, for the waterfall bars.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

__all__ = ["CallNode", "call_tree", "fold"]

FOLD_AT = 300
"""Values longer than this (as JSON text) are shown folded."""


@dataclass
class CallNode:
    """One call: where, what, when (as waterfall percentages) and its children."""

    path: str
    method: str
    args: Any
    rets: Any
    error: str | None
    start: datetime | None
    end: datetime | None
    offset: float = 0.0
    width: float = 0.0
    depth: int = 0
    children: list[CallNode] = field(default_factory=list)

    @property
    def ms(self) -> float | None:
        """The call's duration in milliseconds."""
        if self.start is None or self.end is None:
            return None
        return (self.end - self.start).total_seconds() * 1000.0

    def walk(self) -> list[CallNode]:
        """This node and its descendants, depth first, in start order."""
        out = [self]
        for child in self.children:
            out.extend(child.walk())
        return out


def _time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return None


def _frame(frame: Any) -> tuple[str, str]:
    """A stack frame as ``(path, method name)`` text."""
    if not isinstance(frame, dict):
        return str(frame), ""
    path = frame.get("path")
    method = frame.get("method")
    if isinstance(method, dict):
        obj = method.get("obj") or {}
        cls = (obj.get("cls") or {}).get("name", "") if isinstance(obj, dict) else ""
        name = method.get("name", "")
        method = f"{cls}.{name}" if cls else name
    return _path_text(path), str(method or "")


def _path_text(path: Any) -> str:
    if isinstance(path, str):
        return path
    if isinstance(path, dict) and isinstance(path.get("path"), list):
        parts = ["app"] if not path["path"] else []
        for step in path["path"]:
            if isinstance(step, dict) and "attribute" in step:
                parts.append(str(step["attribute"]))
            elif isinstance(step, dict) and "item_or_attribute" in step:
                parts.append(str(step["item_or_attribute"]))
            elif isinstance(step, dict) and "index" in step:
                parts[-1:] = [f"{parts[-1] if parts else ''}[{step['index']}]"]
            else:
                parts.append(json.dumps(step))
        return ".".join(parts)
    return json.dumps(path)


def call_tree(record_json: dict[str, Any]) -> list[CallNode]:
    """The record's calls as a forest (roots first, children in start order)."""
    calls = record_json.get("calls") or []
    nodes: list[tuple[tuple[tuple[str, str], ...], CallNode]] = []
    for call in calls:
        stack = tuple(_frame(f) for f in call.get("stack") or [])
        if not stack:
            continue
        perf = call.get("perf") or {}
        path, method = stack[-1]
        node = CallNode(
            path=path,
            method=method,
            args=call.get("args"),
            rets=call.get("rets"),
            error=call.get("error"),
            start=_time(perf.get("start_time")),
            end=_time(perf.get("end_time")),
        )
        nodes.append((stack, node))
    starts = [n.start for _, n in nodes if n.start]
    ends = [n.end for _, n in nodes if n.end]
    t0 = min(starts) if starts else None
    span = (max(ends) - t0).total_seconds() if t0 and ends else 0.0
    roots: list[CallNode] = []
    for stack, node in nodes:
        parent = _parent(nodes, stack, node)
        (parent.children if parent else roots).append(node)
        if t0 and node.start and node.end and span > 0:
            node.offset = 100.0 * (node.start - t0).total_seconds() / span
            node.width = max(0.5, 100.0 * (node.end - node.start).total_seconds() / span)
    key = _start_key
    roots.sort(key=key)
    for root in roots:
        _finish(root, 0)
    return roots


def _start_key(node: CallNode) -> float:
    return node.start.timestamp() if node.start else 0.0


def _finish(node: CallNode, depth: int) -> None:
    node.depth = depth
    node.children.sort(key=_start_key)
    for child in node.children:
        _finish(child, depth + 1)


def _parent(
    nodes: list[tuple[tuple[tuple[str, str], ...], CallNode]],
    stack: tuple[tuple[str, str], ...],
    node: CallNode,
) -> CallNode | None:
    want = stack[:-1]
    if not want:
        return None
    best = None
    for other_stack, other in nodes:
        if other is node or other_stack != want:
            continue
        timed = node.start and other.start and other.end and node.end
        if timed and not (other.start <= node.start and node.end <= other.end):  # type: ignore[operator]
            continue
        best = other
    return best


def fold(value: Any) -> tuple[str, bool]:
    """A value as display text, and whether it is long enough to show folded."""
    if isinstance(value, str):
        text = value
    else:
        try:
            text = json.dumps(value, indent=2, default=str, ensure_ascii=False)
        except (TypeError, ValueError):
            text = repr(value)
    return text, len(text) > FOLD_AT or text.count("\n") > 8
