"""Class paths: resolve_class finds only classes whose module is imported; mro_match picks the most specific."""

from __future__ import annotations

import collections
import sys

from spyglass.core._classpath import class_path, mro_match, resolve_class


class Outer:
    class Inner:
        pass


class Base:
    pass


class Child(Base):
    pass


def test_class_path_is_module_colon_qualname() -> None:
    """class_path names a nested class by module and qualname, with the separator asked for."""
    assert (f"{__name__}:Outer.Inner", f"{__name__}.Outer.Inner") == (
        class_path(Outer.Inner),
        class_path(Outer.Inner, "."),
    )


def test_resolve_class_reads_colon_and_dotted_paths() -> None:
    """Both path spellings of an imported class resolve to it; a class resolves to itself."""
    assert [collections.OrderedDict] * 3 == [
        resolve_class("collections:OrderedDict"),
        resolve_class("collections.OrderedDict"),
        resolve_class(collections.OrderedDict),
    ]


def test_resolve_class_never_imports() -> None:
    """A path into a module that is not imported resolves to None and stays unimported."""
    name = "spyglass_test_never_imported_module"
    assert (None, False) == (resolve_class(f"{name}:Thing"), name in sys.modules)


def test_resolve_class_rejects_non_classes() -> None:
    """A path naming a function or a missing attribute resolves to None."""
    assert [None, None] == [resolve_class("os.path:join"), resolve_class("collections:Nope")]


def test_mro_match_prefers_the_most_specific_class() -> None:
    """mro_match returns the first path of the MRO that is in the table, else None."""
    table = {class_path(Base): "base", class_path(Child): "child"}
    assert (class_path(Child), class_path(Base), None) == (
        mro_match(Child, table),
        mro_match(Base, {class_path(Base)}),
        mro_match(Outer, table),
    )
