"""Sizes and durations as written in the configuration (agent/units.py)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent.units import (
    SIZE_UNITS,
    format_duration,
    format_size,
    parse_duration,
    parse_size,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30MB", 30_000_000),
        ("30 MB", 30_000_000),
        ("1GiB", 1_073_741_824),
        ("1GB", 1_000_000_000),
        ("5GB", 5_000_000_000),
        ("1.5GB", 1_500_000_000),
        ("0.5KiB", 512),
        ("100KB", 100_000),
        ("512B", 512),
        ("2TiB", 2 * 1024**4),
        ("30mb", 30_000_000),  # unit case is forgiven
        ("1048576", 1_048_576),  # digits only: bytes
        (1048576, 1_048_576),  # a YAML integer: bytes
        (0, 0),
    ],
)
def test_parse_size(text: str | int, expected: int) -> None:
    assert parse_size(text) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("-30MB", "negative"),
        (-1, "negative"),
        ("30XB", "unknown size unit 'XB'"),
        ("MB", "not a size"),
        ("", "not a size"),
        ("1.5", "whole"),
        ("1.5B", "whole"),
        (1.5, "whole"),
        (True, "expected a size"),
        (None, "expected a size"),
    ],
)
def test_parse_size_rejects(value: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_size(value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("30s", 30.0),
        ("5m", 300.0),
        ("1h", 3600.0),
        ("1d", 86400.0),
        ("1w", 604800.0),
        ("1h30m", 5400.0),
        ("1.5h", 5400.0),
        ("90", 90.0),
        ("0.5", 0.5),
        (60, 60.0),
        (2.5, 2.5),
        (" 6h ", 21600.0),
    ],
)
def test_parse_duration(value: str | float, seconds: float) -> None:
    assert parse_duration(value) == seconds


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("fast", "not a duration"),
        ("5 minutes", "not a duration"),
        ("1ms", "not a duration"),
        ("h", "not a duration"),
        ("-5m", "negative"),
        (-1, "negative"),
        (float("inf"), "finite"),
        (False, "expected a duration"),
        ([1], "expected a duration"),
    ],
)
def test_parse_duration_rejects(value: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_duration(value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("n", "binary", "text"),
    [
        (0, False, "0 B"),
        (999, False, "999 B"),
        (30_000_000, False, "30 MB"),
        (31_457_280, True, "30 MiB"),
        (1_500_000_000, False, "1.5 GB"),
        (-2_000, False, "-2 KB"),
    ],
)
def test_format_size(n: int, binary: bool, text: str) -> None:
    assert format_size(n, binary=binary) == text


@pytest.mark.parametrize(
    ("seconds", "text"), [(0, "0s"), (45, "45s"), (300, "5m"), (5400, "1h30m"), (90061, "1d1h1m1s")]
)
def test_format_duration(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 10**6), st.sampled_from(sorted(SIZE_UNITS)))
def test_whole_sizes_multiply_exactly(count: int, unit: str) -> None:
    written = {"kib": "KiB", "mib": "MiB", "gib": "GiB", "tib": "TiB"}.get(unit, unit.upper())
    assert parse_size(f"{count}{written}") == count * SIZE_UNITS[unit]


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 10 * 86400))
def test_formatted_durations_parse_back(seconds: int) -> None:
    assert parse_duration(format_duration(seconds)) == seconds
