"""Secret values and the redaction of free-form text, for records and for logs.

The registry of secret values (`register_secret` in :mod:`spyglass.core.serial`) lives
here, below every other layer, because two places need it: the serialiser (any string
equal to a secret is redacted) and spyglass's own log lines (which may quote an
exception message, and so a secret). `RedactingFilter` is added to every logger spyglass
writes problems to (through `LogOnce`, and the loggers that warn directly), so that no
registered secret and no password written in a URL reaches a log.
"""

from __future__ import annotations

import logging
import re

__all__ = ["REDACTED", "RedactingFilter", "guard", "redact_text", "redact_urls", "secret_values"]

REDACTED = "__tru_redacted"
"""What a redacted value becomes (``spyglass.core.serial.REDACTED``)."""

# Registered secret values. Read without a lock: set membership is atomic.
secret_values: set[str] = set()

# `scheme://user:password@`: the password part of a URL's user information (RFC 3986).
_URL_PASSWORD = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*://[^\s/?#@:]*):([^\s/?#@]*)@")


def redact_urls(text: str) -> str:
    """``text`` with the password of every ``scheme://user:password@host`` in it redacted.

    Cheap for texts without an ``@`` (one character search), which most are.
    """
    if "@" not in text or "://" not in text:
        return text
    return _URL_PASSWORD.sub(rf"\1:{REDACTED}@", text)


def redact_text(text: str) -> str:
    """``text`` with every registered secret inside it, and URL passwords, redacted.

    For free-form texts that may quote a secret (exception messages, log lines): it
    looks for each secret inside ``text``, one search per registered secret.
    """
    for secret in tuple(secret_values):
        if secret in text:
            text = text.replace(secret, REDACTED)
    return redact_urls(text)


class RedactingFilter(logging.Filter):
    """Redacts secrets in a log record's message and traceback before any handler sees it.

    The message is formatted once here (``record.args`` cleared) and the traceback
    formatted into ``record.exc_text``, which formatters use as it is; ``exc_info``
    is kept, so handlers still know an exception was logged.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
            redacted = redact_text(message)
            if redacted != message:
                record.msg, record.args = redacted, ()
            if record.exc_info and record.exc_info[1] is not None and not record.exc_text:
                record.exc_text = redact_text(_FORMATTER.formatException(record.exc_info))
        except Exception:  # noqa: BLE001 - a log line is never worth a failure
            # Unchecked, the line might carry a secret: withhold its text, keep the event.
            record.msg, record.args = (
                "spyglass: a log line was withheld (checking it for secrets failed)",
                (),
            )
            record.exc_info = record.exc_text = None
        return True


_FORMATTER = logging.Formatter()
_FILTER = RedactingFilter()


def guard(logger: logging.Logger) -> logging.Logger:
    """Add the redacting filter to ``logger`` (once) and return it."""
    if _FILTER not in logger.filters:
        logger.addFilter(_FILTER)
    return logger
