"""agent/stored_time.py: stored times and intervals (the heartbeat and the balance query)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from agent.stored_time import interval_due, parse_stored_time

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=timezone(timedelta(hours=8)))


@pytest.mark.parametrize(
    ("last", "due"),
    [
        (None, True),  # never done
        ("", True),
        ((NOW - timedelta(hours=23)).isoformat(), False),
        ((NOW - timedelta(hours=24)).isoformat(), True),  # exactly the interval
        ((NOW + timedelta(hours=1)).isoformat(), True),  # the clock was set back
        ("2026-11-23T08:00:00", True),  # no offset: cannot be compared
        ("yesterday", True),
    ],
)
def test_interval_due(last: str | None, due: bool) -> None:
    assert interval_due(last, NOW, 86400) is due


def test_a_stored_time_must_be_text_with_an_offset() -> None:
    assert parse_stored_time(NOW.isoformat()) == NOW
    for bad in (12, "2026-11-23T08:00:00", "soon"):
        with pytest.raises(ValueError):
            parse_stored_time(bad)
