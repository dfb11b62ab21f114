"""What judge models cost, per million tokens, in USD.

The table covers common OpenAI models at their list prices when this was written;
prices change, so check yours and :func:`register_price` the models you use
(also self-hosted ones, at 0.0, to say "known and free")::

    from spyglass.providers import register_price

    register_price("my-finetune", input_per_million=0.30, output_per_million=1.20)

A model is looked up by its exact name, then by the longest registered name it
starts with (``gpt-4o-mini-2024-07-18`` is priced as ``gpt-4o-mini``). A model not
in the table costs ``0.0`` USD on the feedback result; its tokens are counted anyway.
"""

from __future__ import annotations

import threading

__all__ = ["price_of", "register_price"]

# model -> (USD per million input tokens, USD per million output tokens)
_PRICES: dict[str, tuple[float, float]] = {
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4o": (2.50, 10.00),
    "gpt-4.1": (2.00, 8.00),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1-nano": (0.10, 0.40),
    "gpt-4-turbo": (10.00, 30.00),
    "gpt-3.5-turbo": (0.50, 1.50),
    "gpt-5": (1.25, 10.00),
    "gpt-5-mini": (0.25, 2.00),
    "gpt-5-nano": (0.05, 0.40),
    "o3-mini": (1.10, 4.40),
    "o4-mini": (1.10, 4.40),
}
_lock = threading.Lock()


def register_price(model: str, input_per_million: float, output_per_million: float) -> None:
    """Set the USD price of `model` per million input and output tokens.

    Args:
        model: the model name, or a prefix of the names it covers.
        input_per_million: USD per million prompt tokens.
        output_per_million: USD per million completion tokens.

    Raises:
        ValueError: a price is negative.
    """
    if input_per_million < 0 or output_per_million < 0:
        raise ValueError(
            f"Prices must not be negative, got {input_per_million}, {output_per_million}."
        )
    with _lock:
        _PRICES[model] = (float(input_per_million), float(output_per_million))


def price_of(model: str) -> tuple[float, float] | None:
    """The (input, output) USD price per million tokens of `model`, or ``None``."""
    with _lock:
        if model in _PRICES:
            return _PRICES[model]
        prefixes = [name for name in _PRICES if model.startswith(name)]
        return _PRICES[max(prefixes, key=len)] if prefixes else None
