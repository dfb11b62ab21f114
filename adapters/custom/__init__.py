"""spyglass adapter for your own Python apps: ``TruApp``, ``TruBasicApp``, ``TruVirtual``.

Usage
-----

Mark the methods to record with :data:`instrument`, wrap the app, and call it::

    from spyglass.adapters.custom import TruApp, instrument

    class Retriever:
        @instrument(retriever=True)       # returns the app's context
        def retrieve(self, query: str) -> list[str]: ...

    class RAG:
        def __init__(self):
            self.retriever = Retriever()

        @instrument
        def respond(self, query: str) -> str: ...

    rag = RAG()
    recorder = TruApp(rag, app_name="rag", app_version="v1")
    with recorder as recording:
        rag.respond("What is a lens?")
    record = recording.get()
    record.get(Select.RecordCalls.retriever.retrieve.rets[:])

    recorder.print_instrumented()          # what is recorded, and where
    TruApp.select_context(rag)             # Select.RecordCalls.retriever.retrieve.rets[:]

A plain function: ``TruBasicApp(fn)``, then call ``recorder.app(...)``. Records made
elsewhere: ``TruVirtual(app=VirtualApp(...))`` and ``add_record(VirtualRecord(...))``.
``spyglass.core.wrap_app(obj)`` picks the right recorder for you.

Configuration
-------------

- ``@instrument`` / ``instrument.method(cls, name)`` / ``instrument.methods(cls, names)``
  register ``(class, method)`` pairs in one registry; instances of subclasses are
  recorded too. Marking changes nothing until a recorder is built.
- ``TruApp(app, methods_to_instrument={bound_method: path})`` records methods of
  objects the walk from ``app`` cannot reach, at the path you give.
- ``main_method=`` names the method ``with_record(app, ...)`` calls.
- ``retriever=`` (a bound method or a lens) tells ``select_context`` where the
  context comes from when no method is marked ``retriever=True``.
- This adapter is the entry point ``custom``; ``SPYGLASS_DISABLE_ADAPTERS=custom``
  turns it off.

API
---

``TruApp``, ``TruBasicApp``, ``TruWrapperApp``, ``TruVirtual``, ``VirtualApp``,
``VirtualRecord``, ``instrument``. ``TruCustomApp`` is ``TruApp``'s deprecated alias
(TruLens 1.3+ deprecated it too): it warns ``DeprecationWarning``. The guardrail
decorators of :mod:`spyglass.core.guardrails` go under ``@instrument`` on a method.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from spyglass.core.plugins import lazy_exports

# module -> the public names it defines; each is imported on first use, so that loading
# the adapter's plugin (`_plugin`) does not import the recorder machinery.
_MODULES: dict[str, tuple[str, ...]] = {
    "spyglass.adapters.custom._basic": ("TruBasicApp", "TruWrapperApp"),
    "spyglass.adapters.custom._custom": ("TruApp", "TruCustomApp"),
    "spyglass.adapters.custom._instrument": ("instrument",),
    "spyglass.adapters.custom._span_marks": ("span_attributes", "span_type_kind"),
    "spyglass.adapters.custom._virtual": ("TruVirtual", "VirtualApp", "VirtualRecord"),
}
_EXPORTS = {name: module for module, names in _MODULES.items() for name in names}

__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports(globals(), _EXPORTS)

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from ._basic import TruBasicApp, TruWrapperApp
    from ._custom import TruApp, TruCustomApp
    from ._instrument import instrument
    from ._span_marks import span_attributes, span_type_kind
    from ._virtual import TruVirtual, VirtualApp, VirtualRecord
