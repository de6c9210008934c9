"""Dataclasses that cost next to nothing to define.

`dataclasses.dataclass` compiles every method it generates from source text when the
class is defined: six for a frozen class, about 0.6 ms on CPython 3.11. posagent has some
eighty such types and `posagent check` loads most of them, so defining them was a third of
its start-up on a terminal. `record` makes a real dataclass (``fields``, ``replace``,
``asdict`` and ``is_dataclass`` work as usual) with the same behaviour as
``dataclass(frozen=True)`` (or ``dataclass()`` with ``frozen=False``), but:

* ``__init__`` is compiled when the class is first instantiated (many are not, in a run);
* ``__repr__``, ``__eq__``, ``__hash__`` and the frozen ``__setattr__`` / ``__delattr__``
  are shared functions driven by the class's field names, compiled once for all.

Honoured: field order, defaults and ``default_factory``, ``field(init=False)``,
``compare=False`` / ``repr=False`` / ``hash=``, ``__post_init__``, ``__match_args__``,
``FrozenInstanceError``, a ``__repr__`` or ``__eq__`` the class defines itself.
Rejected when the class is defined: ``kw_only`` fields, ``InitVar``, ``__slots__``, a field
named ``self``, frozen and mutable classes inheriting from each other (as dataclass does).
Not as dataclass: a frozen record's ``__init__`` writes the instance dict directly, so a
field that is a data descriptor is not supported; ``inspect.signature`` of a class not yet
instantiated shows ``(*args, **kwargs)``.
"""

from __future__ import annotations

import types

from drivers.deferred import import_deferring


def _class_annotations(
    obj: object,
    *,
    globals: dict[str, object] | None = None,
    locals: dict[str, object] | None = None,
    eval_str: bool = False,
) -> dict[str, object]:
    """``inspect.get_annotations`` as dataclasses calls it (Python 3.12 and 3.13: a class's
    own annotations, not evaluated), without importing inspect; other calls go to it."""
    if eval_str or globals is not None or locals is not None or not isinstance(obj, type):
        import inspect

        return inspect.get_annotations(obj, globals=globals, locals=locals, eval_str=eval_str)
    # What inspect.get_annotations reads for a class (the point is not importing it).
    own = obj.__dict__.get("__annotations__")  # noqa: RUF063
    if own is None or isinstance(own, types.GetSetDescriptorType):
        return {}
    if not isinstance(own, dict):
        raise ValueError(f"{obj!r}.__annotations__ is neither a dict nor None")
    return dict(own)


# dataclasses imports inspect to write a docstring for a class without one, which `record`
# always gives, and (Python 3.12, 3.13) to read a class's annotations, which the stand-in
# answers itself. Importing dataclasses here, before any other posagent module does, spares
# each start of the agent inspect, ast, dis and tokenize.
import_deferring(
    "dataclasses", ("inspect",), answers={"inspect": {"get_annotations": _class_annotations}}
)

import dataclasses  # noqa: E402
from collections.abc import Callable  # noqa: E402
from dataclasses import MISSING, field, fields, is_dataclass, replace  # noqa: E402
from operator import attrgetter  # noqa: E402
from typing import Any, TypeVar, overload  # noqa: E402

try:
    from typing import dataclass_transform
except ImportError:  # Python 3.10: only type checkers need it

    def dataclass_transform(**_: Any) -> Callable[[Any], Any]:  # type: ignore[no-redef]
        return lambda decorator: decorator


# Taken from here by the rest of posagent, so that this module imports dataclasses first.
__all__ = ["MISSING", "field", "fields", "is_dataclass", "record", "replace"]

C = TypeVar("C", bound=type)

_MISSING: Any = MISSING
_object_setattr = object.__setattr__


@overload
def record(cls: C, /) -> C: ...
@overload
def record(*, frozen: bool = True) -> Callable[[C], C]: ...


