"""Reading a lens from its string form: ``Lens.of_string``.

A small recursive-descent parser (no ``ast``): exact, and fast enough to read stored
feedback definitions in bulk. Results are cached; lenses are immutable.

Grammar (spaces are allowed between tokens)::

    lens      := ""  |  head trailer*
    head      := NAME                       GetItemOrAttribute (a bare name)
               | trailer
    trailer   := "." NAME                   GetItemOrAttribute
               | "." STRING                 GetItemOrAttribute, any name: ."x y"   (extension)
               | "." "attr" "(" STRING ")"  GetAttribute: .attr('a')             (extension)
               | "." "collect" "(" ... ")"  Collect; arguments are ignored with a warning
               | "[" subscript "]"
    subscript := INT                        GetIndex: [3], [-1]
               | STRING                     GetItem: ['k']
               | INT? ":" INT? (":" INT?)?  GetSlice: [1:3], [-2:], [::2]
               | INT ("," INT)* ","?        GetIndices: [1,3], [1,]  (also at the head)
               | STRING ("," STRING)* ","?  GetItems: ['a','b'], ['a',]
               | ""                         GetIndices(()): []
    INT       := "-"? DIGITS | "-"? "True" | "-"? "False"     (True is 1, as in Python)
    STRING    := a Python string literal in ' or " with Python's escapes
    NAME      := a Python identifier

This reads every lens string TruLens printed with the meaning TruLens gave it. Two
TruLens quirks are not kept: ``a[-1]`` parses (TruLens on Python >= 3.9 failed), and a
leading ``[1,]`` is ``GetIndices((1,))`` (TruLens read a leading list literal ``[1,]``
as ``GetIndex(1)``, but never printed one).
"""

from __future__ import annotations

import functools
import unicodedata
import warnings

from ..errors import LensCallError, LensParseError
from ._steps import (
    Collect,
    GetAttribute,
    GetIndex,
    GetIndices,
    GetItem,
    GetItemOrAttribute,
    GetItems,
    GetSlice,
    Step,
    quote_name,
)

__all__ = ["parse"]

# Characters that end a name; a run of anything else is checked with str.isidentifier.
_STOP = frozenset(".[](),:'\"")
_SIMPLE_ESCAPES = {
    "\\": "\\", "'": "'", '"': '"', "n": "\n", "r": "\r", "t": "\t",
    "a": "\a", "b": "\b", "f": "\f", "v": "\v", "\n": "",
}  # fmt: skip
_HEX_ESCAPES = {"x": 2, "u": 4, "U": 8}
# The longest index the grammar reads (Python reads at most 4300 digits by default).
_MAX_DIGITS = 4000


@functools.lru_cache(maxsize=4096)
def parse(s: str) -> tuple[Step, ...]:
    """The steps of the lens string ``s`` (see the module docstring for the grammar).

    Raises:
        LensParseError: ``s`` is not a lens.
        TypeError: ``s`` calls a method other than ``collect`` or ``attr``.
    """
    if not isinstance(s, str):
        raise TypeError(f"A lens string must be a str, not {type(s).__name__}.")
    return _Parser(s).lens()


