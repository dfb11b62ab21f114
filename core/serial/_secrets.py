"""What `jsonify` treats as secret: key names by rule, and values registered at run time.

A dict key, model field or attribute is secret when its name, compared
case-insensitively after turning ``camelCase``, ``-``, ``.`` and spaces into
``snake_case``,

- contains ``password`` or ``passwd``;
- is ``api_key``, ``apikey``, ``secret``, ``authorization``, ``credential(s)`` or
  ``kaggle_key``, or ends in ``_api_key``, ``_apikey``, ``secret_key``, ``access_key``,
  ``private_key``, ``signing_key``, ``_secret``, ``_secrets``, ``_credentials`` or
  ``authorization``;
- ends in ``_token``, unless the word before it is tokenizer or counting vocabulary
  (``bos_token``, ``eos_token``, ``pad_token``, ``max_token``, ... are kept).

``key`` and ``token`` alone are *not* secret: ``key`` is usually data and ``token`` a
streamed piece of text; nor are configuration names such as ``input_key``. So
``OPENAI_API_KEY``, ``apiKey``, ``X-Api-Key``, ``Password``, ``db_password_hash``,
``access_token`` and ``client_secret`` are secret; ``key``, ``token``, ``eos_token``,
``memory_key`` and ``max_tokens`` are not.

Values passed to `register_secret` are redacted wherever they appear as a string, and
inside the texts that carry free-form messages (exception messages, the "could not
determine" texts): `redact_text`. Credentials written into a URL
(``postgresql://user:pw@host/db``) are redacted inside every string: the password
becomes ``__tru_redacted`` (``postgresql://user:__tru_redacted@host/db``).
"""

from __future__ import annotations

import functools
import re

from .._redact import redact_text, redact_urls, secret_values

__all__ = [
    "is_secret_key",
    "redact_text",
    "redact_urls",
    "register_secret",
    "secret_values",
    "unregister_secret",
]


_SECRET_NAMES = frozenset(
    {"api_key", "apikey", "secret", "authorization", "credential", "credentials", "kaggle_key"}
)
_SECRET_SUFFIXES = (
    "_api_key",
    "_apikey",
    "secret_key",
    "access_key",
    "private_key",
    "signing_key",
    "_secret",
    "_secrets",
    "_credentials",
    "authorization",
)
# `<word>_token` names that are tokenizer or counting vocabulary, not credentials.
# fmt: off
_NOT_SECRET_TOKENS = frozenset({
    "bos", "eos", "pad", "unk", "sep", "cls", "mask", "stop", "start", "end", "eot", "eom",
    "new", "next", "last", "first", "special", "max", "min", "num", "n", "total",
    "image", "audio", "video", "system", "user", "assistant", "prompt", "completion",
})
# fmt: on
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SEPARATORS = re.compile(r"[\s.\-]+")


# Read on every dict key jsonify meets: decided once per key, for the 10,000 latest keys.
@functools.lru_cache(maxsize=10_000)
def is_secret_key(key: str) -> bool:
    """Whether the value under a key or attribute named `key` is redacted (rules above)."""
    name = _SEPARATORS.sub("_", _CAMEL.sub("_", key)).lower()
    return (
        "password" in name
        or "passwd" in name
        or name in _SECRET_NAMES
        or name.endswith(_SECRET_SUFFIXES)
        or (name.endswith("_token") and name[:-6].rpartition("_")[2] not in _NOT_SECRET_TOKENS)
    )


def register_secret(value: str) -> None:
    """Redact `value` wherever `jsonify` meets it as a string (when redacting).

    Args:
        value: the secret, e.g. an API key read from the environment; a pydantic
            ``SecretStr`` is accepted too.

    Raises:
        TypeError: `value` is not a string.
        ValueError: `value` is empty (it would redact every empty string).
    """
    getter = getattr(value, "get_secret_value", None)
    if callable(getter) and not isinstance(value, str):
        value = getter()
    if not isinstance(value, str):
        raise TypeError(f"register_secret: expected a str, got {type(value).__name__}.")
    if not value:
        raise ValueError("register_secret: an empty string cannot be a secret.")
    secret_values.add(str.__str__(value))


def unregister_secret(value: str) -> None:
    """Forget a value given to `register_secret` (no error if it was not registered)."""
    secret_values.discard(value)
