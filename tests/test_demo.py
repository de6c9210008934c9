"""`posagent demo`: the whole story on a fast clock, in-process and as a command."""

from __future__ import annotations

import io
import re

from conftest import run_cli

from agent.demo import run_demo


def _events(text: str) -> list[tuple[str, str]]:
    pattern = re.compile(r"^\w{3} \d\d \w{3} \d\d:\d\d  (RAISED|ESCALATED|RESOLVED)\s+(\w+)")
    return [m.groups() for line in text.splitlines() if (m := pattern.match(line))]


def test_demo_tells_the_story_in_order() -> None:
    out = io.StringIO()
    assert run_demo(speed=1e9, out=out, sleep=lambda s: None) == 0
    assert _events(out.getvalue()) == [
        ("RAISED", "data_low"),  # 80 %
        ("ESCALATED", "data_low"),  # 95 %
        ("ESCALATED", "data_exhausted"),
        ("RESOLVED", "data_exhausted"),  # the cycle renews on 1 Dec
        ("RAISED", "data_low"),
        ("ESCALATED", "data_low"),
        ("ESCALATED", "data_exhausted"),
        ("RESOLVED", "data_exhausted"),  # the 100 MB top-up
        ("RAISED", "expiry_soon"),  # 7 days ahead
        ("ESCALATED", "expired"),
    ]
    assert "95%" in out.getvalue()
    text = out.getvalue()
    # The carrier cuts the data when the quota is gone or the package expires.
    assert text.count("the carrier stops the SIM's data") == 3
    assert text.count("data flows again") == 2
    assert "Sun 29 Nov 00:00    used 30.0 MB of 30.0 MB" in text  # nothing flowed meanwhile
    assert "done: 1224 polls" in out.getvalue()


def test_demo_command_exits_0() -> None:
    result = run_cli("demo", "--speed", "1000", timeout=60)
    assert result.returncode == 0, result.stderr
    assert "ESCALATED expired" in result.stdout
    assert result.stderr == ""  # quiet: the timeline is the output
