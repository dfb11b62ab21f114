"""Importable providers for the serialisation tests (stored data names their module)."""

from __future__ import annotations

from spyglass.providers import Provider


class Lengths(Provider):
    """A user's provider: a setting, and one feedback method."""

    limit: int = 10

    def short_enough(self, text: str) -> float:
        return 1.0 if len(text) <= self.limit else self.limit / len(text)


class Keyed(Provider):
    """A provider that (wrongly) keeps a secret in a field."""

    api_key: str = ""

    def score(self, text: str) -> float:
        return 1.0
