"""`AppDefinition`: the serialisable part of a recorded app.

The recorder (:class:`spyglass.core.recording._app.App`) is a plain object that holds one as
``App.definition`` and keeps the runtime state (the wrapped object, recordings,
pending feedback) beside it.

Loading stored definitions is safe by default: the class named in ``tru_class_info`` is
imported only if it lives under ``spyglass.`` or in a module the caller allows, and a
pickled app loader (``initial_app_loader_dump``) is never unpickled unless the caller
passes ``trust_pickle=True``.
"""

from __future__ import annotations

import logging
import pickle
import threading
import warnings
import weakref
from collections.abc import Callable, Iterable
from typing import Any, ClassVar

from pydantic import Field, field_validator, model_validator

from ..errors import UnsafeLoadError
from ..lens._lens import Lens
from ..lens._select import Select
from ..serial._pyschema import (
    Class,
    FunctionOrMethod,
    SerialBytes,
    WithClassInfo,
    load_pickled,
)
from ._enums import FeedbackMode, RecordIngestMode
from ._ids import app_id_of

__all__ = ["AppDefinition"]

logger = logging.getLogger(__name__)

# Definitions built in this process that carry an app loader, by app id (weak: a
# definition that is gone is no longer loadable). The schema layer sits below the store,
# so it answers `get_loadable_apps` from this process; the store lists stored ones.
_LOADABLE: weakref.WeakValueDictionary[str, AppDefinition] = weakref.WeakValueDictionary()
_LOADABLE_LOCK = threading.Lock()