@dataclass_transform(frozen_default=True, field_specifiers=(dataclasses.field,))
def record(cls: Any = None, /, *, frozen: bool = True) -> Any:
    """``@record`` for a frozen dataclass, ``@record(frozen=False)`` for a mutable one."""

    def wrap(cls: C) -> C:
        return _make_record(cls, frozen)

    return wrap if cls is None else wrap(cls)


def _make_record(cls: C, frozen: bool) -> C:
    own = cls.__dict__
    if "__slots__" in own:
        raise TypeError(f"record {cls.__name__} cannot have __slots__")
    if frozen and ("__setattr__" in own or "__delattr__" in own):
        raise TypeError(f"frozen record {cls.__name__} cannot define __setattr__/__delattr__")
    _check_bases(cls, frozen)
    class_hash = own.get("__hash__", _MISSING)
    explicit_hash = not (class_hash is _MISSING or (class_hash is None and "__eq__" in own))
    doc = own.get("__doc__")
    if not doc:
        cls.__doc__ = cls.__name__  # keeps dataclass from calling inspect.signature
    # Field bookkeeping only: no method is generated, so nothing is compiled.
    dataclasses.dataclass(cls, init=False, repr=False, eq=False)
    record_fields = fields(cls)
    _check_fields(cls, record_fields)
    if not doc:
        cls.__doc__ = f"{cls.__name__}({', '.join(f.name for f in record_fields)})"

    cls.__record_frozen__ = frozen  # type: ignore[attr-defined]
    if "__init__" not in own:  # one the class writes itself is kept, as dataclass keeps it
        cls.__init__ = _deferred_init(cls, record_fields, frozen)  # type: ignore[misc]
    cls.__record_repr__ = tuple(f.name for f in record_fields if f.repr)  # type: ignore[attr-defined]
    # staticmethod: the getters are plain callables of the instance, never bound to it.
    compared = _getter(f.name for f in record_fields if f.compare)
    cls.__record_key__ = staticmethod(compared)  # type: ignore[attr-defined]
    if "__repr__" not in own:
        cls.__repr__ = _record_repr  # type: ignore[assignment]
    if "__eq__" not in own:
        cls.__eq__ = _record_eq  # type: ignore[assignment]
    if not explicit_hash:
        if frozen:
            hashed = (f.name for f in record_fields if (f.compare if f.hash is None else f.hash))
            cls.__record_hash_key__ = staticmethod(_getter(hashed))  # type: ignore[attr-defined]
            cls.__hash__ = _record_hash  # type: ignore[assignment]
        else:
            cls.__hash__ = None  # type: ignore[assignment]
    if frozen:
        cls.__setattr__, cls.__delattr__ = _frozen_methods(  # type: ignore[method-assign]
            cls, frozenset(f.name for f in record_fields)
        )
    return cls


def _check_bases(cls: type, frozen: bool) -> None:
    """dataclass's rule: frozen and mutable dataclasses do not inherit from each other.
    (A record tells dataclass it is not frozen, so the rule is kept here.)"""
    for base in cls.__mro__[1:]:
        if "__dataclass_fields__" not in base.__dict__:
            continue
        base_frozen = base.__dict__.get("__record_frozen__")
        if base_frozen is None:
            base_frozen = base.__dict__["__dataclass_params__"].frozen
        if base_frozen != frozen:
            state = "frozen" if frozen else "mutable"
            raise TypeError(
                f"{state} record {cls.__name__} cannot inherit from "
                f"{'frozen' if base_frozen else 'mutable'} {base.__name__}"
            )


def _check_fields(cls: type, fields: tuple[dataclasses.Field[Any], ...]) -> None:
    declared = cls.__dict__["__dataclass_fields__"].values()
    initvar = dataclasses._FIELD_INITVAR  # type: ignore[attr-defined]
    if any(f._field_type is initvar for f in declared):
        raise TypeError(f"record {cls.__name__} cannot have InitVar fields")
    seen_default = None
    for f in fields:
        if f.kw_only is True:
            raise TypeError(f"record {cls.__name__} cannot have kw_only fields")
        if f.name == "self" or f.name.startswith("_self_dict"):
            raise TypeError(f"record {cls.__name__} cannot have a field named {f.name!r}")
        if not f.init:
            continue
        if f.default is _MISSING and f.default_factory is _MISSING:
            if seen_default is not None:
                raise TypeError(
                    f"non-default argument {f.name!r} follows default argument {seen_default!r}"
                )
        else:
            seen_default = f.name


