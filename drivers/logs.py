"""Loggers that load structlog only when something is logged at an enabled level.

`import structlog` costs some 50 ms and 11 MB on a terminal. A `posagent check` that finds
nothing to say should not pay that, so every module takes its logger from here: a stand-in
that passes calls on to structlog once a call at an enabled level is made.
`agent.logsetup` sets the level; until it does (tests, library use) every call goes to
structlog, exactly as `structlog.get_logger` would.

Most of that cost is asyncio (and ssl, which asyncio imports): `structlog.stdlib` imports
it at the top but uses it only inside its async log methods, which posagent never calls.
`import_structlog` lets structlog import a stand-in that loads the real asyncio on first
use, which keeps 6 MB of the daemon's resident memory free.
"""

from __future__ import annotations

import importlib
import sys
import types
from collections.abc import Callable
from typing import Any

# Modules structlog imports at its top level and uses only in code posagent never runs.
_DEFERRED_IMPORTS = ("asyncio",)

# The standard library's level numbers, without importing logging for them.
DEBUG, INFO, WARNING, ERROR = 10, 20, 30, 40

_LEVELS = {
    "debug": 10,
    "info": 20,
    "msg": 20,
    "warning": 30,
    "warn": 30,
    "error": 40,
    "exception": 40,
    "critical": 50,
    "fatal": 50,
}

_min_level: int | None = None
_before_first_use: Callable[[], None] | None = None
_in_use = False  # structlog has been handed a logger: configure it at once from now on


def set_min_level(level: int | None, before_first_use: Callable[[], None] | None = None) -> None:
    """Calls below ``level`` are dropped without loading structlog; ``before_first_use``
    runs once, just before structlog is first needed (to configure it then)."""
    global _min_level, _before_first_use
    _min_level = level
    if _in_use and before_first_use is not None:
        before_first_use()
        before_first_use = None
    _before_first_use = before_first_use


def _noop(*args: Any, **kwargs: Any) -> None:
    return None


class LazyLogger:
    __slots__ = ("_context", "_name", "_real")

    def __init__(self, name: str, context: dict[str, Any] | None = None) -> None:
        self._name = name
        self._context = context or {}
        self._real: Any = None

    def bind(self, **values: Any) -> LazyLogger:
        return LazyLogger(self._name, {**self._context, **values})

    def is_enabled_for(self, level: int) -> bool:
        if _min_level is not None:
            return level >= _min_level
        real = self._resolve()
        check = getattr(real, "is_enabled_for", None)
        return True if check is None else bool(check(level))

    def _resolve(self) -> Any:
        if self._real is None:
            global _before_first_use, _in_use
            _in_use = True
            if _before_first_use is not None:
                hook, _before_first_use = _before_first_use, None
                hook()
            real = import_structlog().get_logger(self._name)
            self._real = real.bind(**self._context) if self._context else real
        return self._real

    def __getattr__(self, method: str) -> Any:
        level = _LEVELS.get(method)
        if level is not None and _min_level is not None and level < _min_level:
            return _noop
        return getattr(self._resolve(), method)


def get_logger(name: str) -> LazyLogger:
    return LazyLogger(name)


class _DeferredModule(types.ModuleType):
    """Stands in for a module until an attribute of it is first used, then imports it."""

    def __getattr__(self, name: str) -> Any:
        if sys.modules.get(self.__name__) is self:
            del sys.modules[self.__name__]
        return getattr(importlib.import_module(self.__name__), name)


def import_structlog() -> types.ModuleType:
    """``import structlog``, with the modules in `_DEFERRED_IMPORTS` loaded on first use.

    The stand-ins are in ``sys.modules`` only while structlog imports: any other importer
    gets the real module.
    """
    loaded = sys.modules.get("structlog")
    if loaded is not None:
        return loaded
    stand_ins = {}
    for name in _DEFERRED_IMPORTS:
        if name not in sys.modules:
            stand_ins[name] = sys.modules[name] = _DeferredModule(name)
    try:
        import structlog
    finally:
        for name, stand_in in stand_ins.items():
            if sys.modules.get(name) is stand_in:
                del sys.modules[name]
    return structlog
