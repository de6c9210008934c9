"""Loggers that load structlog only when something is logged at an enabled level.

`import structlog` costs some 50 ms and 11 MB on a terminal. A `posagent check` that finds
nothing to say should not pay that, so every module takes its logger from here: a stand-in
that passes calls on to structlog once a call at an enabled level is made.
`agent.logsetup` sets the level; until it does (tests, library use) every call goes to
structlog, exactly as `structlog.get_logger` would.

Most of that cost is asyncio, which structlog imports but posagent never uses:
`import_structlog` defers it (see `drivers.deferred`), which keeps 6 MB of the daemon's
resident memory free.
"""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import Any

from drivers.deferred import import_deferring

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


def import_structlog() -> types.ModuleType:
    """``import structlog``, asyncio (for its async log methods only) loaded on first use."""
    import logging  # structlog imports it anyway

    # Python 3.12+: a LogRecord asks sys.modules["asyncio"] for the current task, and
    # structlog makes one while it imports, while the stand-in is there. Not for those.
    asks_task = getattr(logging, "logAsyncioTasks", False)
    if asks_task:
        logging.logAsyncioTasks = False  # type: ignore[attr-defined]
    try:
        return import_deferring("structlog", ("asyncio",))
    finally:
        if asks_task:
            logging.logAsyncioTasks = asks_task  # type: ignore[attr-defined]