def _getter(names: Any) -> Callable[[Any], Any]:
    names = tuple(names)
    if not names:
        return lambda _: ()
    if len(names) == 1:
        # A 1-tuple, as dataclass compares: (nan,) == (nan,) holds for the same object.
        get_one = attrgetter(names[0])
        return lambda obj: (get_one(obj),)
    return attrgetter(*names)  # a tuple already


def _record_repr(self: Any) -> str:
    values = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__record_repr__)
    return f"{self.__class__.__qualname__}({values})"


def _record_eq(self: Any, other: Any) -> Any:
    if other.__class__ is self.__class__:
        key = self.__record_key__
        return key(self) == key(other)
    return NotImplemented


def _record_hash(self: Any) -> int:
    return hash(self.__record_hash_key__(self))


def _frozen_methods(
    cls: type, names: frozenset[str]
) -> tuple[Callable[[Any, str, Any], None], Callable[[Any, str], None]]:
    def __setattr__(self: Any, name: str, value: Any) -> None:
        if type(self) is cls or name in names:
            raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")
        super(cls, self).__setattr__(name, value)

    def __delattr__(self: Any, name: str) -> None:
        if type(self) is cls or name in names:
            raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")
        super(cls, self).__delattr__(name)

    __setattr__.__qualname__ = f"{cls.__qualname__}.__setattr__"
    __delattr__.__qualname__ = f"{cls.__qualname__}.__delattr__"
    return __setattr__, __delattr__


def _deferred_init(
    cls: type, fields: tuple[dataclasses.Field[Any], ...], frozen: bool
) -> Callable[..., None]:
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        real = _compile_init(cls, fields, frozen)
        type.__setattr__(cls, "__init__", real)
        real(self, *args, **kwargs)

    __init__.__qualname__ = f"{cls.__qualname__}.__init__"
    return __init__


def _compile_init(
    cls: type, fields: tuple[dataclasses.Field[Any], ...], frozen: bool
) -> Callable[..., None]:
    """The ``__init__`` dataclass would generate, as fast: a frozen record writes its
    instance dict directly, as ``object.__setattr__`` would."""
    names: dict[str, Any] = {"_MISSING": _MISSING}
    params = ["self"]
    body = []
    for f in fields:
        has_factory = f.default_factory is not _MISSING
        if f.init:
            if has_factory:
                names[f"_factory_{f.name}"] = f.default_factory
                params.append(f"{f.name}=_MISSING")
                body.append(f"  if {f.name} is _MISSING: {f.name} = _factory_{f.name}()")
            elif f.default is not _MISSING:
                names[f"_default_{f.name}"] = f.default
                params.append(f"{f.name}=_default_{f.name}")
            else:
                params.append(f.name)
        elif has_factory:
            names[f"_factory_{f.name}"] = f.default_factory
            body.append(f"  {f.name} = _factory_{f.name}()")
        elif f.default is not _MISSING:
            names[f"_default_{f.name}"] = f.default
            body.append(f"  {f.name} = _default_{f.name}")
        else:
            continue  # init=False without a default: left unset, as dataclass does
        target = f"_self_dict[{f.name!r}]" if frozen else f"self.{f.name}"
        body.append(f"  {target} = {f.name}")
    if frozen:
        body.insert(0, "  _self_dict = self.__dict__")
    if hasattr(cls, "__post_init__"):
        body.append("  self.__post_init__()")
    source = f"def __init__({', '.join(params)}):\n" + ("\n".join(body) or "  pass") + "\n"
    namespace: dict[str, Any] = {}
    # The source holds only the class's field names (identifiers); values go in `names`.
    exec(source, names, namespace)
    init: Callable[..., None] = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    return init
