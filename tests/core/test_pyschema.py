"""Descriptions of Python entities and their safe loading (as TruLens 1.x)."""

from __future__ import annotations

import functools
import json
import logging
import pickle
import sys

import pydantic
import pytest
from pydantic import BaseModel, SerializeAsAny

from spyglass.core.errors import UnsafeLoadError
from spyglass.core.schema._measures import Cost
from spyglass.core.serial._pyschema import (
    Bindings,
    Class,
    Function,
    FunctionOrMethod,
    Method,
    Module,
    Obj,
    SerialBytes,
    WithClassInfo,
    load_pickled,
    module_allowed,
)

HERE = __name__  # this test module, importable under this name while the tests run


class Plain:
    """A class whose constructor takes no arguments."""

    def greet(self, name: str) -> str:
        return f"hi {name}"

    @classmethod
    def make(cls) -> Plain:
        return cls()

    def __call__(self, x: int) -> int:
        return x + 1


class NeedsArgs:
    """A class whose constructor needs an argument."""

    def __init__(self, x: int) -> None:
        self.x = x


class Model(BaseModel):
    """A pydantic model with a method."""

    a: int = 1
    b: str = "x"

    def double(self) -> int:
        return 2 * self.a


class Outer:
    class Inner:
        pass


def module_function(x: int) -> int:
    return x * 10


class Base(WithClassInfo):
    x: int = 0


class Sub(Base):
    y: int = 1


class Holder(WithClassInfo):
    item: SerializeAsAny[Base]


BUILTINS = {"package_name": "", "module_name": "builtins"}


# ------------------------------------------------------------------ Module, Class


def test_module_of_builtins() -> None:
    """builtins has package name '' (as in TruLens's main_error example)."""
    assert BUILTINS == Module.of_module_name("builtins").model_dump()


def test_module_not_imported_has_no_package() -> None:
    """A module that is not imported is described without importing it."""
    assert {"package_name": None, "module_name": "surely.not.imported"} == Module.of_module_name(
        "surely.not.imported"
    ).model_dump()


def test_class_of_class_without_bases() -> None:
    """A class is {name, module, bases: None} by default."""
    expected = {"name": "ValueError", "module": BUILTINS, "bases": None}
    assert expected == Class.of_class(ValueError).model_dump()


def test_class_with_bases_is_the_whole_mro() -> None:
    """with_bases lists the whole __mro__, itself first, each without bases."""
    names = [b.name for b in Class.of_class(ValueError, with_bases=True).bases or []]
    assert ["ValueError", "Exception", "BaseException", "object"] == names


def test_class_repr_and_str() -> None:
    """repr is module.Name and str is Name(module)."""
    cls = Class.of_class(ValueError)
    assert ("builtins.ValueError", "ValueError(builtins)") == (repr(cls), str(cls))


def test_class_of_object_uses_the_type() -> None:
    """Class.of_object describes type(obj)."""
    assert Class.of_class(Plain) == Class.of_object(Plain())


def test_nested_class_name_is_qualname() -> None:
    """A nested class is named by its qualname, so it can be loaded back."""
    cls = Class.of_class(Outer.Inner)
    assert ("Outer.Inner", Outer.Inner) == (cls.name, cls.load(allowed_modules=[HERE]))


def test_class_load_refuses_unlisted_module() -> None:
    """Loading a class from a module that is not allowed raises UnsafeLoadError."""
    with pytest.raises(UnsafeLoadError, match=rf"allowed_modules=\['{HERE}'\]"):
        Class.of_class(Plain).load()


def test_class_load_accepts_allowed_module() -> None:
    """A module listed in allowed_modules is loaded."""
    assert Plain is Class.of_class(Plain).load(allowed_modules=[HERE])


def test_class_load_accepts_spyglass_modules() -> None:
    """Modules under spyglass are always allowed."""
    assert Cost is Class.of_class(Cost).load()


def test_class_load_never_imports_refused_module() -> None:
    """A refused module is not imported at all."""
    info = Class(name="X", module=Module(module_name="antigravity"))
    with pytest.raises(UnsafeLoadError):
        info.load()
    assert "antigravity" not in sys.modules


@pytest.mark.parametrize(
    ("module", "allowed", "expected"),
    [
        ("spyglass.core.lens._lens", (), True),
        ("myapp", ["myapp"], True),
        ("myapp.feedbacks", ["myapp"], True),
        ("myapp.feedbacks", ["myapp."], True),
        ("myapplication", ["myapp"], False),
        ("myapp", "myapp", True),
        ("os", ["myapp"], False),
        ("spyglassx", (), False),
    ],
)
def test_module_allowed_is_a_dotted_prefix_match(
    module: str, allowed: object, expected: bool
) -> None:
    """Allowed modules match whole dotted prefixes; a str is one prefix."""
    assert expected == module_allowed(module, allowed)  # type: ignore[arg-type]


def test_local_class_cannot_be_loaded() -> None:
    """A class defined in a function cannot be loaded; the error says why."""

    class Local:
        pass

    with pytest.raises(ImportError, match="inside a function"):
        Class.of_class(Local).load(allowed_modules=[HERE])