class _Parser:
    def __init__(self, s: str) -> None:
        self.s = s
        self.i = 0

    # ------------------------------------------------------------------ helpers

    def error(self, what: str, at: int | None = None) -> LensParseError:
        at = self.i if at is None else at
        return LensParseError(
            f"Failed to parse expression `{self.s}` as a `Lens` at position {at}: {what}.\n"
            f"    {self.s}\n    {' ' * at}^"
        )

    def peek(self) -> str:
        self.skip_space()
        return self.s[self.i] if self.i < len(self.s) else ""

    def skip_space(self) -> None:
        s, i = self.s, self.i
        while i < len(s) and s[i].isspace():
            i += 1
        self.i = i

    def expect(self, char: str) -> None:
        if self.peek() != char:
            found = f"`{self.s[self.i]}`" if self.i < len(self.s) else "the end"
            raise self.error(f"expected `{char}` but found {found}")
        self.i += 1

    # ------------------------------------------------------------------ lens

    def lens(self) -> tuple[Step, ...]:
        steps: list[Step] = []
        first = self.peek()
        if not first:
            return ()
        if first not in ".[":
            start = self.i
            name = self.name()
            if self.peek() == "(":
                raise self.error(
                    f"`{name}(...)` calls nothing; write `.collect()` after a lens", start
                )
            steps.append(GetItemOrAttribute(item_or_attribute=name))
        while True:
            char = self.peek()
            if not char:
                return tuple(steps)
            if char == ".":
                self.i += 1
                steps.append(self.dotted())
            elif char == "[":
                self.i += 1
                steps.append(self.subscript())
            else:
                raise self.error(f"expected `.` or `[` but found `{char}`")

    def name(self) -> str:
        s, start = self.s, self.i
        i = start
        while i < len(s) and s[i] not in _STOP and not s[i].isspace():
            i += 1
        name = s[start:i]
        if not name:
            raise self.error("expected a name", start)
        if not name.isidentifier():
            raise self.error(
                f"`{name}` is not an identifier; quote such a name: .{quote_name(name)}",
                start,
            )
        self.i = i
        return name

    def dotted(self) -> Step:
        if self.peek() in ("'", '"'):
            return GetItemOrAttribute(item_or_attribute=self.string())
        name = self.name()
        if self.peek() != "(":
            return GetItemOrAttribute(item_or_attribute=name)
        self.i += 1
        if name == "collect":
            if self.call_arguments():
                warnings.warn(
                    f"Arguments to `.collect()` in lens `{self.s}` are ignored.",
                    UserWarning,
                    stacklevel=5,  # the caller of Lens.of_string
                )
            return Collect()
        if name == "attr":
            if self.peek() not in ("'", '"'):
                raise self.error("`.attr(...)` takes one string, the attribute name")
            attribute = self.string()
            self.expect(")")
            return GetAttribute(attribute=attribute)
        raise LensCallError(
            f"`{name}` is not a handled call for paths. In lens `{self.s}`, only "
            "`.collect()` (and spyglass's `.attr('name')`) can be called."
        )

    def call_arguments(self) -> bool:
        """Skips to the matching `)`; says whether there was anything in between."""
        depth, start = 1, self.i
        while True:
            char = self.peek()
            if not char:
                raise self.error("unclosed `(`")
            if char in ("'", '"'):
                self.string()
                continue
            self.i += 1
            if char == "(":
                depth += 1
            elif char == ")":
                depth -= 1
                if depth == 0:
                    return bool(self.s[start : self.i - 1].strip())

    # ------------------------------------------------------------------ subscripts

    def subscript(self) -> Step:
        start = self.i - 1  # the `[`
        if self.peek() == "]":
            self.i += 1
            return GetIndices(indices=())
        if self.peek() == ":":
            return self.slice(None)
        first = self.atom()
        char = self.peek()
        if char == ":":
            if not isinstance(first, int):
                raise self.error("a slice bound must be an integer")
            return self.slice(first)
        if char == "]":
            self.i += 1
            if isinstance(first, int):
                return GetIndex(index=first)
            return GetItem(item=first)
        if char != ",":
            raise self.error("expected `]`, `,` or `:`")
        atoms: list[int | str] = [first]
        while self.peek() == ",":
            self.i += 1
            if self.peek() == "]":
                break
            atoms.append(self.atom())
        self.expect("]")
        if all(isinstance(a, int) for a in atoms):
            return GetIndices(indices=tuple(atoms))
        if all(isinstance(a, str) for a in atoms):
            return GetItems(items=tuple(atoms))
        raise self.error("mixing indexes and keys in one `[...]` is not allowed", start)

    def slice(self, start: int | None) -> GetSlice:
        bounds: list[int | None] = [start]
        while self.peek() == ":" and len(bounds) < 3:
            self.i += 1
            bounds.append(None if self.peek() in (":", "]") else self.integer())
        self.expect("]")
        return GetSlice(
            start=bounds[0], stop=bounds[1], step=bounds[2] if len(bounds) > 2 else None
        )

    def atom(self) -> int | str:
        return self.string() if self.peek() in ("'", '"') else self.integer()

    def integer(self) -> int:
        sign = 1
        if self.peek() == "-":
            sign = -1
            self.i += 1
        self.skip_space()
        s, start = self.s, self.i
        for word, value in (("True", 1), ("False", 0)):
            if s.startswith(word, start):
                self.i += len(word)
                return sign * value
        i = start
        while i < len(s) and (s[i] in "0123456789_"):
            i += 1
        digits = s[start:i]
        if not digits or not digits[0].isdigit() or digits.endswith("_") or "__" in digits:
            raise self.error("expected an integer or a quoted string", start)
        if i - start > _MAX_DIGITS:
            # Python refuses to read longer integers (its int-to-str limit); no index is
            # that large anyway.
            raise self.error(f"an index has more than {_MAX_DIGITS} digits", start)
        self.i = i
        return sign * int(digits)

    def string(self) -> str:
        s = self.s
        quote, start = s[self.i], self.i
        i = start + 1
        out: list[str] = []
        while True:
            j = i
            while j < len(s) and s[j] != quote and s[j] != "\\":
                j += 1
            out.append(s[i:j])
            if j >= len(s):
                raise self.error("unterminated string", start)
            if s[j] == quote:
                self.i = j + 1
                return "".join(out)
            i = self.escape(j + 1, out)

    def escape(self, i: int, out: list[str]) -> int:
        """Decodes the escape after the backslash at ``i - 1``; returns where to go on."""
        s = self.s
        if i >= len(s):
            raise self.error("unterminated string", i - 1)
        char = s[i]
        if char in _SIMPLE_ESCAPES:
            out.append(_SIMPLE_ESCAPES[char])
            return i + 1
        if char in _HEX_ESCAPES:
            width = _HEX_ESCAPES[char]
            digits = s[i + 1 : i + 1 + width]
            if len(digits) != width or not all(c in "0123456789abcdefABCDEF" for c in digits):
                raise self.error(f"bad `\\{char}` escape", i - 1)
            code = int(digits, 16)
            if code > 0x10FFFF:
                raise self.error(f"`\\{char}{digits}` is not a character", i - 1)
            out.append(chr(code))
            return i + 1 + width
        if char in "01234567":
            j = i
            while j < len(s) and j < i + 3 and s[j] in "01234567":
                j += 1
            out.append(chr(int(s[i:j], 8)))
            return j
        if char == "N":
            end = s.find("}", i + 2) if s.startswith("{", i + 1) else -1
            try:
                named = unicodedata.lookup(s[i + 2 : end]) if end >= 0 else None
            except KeyError:
                named = None
            if named is None:
                raise self.error("bad `\\N{...}` escape", i - 1)
            out.append(named)
            return end + 1
        out.append("\\" + char)  # Python keeps unknown escapes as written
        return i + 1
