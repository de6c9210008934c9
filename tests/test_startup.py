"""What a short command loads and how its process treats the garbage collector.

`posagent check` runs from cron and by hand on a small terminal; its start-up is budgeted
(bench/footprint.py). These tests keep out of it the modules it does not need, whose
import costs are measured there: they fail when a change brings one back.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from conftest import REPO

# Not needed by a check with no balance, carrier notices, sinks or logging to do.
NOT_LOADED_BY_CHECK = (
    "asyncio",  # structlog's, deferred (drivers.deferred)
    "ssl",
    "structlog",  # nothing logged at the default level
    "yaml",  # no configuration file
    "agent.balance",
    "agent.carrier_sms",
    "agent.sinks.http",
    "agent.sinks.mqtt",
    "drivers.ussd",
    "drivers.parsers.sms",
    "drivers.simulator.profiles.messaging",  # sim://: only once SMS or USSD is asked for
    "inspect",  # dataclasses' (deferred by drivers.records)
)

SCRIPT = """
import gc, json, sys
from agent.cli import entry
sys.argv = ["posagent", *ARGS]
code = entry()
print(json.dumps({
    "code": code,
    "loaded": sorted(m for m in NAMES if m in sys.modules),
    "gc_enabled": gc.isenabled(),
    "frozen": gc.get_freeze_count(),
}))
"""


def run_entry(*args: str) -> dict[str, object]:
    script = SCRIPT.replace("ARGS", repr(list(args))).replace("NAMES", repr(NOT_LOADED_BY_CHECK))
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "POSAGENT_CONFIG": ""},
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    last: dict[str, object] = json.loads(result.stdout.splitlines()[-1])
    return last


def test_check_loads_none_of_what_it_does_not_need() -> None:
    outcome = run_entry("check", "--port", "sim://quectel", "--no-report", "--json")
    assert outcome["code"] == 0
    assert outcome["loaded"] == []


def test_a_command_runs_without_the_collector_and_freezes_at_the_end() -> None:
    outcome = run_entry("check", "--port", "sim://quectel", "--no-report")
    assert outcome["gc_enabled"] is False
    assert isinstance(outcome["frozen"], int) and outcome["frozen"] > 10_000


def test_keep_running_freezes_start_up_and_turns_the_collector_back_on() -> None:
    script = """
import gc
from agent import process
before = gc.get_freeze_count()  # not 0 on every Python
process.keep_running()
assert gc.isenabled() and gc.get_freeze_count() == before  # not started by entry: untouched
process.start_command()
made = [[] for _ in range(1000)]
process.keep_running()
print(gc.isenabled(), gc.get_freeze_count() >= before + 1000)
"""
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True"]
