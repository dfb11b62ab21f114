"""A sentence splitter for groundedness: no downloads, no models, no ``eval``.

Splits after ``.``, ``!``, ``?`` (and ``…``) followed by white space and the start of
a new sentence, and at blank lines and list items; keeps decimals (``3.5``), common
abbreviations (``e.g.``, ``Dr.``, ``U.S.``), initials and ellipses inside a sentence.
Good enough to give each claim of an answer its own verdict; it is not a linguist.
"""

from __future__ import annotations

import re

__all__ = ["split_sentences"]

_ABBREVIATIONS = frozenset(
    [
        "e.g",
        "i.e",
        "etc",
        "vs",
        "cf",
        "al",
        "approx",
        "dr",
        "mr",
        "mrs",
        "ms",
        "prof",
        "sr",
        "jr",
        "st",
        "no",
        "fig",
        "eq",
        "inc",
        "ltd",
        "co",
        "corp",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "u.s",
        "u.k",
        "a.m",
        "p.m",
    ]
)
# A candidate boundary: end punctuation (and closing quotes/brackets), then space.
_BOUNDARY = re.compile(r"([.!?…]+[\"')\]]*)\s+(?=[\"'(\[]?[A-Z0-9])")
_BLOCKS = re.compile(r"\n\s*\n|\n(?=\s*(?:[-*•]|\d+[.)])\s)")
_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")


def _ends_with_abbreviation(text: str) -> bool:
    word = text.rsplit(None, 1)[-1] if text.split() else ""
    word = word.rstrip(".").lower().lstrip("(\"'")
    return word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha())


def split_sentences(text: str) -> list[str]:
    """The sentences of `text`, stripped, without empty ones."""
    out: list[str] = []
    for block in _BLOCKS.split(text):
        block = _BULLET.sub("", block).strip()
        if not block:
            continue
        start = 0
        for match in _BOUNDARY.finditer(block):
            end = match.end(1)
            piece = block[start:end]
            if match.group(1).startswith(".") and _ends_with_abbreviation(piece):
                continue
            out.append(" ".join(piece.split()))
            start = match.end()
        rest = " ".join(block[start:].split())
        if rest:
            out.append(rest)
    return out
