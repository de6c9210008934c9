"""Times kept in the state store as ISO 8601 text, read back with their zone."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any


def parse_stored_time(value: Any) -> datetime:
    """The time ``value`` names; ValueError unless it is ISO 8601 text with a UTC offset
    (a stored time without one cannot be compared with the clock)."""
    if not isinstance(value, str):
        raise ValueError("a time must be an ISO 8601 string")
    when = datetime.fromisoformat(value)
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError("a stored time must carry its UTC offset")
    return when


def interval_due(last: str | None, now: datetime, seconds: float) -> bool:
    """Whether ``seconds`` have passed since the stored time ``last``. Never done, an
    unreadable time, or one in the future (the clock was set back) count as due."""
    if not last:
        return True
    try:
        elapsed = now - parse_stored_time(last)
    except ValueError:
        return True
    return not timedelta(0) <= elapsed < timedelta(seconds=seconds)