# --------------------------------------------------------------------------- Obj


def test_obj_of_object() -> None:
    """An Obj has its class, its id and no init bindings by default."""
    obj = Plain()
    expected = {"cls": Class.of_class(Plain).model_dump(), "id": id(obj), "init_bindings": None}
    assert expected == Obj.of_object(obj).model_dump()


def test_loadable_pydantic_object_round_trip() -> None:
    """A loadable pydantic object records its fields and loads back equal."""
    obj = Obj.of_object(Model(a=3, b="y"), loadable=True)
    assert (Bindings(kwargs={"a": 3, "b": "y"}), Model(a=3, b="y")) == (
        obj.init_bindings,
        obj.load(allowed_modules=[HERE]),
    )


def test_loadable_exception_records_args() -> None:
    """A loadable exception records its args."""
    assert (
        Bindings(args=["bad", 3])
        == Obj.of_object(ValueError("bad", 3), loadable=True).init_bindings
    )


def test_loadable_no_arg_object() -> None:
    """An object whose constructor takes nothing records empty bindings and loads."""
    obj = Obj.of_object(Plain(), loadable=True)
    assert (Bindings(), Plain) == (obj.init_bindings, type(obj.load(allowed_modules=[HERE])))


def test_object_needing_args_is_not_loadable() -> None:
    """An object whose constructor needs arguments cannot be made loadable."""
    with pytest.raises(RuntimeError, match="constructor needs arguments"):
        Obj.of_object(NeedsArgs(1), loadable=True)


def test_local_object_is_not_loadable() -> None:
    """An object of a class defined in a function cannot be made loadable."""

    class Local:
        pass

    with pytest.raises(RuntimeError, match="defined in"):
        Obj.of_object(Local(), loadable=True)


def test_obj_without_bindings_does_not_load() -> None:
    """An Obj described without loadable=True cannot be loaded; the error says how."""
    with pytest.raises(RuntimeError, match="loadable=True"):
        Obj.of_object(Plain()).load(allowed_modules=[HERE])


# ------------------------------------------------------------ Method, Function


def test_bound_method_is_a_method() -> None:
    """A bound method becomes Method {obj, name}, in TruLens's frame form (§3.1)."""
    obj = Plain()
    described = FunctionOrMethod.of_callable(obj.greet)
    expected = {"obj": Obj.of_object(obj).model_dump(), "name": "greet"}
    assert (Method, expected) == (type(described), described.model_dump())


def test_method_loads_as_a_bound_method_of_a_new_object() -> None:
    """A loadable method loads as the same method of a rebuilt object."""
    described = Method.of_method(Model(a=4).double, loadable=True)
    assert 8 == described.load(allowed_modules=[HERE])()


def test_module_function_is_a_function() -> None:
    """A module-level function becomes Function {module, cls: None, name} and loads back."""
    described = FunctionOrMethod.of_callable(module_function)
    assert (Function, "module_function", None, module_function) == (
        type(described),
        described.name,
        described.cls,  # type: ignore[union-attr]
        described.load(allowed_modules=[HERE]),
    )


def test_function_load_refuses_unlisted_module() -> None:
    """Loading a function from a module that is not allowed raises UnsafeLoadError."""
    described = FunctionOrMethod.of_callable(json.dumps)
    with pytest.raises(UnsafeLoadError, match="'json'"):
        described.load()


def test_classmethod_is_a_function_on_its_class() -> None:
    """A classmethod is a Function with its class and loads back (TruLens never got here, §8.9)."""
    described = FunctionOrMethod.of_callable(Plain.make)
    loaded = described.load(allowed_modules=[HERE])
    assert (Function, "Plain", Plain) == (
        type(described),
        described.cls.name,  # type: ignore[union-attr]
        type(loaded()),
    )


def test_partial_is_described_by_its_function() -> None:
    """A functools.partial is described by the function it wraps."""
    described = FunctionOrMethod.of_callable(functools.partial(module_function, 2))
    assert "module_function" == described.name


def test_builtin_function() -> None:
    """A builtin function is a Function in builtins."""
    assert ("builtins", "len") == (
        FunctionOrMethod.of_callable(len).module.module_name,  # type: ignore[union-attr]
        FunctionOrMethod.of_callable(len).name,
    )


def test_callable_object_is_its_call_method() -> None:
    """An object with __call__ is the Method __call__ of that object."""
    obj = Plain()
    described = FunctionOrMethod.of_callable(obj)
    assert (Method, "__call__", id(obj)) == (type(described), described.name, described.obj.id)  # type: ignore[union-attr]


def test_loadable_local_function_is_refused() -> None:
    """A function defined in a function cannot be made loadable."""

    def local() -> None:
        pass

    with pytest.raises(RuntimeError, match="defined in a function"):
        Function.of_function(local, loadable=True)