class AppDefinition(WithClassInfo):
    """The serialised fields of an app; `App` holds the rest.

    Attributes:
        tru_class_info: class of this object, used to load it back (with bases).
        app_id: computed from `app_name` and `app_version`; read-only. Passing a
            different ``app_id`` is deprecated: it is kept, with a `DeprecationWarning`.
        app_name: name of the app; default ``"default_app"``.
        app_version: version of the app; default ``"base"``.
        tags: tags of the app; ``None`` becomes ``"-"``.
        metadata: metadata of the app.
        feedback_definitions: ids of the feedbacks evaluated on each record.
        feedback_mode: when feedbacks are evaluated.
        record_ingest_mode: how records are stored.
        root_class: class of the wrapped app object (without bases).
        app: the wrapped app as JSON.
        initial_app_loader_dump: a pickled function returning the app in its
            initial state (experimental); never unpickled without ``trust_pickle=True``.
        app_extra_json: extra data merged into `app` when serialised.
        selector_check_warning: report selector-check failures as warnings, not errors.
        selector_nocheck: skip the selector check.
    """

    root_callable: ClassVar[FunctionOrMethod | None] = None
    """The app's main method; filled in by subclasses that have one."""

    app_id: str = Field(frozen=True)
    app_name: str = "default_app"
    app_version: str = "base"
    tags: str = "-"
    metadata: dict[str, Any] = Field(default_factory=dict)
    feedback_definitions: list[str] = Field(default_factory=list)
    feedback_mode: FeedbackMode = FeedbackMode.WITH_APP_THREAD
    record_ingest_mode: RecordIngestMode = RecordIngestMode.IMMEDIATE
    root_class: Class
    app: Any = Field(default_factory=dict)
    initial_app_loader_dump: SerialBytes | None = None
    app_extra_json: Any = Field(default_factory=dict)
    selector_check_warning: bool = False
    selector_nocheck: bool = False

    @model_validator(mode="before")
    @classmethod
    def _compute_app_id(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        given = data.get("app_id")
        if data.get("app_name") is None:
            data["app_name"] = str(given) if given is not None else "default_app"
        if data.get("app_version") is None:
            data["app_version"] = "base"
        computed = app_id_of(data["app_name"], data["app_version"])
        if given is None:
            data["app_id"] = computed
        elif given != computed:
            warnings.warn(
                f"`app_id` {given!r} differs from the id computed from app_name "
                f"{data['app_name']!r} and app_version {data['app_version']!r} ({computed!r}). "
                "Passing `app_id` is deprecated: pass `app_name` and `app_version` instead.",
                DeprecationWarning,
                stacklevel=2,
            )
        return data

    @field_validator("tags", mode="before")
    @classmethod
    def _tags_default(cls, value: Any) -> Any:
        return "-" if value is None else value

    def model_post_init(self, context: Any, /) -> None:
        """Register definitions that carry an app loader (see `get_loadable_apps`)."""
        super().model_post_init(context)
        if self.initial_app_loader_dump is not None:
            with _LOADABLE_LOCK:
                _LOADABLE[self.app_id] = self

    def jsonify_extra(self, content: dict[str, Any]) -> dict[str, Any]:
        """Merge `app_extra_json` into the serialised ``app`` (TruLens's hook for jsonify)."""
        app = content.get("app")
        if isinstance(app, dict) and isinstance(self.app_extra_json, dict):
            app.update(self.app_extra_json)
        return content

    # ---------------------------------------------------------------- loading

    @staticmethod
    def load(
        obj: dict[str, Any],
        *,
        allowed_modules: Iterable[str] = (),
        trust_pickle: bool = False,
    ) -> AppDefinition:
        """Load a stored definition as the class recorded in its ``tru_class_info``.

        Args:
            obj: the JSON of an `AppDefinition` (or subclass).
            allowed_modules: module prefixes, besides ``spyglass.``, whose classes may
                be imported to load `obj`.
            trust_pickle: run the pickled ``initial_app_loader_dump`` (if any) and
                pass the app it returns as ``app``. Unpickling runs arbitrary code:
                only for data you produced yourself.

        Raises:
            UnsafeLoadError: the recorded class is in a module that is not allowed.
        """
        data = dict(obj)
        if trust_pickle and data.get("initial_app_loader_dump") is not None:
            data["app"] = _run_loader(data["initial_app_loader_dump"], trust_pickle=True)
        return _validate(data, allowed_modules)

    @classmethod
    def model_validate(cls, obj: Any, *args: Any, **kwargs: Any) -> Any:
        """Validate `obj`, loading nested objects as the classes recorded in them.

        Recorded classes are imported only from ``spyglass.*`` and from the module
        prefixes passed as ``context={"allowed_modules": [...]}``; any other module
        raises `UnsafeLoadError`.
        """
        return super().model_validate(obj, *args, **kwargs)

    @staticmethod
    def continue_session(
        app_definition_json: dict[str, Any], app: Any, *, allowed_modules: Iterable[str] = ()
    ) -> AppDefinition:
        """Load a stored definition around a live `app` object (experimental).

        Args:
            app_definition_json: the JSON of the definition.
            app: the app object to continue the session with.
            allowed_modules: as for `load`.

        Returns:
            An instance of the recorded class with `app` in place of the stored JSON.
        """
        return _validate({**app_definition_json, "app": app}, allowed_modules)

    @staticmethod
    def new_session(
        app_definition_json: dict[str, Any],
        initial_app_loader: Callable[[], Any] | None = None,
        *,
        trust_pickle: bool = False,
        allowed_modules: Iterable[str] = (),
    ) -> AppDefinition:
        """Create a definition around a fresh app, in its initial state (experimental).

        Args:
            app_definition_json: the JSON of the definition.
            initial_app_loader: a function returning a fresh app. If not given, the
                definition's pickled ``initial_app_loader_dump`` is used, which
                requires `trust_pickle`.
            trust_pickle: allow unpickling the stored loader (runs arbitrary code).
            allowed_modules: as for `load`.

        Raises:
            UnsafeLoadError: the stored loader would be unpickled without `trust_pickle`.
            ValueError: there is neither a loader nor a stored dump.
        """
        data = dict(app_definition_json)
        if initial_app_loader is None:
            dump = data.get("initial_app_loader_dump")
            if dump is None:
                raise ValueError(
                    "Cannot start a new session: no `initial_app_loader` was given and the "
                    "definition has no `initial_app_loader_dump`."
                )
            app = _run_loader(dump, trust_pickle=trust_pickle)
        else:
            app = initial_app_loader()
            try:
                data["initial_app_loader_dump"] = SerialBytes(data=pickle.dumps(initial_app_loader))
            except Exception as exc:  # noqa: BLE001 - a loader that cannot pickle is still usable now
                logger.warning("The app loader %r cannot be pickled: %s", initial_app_loader, exc)
        data["app"] = app
        return _validate(data, allowed_modules)

    @staticmethod
    def get_loadable_apps() -> list[dict[str, Any]]:
        """The JSON of every loadable app definition (experimental).

        Lists the definitions created in this process that carry an
        ``initial_app_loader_dump`` and are still alive. Stored definitions are read
        with ``TruSession().get_apps()`` (those with an ``initial_app_loader_dump`` are
        the loadable ones).
        """
        with _LOADABLE_LOCK:
            definitions = list(_LOADABLE.values())
        return [d.model_dump(mode="json") for d in definitions]

    # -------------------------------------------------------------- selectors

    @classmethod
    def select_inputs(cls) -> Lens:
        """The lens to the root call's arguments: ``Select.RecordCall.args``."""

        return Select.RecordCall.args

    @classmethod
    def select_outputs(cls) -> Lens:
        """The lens to the root call's return value: ``Select.RecordCall.rets``."""

        return Select.RecordCall.rets


def _validate(data: dict[str, Any], allowed_modules: Iterable[str]) -> AppDefinition:
    """Validate as the class recorded in ``tru_class_info``, importing only allowed modules."""
    result: AppDefinition = AppDefinition.model_validate(
        data, context={"allowed_modules": tuple(allowed_modules)}
    )
    return result


def _run_loader(dump: Any, *, trust_pickle: bool) -> Any:
    """Unpickle an app loader (only if trusted) and call it."""
    if not trust_pickle:
        raise UnsafeLoadError(
            "This app definition carries a pickled `initial_app_loader_dump`; unpickling "
            "runs arbitrary code. Pass `trust_pickle=True` if you produced this data "
            "yourself, or pass `initial_app_loader=` instead."
        )
    serial = dump if isinstance(dump, SerialBytes) else SerialBytes.model_validate(dump)
    loader = load_pickled(serial.data, trust=True)
    return loader()
