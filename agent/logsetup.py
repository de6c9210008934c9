"""The one place structlog is configured.

Logs go to stderr so stdout carries only a command's own output. On a TTY the console
renderer; otherwise one JSON object per line, which journald and log shippers take as is.
"""

from __future__ import annotations

import sys
from typing import Any, Literal, TextIO

from drivers import logs

LogFormat = Literal["console", "json"]


def configure_logging(
    fmt: LogFormat | None = None,
    *,
    verbose: int = 0,
    stream: TextIO | None = None,
    quiet: bool = False,
) -> None:
    """``quiet``: only errors (the demo prints its own timeline); ``verbose``: debug.

    structlog itself is configured (and imported) only when the first event at an enabled
    level is logged: see `drivers.logs`.
    """
    out = stream if stream is not None else sys.stderr
    if fmt is None:
        fmt = "console" if out.isatty() else "json"
    level = logs.DEBUG if verbose > 0 else logs.ERROR if quiet else logs.INFO
    chosen: LogFormat = fmt

    def configure() -> None:
        _configure_structlog(chosen, level, out)

    logs.set_min_level(level, configure)


def _configure_structlog(fmt: LogFormat, level: int, out: TextIO) -> None:
    structlog: Any = logs.import_structlog()

    if fmt == "console":
        renderer = structlog.dev.ConsoleRenderer(colors=out.isatty())
    else:
        renderer = structlog.processors.JSONRenderer()
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(file=out),
        cache_logger_on_first_use=False,
    )
