"""The errors spyglass raises, in one tree.

Every error subclasses the builtin a user would already catch, so code written
for TruLens (``except KeyError``, ``except ValueError``) keeps working::

    SpyglassError(Exception)
    ├── LensError                        a lens could not select from an object
    │   ├── LensKeyError(KeyError)       a key or attribute is missing
    │   ├── LensIndexError(IndexError)   an index is out of range
    │   └── LensValueError(ValueError)   the object has the wrong shape for the step
    ├── LensParseError(ValueError)       a string is not a lens
    │   └── LensCallError(TypeError)     it calls a method a lens cannot call
    ├── SelectorError(ValueError)        a feedback selector cannot match the app or record
    ├── GuardrailError(ValueError)       a guardrail's feedback gave no score (in spyglass.core.guardrails)
    ├── UnsafeLoadError(ValueError)      stored data asked to import or unpickle untrusted code
    ├── MissingDependencyError(ImportError)  an optional framework is not installed
    ├── RecordingError(RuntimeError)     a recording was used wrongly (no record, several records)
    └── PluginError(RuntimeError)        an adapter plugin is broken or incompatible

Messages name the object at fault and say what to do about it.
"""

from __future__ import annotations

__all__ = [
    "LensCallError",
    "LensError",
    "LensIndexError",
    "LensKeyError",
    "LensParseError",
    "LensValueError",
    "MissingDependencyError",
    "PluginError",
    "RecordingError",
    "SelectorError",
    "SpyglassError",
    "UnsafeLoadError",
]


class SpyglassError(Exception):
    """Base of every error spyglass raises on purpose."""

    def __str__(self) -> str:
        # KeyError quotes its argument in str(); our messages are sentences, keep them readable.
        return str(self.args[0]) if len(self.args) == 1 else super().__str__()


class LensError(SpyglassError):
    """A lens could not select from an object.

    Attributes:
        lens: the lens being evaluated (or ``None`` when a single step failed on its own).
        step: the step that failed.
        available: names, keys or indexes that exist where the step failed.
    """

    def __init__(
        self,
        message: str,
        *,
        lens: object = None,
        step: object = None,
        available: tuple[str, ...] = (),
    ) -> None:
        super().__init__(message)
        self.lens = lens
        self.step = step
        self.available = available


class LensKeyError(LensError, KeyError):
    """A key or attribute named by a lens step does not exist."""


class LensIndexError(LensError, IndexError):
    """An index named by a lens step is out of range."""


class LensValueError(LensError, ValueError):
    """The object a lens step met has the wrong shape for that step."""


class LensParseError(SpyglassError, ValueError):
    """A string could not be parsed as a lens."""


class LensCallError(LensParseError, TypeError):
    """A lens string calls a method other than ``collect`` (or ``attr``).

    A `LensParseError`, and a ``TypeError`` as TruLens raised for it.
    """


class SelectorError(SpyglassError, ValueError):
    """A feedback selector cannot select anything from the app or record."""


class UnsafeLoadError(SpyglassError, ValueError):
    """Stored data asked to import a module or unpickle code that was not allowed."""


class MissingDependencyError(SpyglassError, ImportError):
    """An optional framework is needed but not installed; the message has the pip line."""


class RecordingError(SpyglassError, RuntimeError):
    """A recording was used in a way that cannot give an answer."""


class PluginError(SpyglassError, RuntimeError):
    """An adapter plugin could not be loaded or answered a hook wrongly."""