def test_function_or_method_dispatch() -> None:
    """FunctionOrMethod.model_validate: `obj` key -> Method, `cls` key -> Function."""
    method = FunctionOrMethod.of_callable(Plain().greet).model_dump()
    function = FunctionOrMethod.of_callable(module_function).model_dump()
    assert (Method, Function) == (
        type(FunctionOrMethod.model_validate(method)),
        type(FunctionOrMethod.model_validate(function)),
    )


def test_function_or_method_dispatch_rejects_other_data() -> None:
    """Data with neither key is a ValueError that says what was expected."""
    with pytest.raises(ValueError, match="`obj` key"):
        FunctionOrMethod.model_validate({"name": "f"})


@pytest.mark.parametrize(
    "model",
    [
        Module.of_module_name("json"),
        Class.of_class(ValueError, with_bases=True),
        Obj.of_object(Model(a=2), loadable=True),
        Method.of_method(Plain().greet),
        Function.of_function(module_function),
        FunctionOrMethod.of_callable(Plain.make),
    ],
    ids=lambda m: type(m).__name__,
)
def test_json_round_trip(model: BaseModel) -> None:
    """Every description survives model_dump_json / model_validate_json."""
    assert model == type(model).model_validate_json(model.model_dump_json())


# ------------------------------------------------------------------ WithClassInfo


def test_class_info_is_filled_in() -> None:
    """A new WithClassInfo instance records its own class, with bases."""
    assert Class.of_class(Sub, with_bases=True) == Sub().tru_class_info


def test_base_validate_loads_the_recorded_subclass() -> None:
    """Base.model_validate returns the recorded subclass when its module is allowed."""
    data = json.loads(Sub(x=2, y=3).model_dump_json())
    loaded = Base.model_validate(data, context={"allowed_modules": [HERE]})
    assert Sub(x=2, y=3) == loaded


def test_load_with_allowed_modules() -> None:
    """WithClassInfo.load(data, allowed_modules=...) loads the recorded subclass."""
    assert Sub(x=5) == Base.load(Sub(x=5).model_dump(), allowed_modules=HERE)


def test_base_validate_refuses_unlisted_module() -> None:
    """A recorded class in a module that is not allowed raises UnsafeLoadError."""
    with pytest.raises(UnsafeLoadError, match=HERE):
        Base.model_validate(Sub().model_dump())


def test_nested_fields_load_their_recorded_classes() -> None:
    """Nested WithClassInfo fields are loaded as their recorded subclasses too."""
    holder = Holder(item=Sub(x=1, y=9))
    assert holder == Holder.load(json.loads(holder.model_dump_json()), allowed_modules=[HERE])


def test_nested_unlisted_module_is_refused() -> None:
    """A nested recorded class in a refused module fails validation, naming the module."""
    data = Holder(item=Sub()).model_dump()
    data["tru_class_info"] = Class.of_class(Holder, with_bases=True).model_dump()
    with pytest.raises(pydantic.ValidationError, match="Refusing to import"):
        Holder.model_validate(data, context={"allowed_modules": ["spyglass"]})


def test_same_class_needs_no_import() -> None:
    """Validating data recorded for the class itself imports nothing."""
    assert Base(x=3) == Base.model_validate(Base(x=3).model_dump())


def test_missing_recorded_class_loads_as_base(caplog: pytest.LogCaptureFixture) -> None:
    """A recorded class that no longer exists loads as the base class, with a log line."""
    data = Sub(x=4).model_dump()
    data["tru_class_info"]["name"] = "Gone"
    with caplog.at_level(logging.WARNING, logger="spyglass.core.serial._pyschema"):
        loaded = Base.model_validate(data, context={"allowed_modules": [HERE]})
    assert (Base, 4, True) == (type(loaded), loaded.x, "Gone" in caplog.text)


def test_init_keeps_the_constructed_class() -> None:
    """Constructing Base(**data) never turns into another class."""
    assert Base is type(Base(**Sub().model_dump()))


# ------------------------------------------------------------------ pickles


def test_serial_bytes_json_is_base64() -> None:
    """SerialBytes dumps as {"data": base64} and loads back from it."""
    serial = SerialBytes(data=b"\x00\xffabc")
    assert ('{"data":"AP9hYmM="}', serial) == (
        serial.model_dump_json(),
        SerialBytes.model_validate_json(serial.model_dump_json()),
    )


def test_serial_bytes_rejects_bad_base64() -> None:
    """A string that is not base64 is a validation error."""
    with pytest.raises(pydantic.ValidationError):
        SerialBytes.model_validate({"data": "not base64!"})


def test_pickle_refused_without_trust() -> None:
    """load_pickled refuses unless trust=True, saying how to trust."""
    with pytest.raises(UnsafeLoadError, match="trust=True"):
        load_pickled(pickle.dumps([1, 2]))


def test_pickle_loaded_with_trust() -> None:
    """With trust=True the data is unpickled (also from a SerialBytes)."""
    data = pickle.dumps({"a": [1, 2]})
    assert ({"a": [1, 2]}, {"a": [1, 2]}) == (
        load_pickled(data, trust=True),
        load_pickled(SerialBytes(data=data), trust=True),
    )
