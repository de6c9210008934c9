"""structlog is loaded only when an event at an enabled level is logged."""

from __future__ import annotations

import json
import subprocess
import sys

SCRIPT = """
import sys
from agent.logsetup import configure_logging
from drivers.logs import get_logger
configure_logging("json")
log = get_logger("posagent.test").bind(port="p")
log.debug("hidden", a=1)
print("structlog" in sys.modules, file=sys.stdout, flush=True)
log.warning("shown", a=2)
print("structlog" in sys.modules, file=sys.stdout, flush=True)
"""


def test_structlog_loads_on_the_first_enabled_event() -> None:
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "True"]
    lines = [json.loads(line) for line in result.stderr.splitlines()]
    assert [(e["event"], e["level"], e["port"], e["a"]) for e in lines] == [
        ("shown", "warning", "p", 2)
    ]


def test_reconfiguring_after_use_takes_effect() -> None:
    script = """
from agent.logsetup import configure_logging
from drivers.logs import get_logger
configure_logging("json")
log = get_logger("x")
log.info("first")
configure_logging("json", quiet=True)
log.info("dropped")
log.error("kept")
"""
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=30
    )
    events = [json.loads(line)["event"] for line in result.stderr.splitlines()]
    assert events == ["first", "kept"]


def test_logging_leaves_asyncio_unloaded_until_structlog_needs_it() -> None:
    script = """
import sys
from agent.logsetup import configure_logging
from drivers.logs import get_logger
configure_logging("json")
get_logger("x").info("logged", a=1)
print("structlog" in sys.modules, "asyncio" in sys.modules, flush=True)

# structlog's async methods still work: the stand-in loads asyncio on first use.
import structlog.stdlib
print(type(structlog.stdlib.asyncio.get_running_loop).__name__, flush=True)
import asyncio
deferred = structlog.stdlib.asyncio
print("asyncio" in sys.modules, asyncio.get_running_loop is deferred.get_running_loop)
"""
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "True",
        "False",
        "builtin_function_or_method",
        "True",
        "True",
    ]
    assert [json.loads(line)["event"] for line in result.stderr.splitlines()] == ["logged"]
