"""`Provider`: the base class of everything that scores.

A provider is a pydantic model: its fields are its settings, and they are all that is
stored when a feedback built on one of its methods is saved in a
:class:`~spyglass.core.FeedbackDefinition` (the method is recorded with the
provider's class and fields). Loading the definition, in another process, rebuilds
the provider from those fields and its client finds credentials where the SDK looks
for them (``OPENAI_API_KEY``, ...): keys, clients and model objects are private
attributes, never fields, so they are never stored.

Subclass it for your own feedback::

    from spyglass.providers import Provider

    class Lengths(Provider):
        limit: int = 200

        def short_enough(self, text: str) -> float:
            return 1.0 if len(text) <= self.limit else self.limit / len(text)
"""

from __future__ import annotations

from pydantic import ConfigDict

from spyglass.core.serial import WithClassInfo

__all__ = ["Provider"]


class Provider(WithClassInfo):
    """Base of every provider of feedback functions (serialisable; see the module docs).

    Fields are settings and are stored with a feedback definition; put anything
    secret or not serialisable (API keys, clients, models) in private attributes.
    """

    # extra="forbid": a misspelt or unsupported setting is an error, not silently dropped.
    model_config = ConfigDict(protected_namespaces=(), arbitrary_types_allowed=True, extra="forbid")
