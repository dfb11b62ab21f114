"""How `jsonify` serialises objects with named fields: models, dataclasses, components.

`ObjectForms` is the part of `jsonify`'s serialiser
(:class:`spyglass.core.serial._encoder._Encoder`) that reads an object's fields or
attributes one by one (each read guarded, each redacted by name), adds class info to
app components and applies a class's ``jsonify_extra`` hook. The forms are those of
the table in :mod:`spyglass.core.serial._jsonify`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

from ._classes import CLASS_INFO
from ._secrets import is_secret_key
from ._types import (
    _JSON,
    _PLAIN,
    PROPERTY_ERROR,
    REDACTED,
    _attribute_names,
    _class_info,
    _exception_form,
)

__all__ = ["ObjectForms"]

# The serialiser's logger: what this part logs reads as coming from `jsonify`.
logger = logging.getLogger("spyglass.core.serial._jsonify")


class ObjectForms:
    """The field-by-field forms of `jsonify`'s serialiser (a base of its encoder).

    The encoder provides the settings and the three methods declared here.
    """

    __slots__ = ()

    redact: bool
    skip_specials: bool
    is_component: Callable[[Any], bool] | None

    def encode(self, o: Any, depth: int) -> _JSON:
        """Serialise any value met at ``depth`` (the encoder's)."""
        raise NotImplementedError

    def container(self, o: Any, t: type, depth: int) -> _JSON:
        """Serialise a non-scalar; `_PLAIN` if it has no form (the encoder's)."""
        raise NotImplementedError

    def mapping(self, items: Any, total: int | None, depth: int, exact: bool = False) -> _JSON:
        """Serialise ``(key, value)`` pairs as a dict (the encoder's)."""
        raise NotImplementedError

    def fields(self, o: Any, names: Any, depth: int) -> dict[str, Any]:
        """Named fields of a model or dataclass, each read safely and redacted by name."""
        return {name: self.attribute(o, name, depth) for name in names}

    def attribute(self, o: Any, name: str, depth: int) -> _JSON:
        """Read attribute `name` of `o`; a raising read is recorded, not raised."""
        try:
            value = getattr(o, name)
        except Exception as exc:  # noqa: BLE001 - a raising property is data, not a failure
            return None if self.skip_specials else {PROPERTY_ERROR: _exception_form(exc)}
        if self.redact and value is not None and is_secret_key(name):
            return REDACTED
        return self.encode(value, depth + 1)

    def pydantic(self, o: BaseModel, t: type[BaseModel], depth: int) -> dict[str, Any]:
        """A pydantic model's fields (not ``exclude=True`` ones), extra and computed fields."""
        names = [
            name
            for name, field in t.model_fields.items()
            if not field.exclude and not (self.skip_specials and name == CLASS_INFO)
        ]
        out = self.fields(o, names, depth)
        extra = o.__pydantic_extra__
        if extra:
            out.update(self.mapping(list(extra.items()), len(extra), depth))
        for name in t.model_computed_fields:
            out[name] = self.attribute(o, name, depth)
        return out

    def component(self, o: Any) -> bool:
        """Whether ``o`` is an app component (``is_component``; failing means no)."""
        if self.is_component is None:
            return False
        try:
            return bool(self.is_component(o))
        except Exception:  # noqa: BLE001 - a failing predicate means "not a component"
            return False

    def attributes(self, o: Any, t: type, depth: int) -> dict[str, Any]:
        """A component's attributes and properties (values without a form left out)."""
        out: dict[str, Any] = {}
        try:
            instance_dict = object.__getattribute__(o, "__dict__")
        except Exception:  # noqa: BLE001 - no instance dict
            instance_dict = {}
        for name, is_property in _attribute_names(o, t):
            if is_property:
                out[name] = self.attribute(o, name, depth)
                continue
            if isinstance(instance_dict, dict) and name in instance_dict:
                value = instance_dict[name]
            else:
                try:
                    value = object.__getattribute__(o, name)
                except Exception:  # noqa: BLE001, S112 - an empty slot
                    continue
            if self.redact and value is not None and is_secret_key(name):
                out[name] = REDACTED
                continue
            vt = type(value)
            if vt is str or vt is int or vt is bool or vt is float or value is None:
                out[name] = self.encode(value, depth + 1)
                continue
            encoded = self.container(value, vt, depth + 1)
            if encoded is not _PLAIN:  # a lock, a client, ...: left out, as TruLens does
                out[name] = encoded
        return out

    def finish(self, o: Any, t: type, content: dict[str, Any]) -> _JSON:
        """Add class info to components and apply a ``jsonify_extra(content)`` hook."""
        if not self.skip_specials and CLASS_INFO not in content and self.component(o):
            content[CLASS_INFO] = _class_info(t, with_bases=True)
        extra = getattr(t, "jsonify_extra", None)
        if callable(extra):
            try:
                changed = extra(o, content)
            except Exception as exc:  # noqa: BLE001 - keep the content as it was
                logger.debug("jsonify_extra of %s failed: %r", t, exc)
            else:
                if isinstance(changed, dict):
                    content = changed
        return content
