"""The adapter contract suite: check that a spyglass adapter records its framework right.

An adapter package (built into spyglass or third-party) runs the suite on its own
example apps, from its own tests::

    from spyglass.testing import AdapterContract


    class TestToyAdapter(AdapterContract):
        example_inputs = ("Where is Paris?",)
        instrumented_methods = [(ToyPipeline, "run"), (ToyLLM, "generate")]

        def make_app(self):
            return ToyPipeline(ToyRetriever(DOCS), ToyLLM())

        def call(self, app, input):
            return app.run(input)

Every ``test_*`` method of `AdapterContract` checks one rule of the contract (one whole
record per call, sync, async, streamed and threaded; results unchanged by recording;
``print_instrumented`` and ``uninstrument`` honest) and fails with a message in
adapter-author terms. `check_plugin` validates a plugin's hookimpls and
``AdapterInfo`` on their own. See ``docs/contract-suite.md``.

This package needs pytest (``pip install 'spyglass[testing]'``); ``import spyglass``
and ``spyglass.core`` never import it.
"""

from __future__ import annotations

try:
    import pytest as _pytest  # noqa: F401 - fail early, with the install line
except ImportError as _exc:  # pragma: no cover - pytest is installed wherever tests run
    raise ImportError(
        "spyglass.testing needs pytest: pip install 'spyglass[testing]' "
        "(or 'spyglass[dev]' in a checkout)"
    ) from _exc

from ._contract import AdapterContract
from ._plugin_check import check_plugin, find_plugin, plugin_problems

__all__ = [
    "AdapterContract",
    "check_plugin",
    "find_plugin",
    "plugin_problems",
]
