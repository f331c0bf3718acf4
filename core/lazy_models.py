"""Import a library whose pydantic models are built when first used, not all at import.

The Telegram library declares every Bot API type and method as a pydantic model (~1,300) and
builds a validator and a serializer for each while its types are imported: ~110 MB of resident
memory and seconds of start-up (upstream aiogram#1513), of which the journal uses a few dozen.
:func:`import_deferring_models` imports such a package with pydantic's ``defer_build`` set on
the models of the named sub-packages, so each is built the first time it validates or
serializes something. The namespace the package resolves its forward references in (it passes
it to ``model_rebuild(_types_namespace=...)`` at the end of its import, which would build every
model) is kept on each model instead, and each model's fields are resolved right away, so a
lazily built model, or a model of ours embedding one, finds every type it names. Measured: a
fresh interpreter holds 56 MB after the import instead of 166 MB (docs/performance.md, Memory).

The front ends call it before anything imports the library (``bot/__init__.py``, the
notifications' Telegram sender); core itself imports no such library. When the package is
already imported, or pydantic's internals used here have changed, it does nothing and every
model is built at import as usual (more memory, same behaviour). ``tests/bot/test_lazy_models.py``
checks that every model still builds, that the deferral took effect and that parsed updates and
dumped calls are identical either way.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any


def import_deferring_models(package: str, model_packages: tuple[str, ...]) -> bool:
    """Import ``package``, its models in ``model_packages`` deferred; whether that took effect.

    ``model_packages`` are module prefixes such as ``"pkg.types."``; each is imported too.
    """
    if package in sys.modules:
        return False
    try:
        # pydantic's own building blocks of `model_rebuild()`: stable across 2.11-2.13 (the
        # versions pyproject.toml allows); anything missing means: build as usual.
        from pydantic import BaseModel  # noqa: PLC0415 - before aiogram, once
        from pydantic._internal import _model_construction  # noqa: PLC0415
        from pydantic._internal._config import ConfigWrapper  # noqa: PLC0415
        from pydantic._internal._fields import rebuild_model_fields  # noqa: PLC0415
        from pydantic._internal._generics import get_model_typevars_map  # noqa: PLC0415
        from pydantic._internal._namespace_utils import NsResolver  # noqa: PLC0415
    except ImportError:  # pragma: no cover - another pydantic
        return False

    metaclass = _model_construction.ModelMetaclass
    create_class = metaclass.__new__
    rebuild = BaseModel.__dict__["model_rebuild"]
    namespace: dict[str, Any] = {}

    def deferred_class(
        mcs: type, name: str, bases: tuple[type, ...], attrs: dict[str, Any], **kwargs: Any
    ) -> type:
        if str(attrs.get("__module__", "")).startswith(model_packages):
            attrs["model_config"] = {**attrs.get("model_config", {}), "defer_build": True}
        return create_class(mcs, name, bases, attrs, **kwargs)

    def keep_namespace(cls: type[BaseModel], *args: Any, **kwargs: Any) -> bool | None:
        # the package ends its import with `model_rebuild(_types_namespace=...)` on every model,
        # which would build them all: keep the namespace instead.
        types_namespace = kwargs.get("_types_namespace")
        if types_namespace is not None and cls.__module__.startswith(model_packages):
            namespace.update(types_namespace)
            return None
        return rebuild.__func__(cls, *args, **kwargs)  # type: ignore[no-any-return]

    metaclass.__new__ = deferred_class  # type: ignore[assignment]
    BaseModel.model_rebuild = classmethod(keep_namespace)  # type: ignore[assignment, method-assign]
    try:
        importlib.import_module(package)
        for name in model_packages:
            importlib.import_module(name.rstrip("."))
    finally:
        metaclass.__new__ = create_class  # type: ignore[method-assign]
        BaseModel.model_rebuild = rebuild  # type: ignore[method-assign]

    resolver = NsResolver(parent_namespace=namespace)
    pending = list(BaseModel.__subclasses__())
    while pending:
        model = pending.pop()
        pending.extend(model.__subclasses__())
        if model.__pydantic_complete__ or not model.__module__.startswith(model_packages):
            continue
        model.__pydantic_parent_namespace__ = namespace  # what a lazy build resolves names in
        if not getattr(model, "__pydantic_fields_complete__", True):  # pydantic >= 2.11
            try:
                rebuilt: Any = rebuild_model_fields(
                    model,
                    config_wrapper=ConfigWrapper(model.model_config, check=False),
                    ns_resolver=resolver,
                    typevars_map=get_model_typevars_map(model),
                )
            except NameError:  # pragma: no cover - resolved when the model is first built
                continue
            if isinstance(rebuilt, tuple):  # pydantic 2.13: (fields, extra info)
                model.__pydantic_fields__, model.__pydantic_extra_info__ = rebuilt
            else:  # pragma: no cover - pydantic 2.11 and 2.12: the fields
                model.__pydantic_fields__ = rebuilt
    return True
