"""Sizes and durations as people write them in the configuration, and back.

Sizes: ``B KB MB GB TB`` are powers of 1000 (as carriers sell data), ``KiB MiB GiB TiB``
powers of 1024; a bare integer is bytes. Durations: ``30s 5m 1h 1d 1w`` (parts may be
combined, ``1h30m``) or a number of seconds. Both refuse negative values.
"""

from __future__ import annotations

import math
import re

from drivers.deferred import deferred_regex

SIZE_UNITS: dict[str, int] = {
    "b": 1,
    "kb": 1000,
    "mb": 1000**2,
    "gb": 1000**3,
    "tb": 1000**4,
    "kib": 1024,
    "mib": 1024**2,
    "gib": 1024**3,
    "tib": 1024**4,
}
_SIZE_NAMES = "B, KB, MB, GB, TB, KiB, MiB, GiB, TiB"

DURATION_UNITS: dict[str, int] = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}

_SIZE_RE = deferred_regex(r"^\s*(?P<num>[0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*(?P<unit>[A-Za-z]*)\s*$")
_DURATION_PART_RE = deferred_regex(r"\s*([0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*([smhdw])", re.IGNORECASE)
_NUMBER_RE = deferred_regex(r"^\s*[+-]?([0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*$")


def parse_size(value: int | float | str) -> int:
    """Bytes for ``30MB``, ``1GiB``, ``1.5 GB`` or a bare integer.

    Raises ValueError with a sentence fit for a configuration error.
    """
    if isinstance(value, bool):
        raise ValueError(f"expected a size such as 30MB or 1GiB, got {value!r}")
    if isinstance(value, int):
        if value < 0:
            raise ValueError(f"a size cannot be negative, got {value}")
        return value
    if isinstance(value, float):
        # A bare number is bytes, and there is no such thing as half a byte.
        raise ValueError(f"a bare number is bytes and must be whole, got {value!r}")
    if not isinstance(value, str):
        raise ValueError(f"expected a size such as 30MB or 1GiB, got {value!r}")
    text = value.strip()
    if text.startswith("-"):
        raise ValueError(f"a size cannot be negative, got {value!r}")
    m = _SIZE_RE.match(text)
    if m is None:
        raise ValueError(f"{value!r} is not a size; write e.g. 30MB or 1GiB ({_SIZE_NAMES})")
    unit = m["unit"].lower() or "b"
    if unit not in SIZE_UNITS:
        raise ValueError(f"{value!r}: unknown size unit {m['unit']!r}; use one of {_SIZE_NAMES}")
    number = float(m["num"])
    if unit == "b" and not number.is_integer():
        raise ValueError(f"{value!r}: bytes must be whole")
    if "." not in m["num"]:
        return int(m["num"]) * SIZE_UNITS[unit]
    return round(number * SIZE_UNITS[unit])


def parse_duration(value: int | float | str) -> float:
    """Seconds for ``30s``, ``5m``, ``1h``, ``1d``, ``1h30m`` or a number of seconds."""
    if isinstance(value, bool):
        raise ValueError(f"expected a duration such as 30s, 5m, 1h or 1d, got {value!r}")
    if isinstance(value, int | float):
        if not math.isfinite(value):
            raise ValueError(f"a duration must be finite, got {value!r}")
        if value < 0:
            raise ValueError(f"a duration cannot be negative, got {value!r}")
        return float(value)
    if not isinstance(value, str):
        raise ValueError(f"expected a duration such as 30s, 5m, 1h or 1d, got {value!r}")
    text = value.strip()
    if text.startswith("-"):
        raise ValueError(f"a duration cannot be negative, got {value!r}")
    if _NUMBER_RE.match(text):
        return float(text)
    total = 0.0
    pos = 0
    for m in _DURATION_PART_RE.finditer(text):
        if m.start() != pos:
            break
        total += float(m[1]) * DURATION_UNITS[m[2].lower()]
        pos = m.end()
    if pos == 0 or text[pos:].strip():
        raise ValueError(
            f"{value!r} is not a duration; write e.g. 30s, 5m, 1h, 1d or a number of seconds"
        )
    return total


def format_size(n: int, *, binary: bool = False) -> str:
    """``31457280`` → ``31.5 MB`` (or ``30 MiB`` with ``binary``); negative keeps its sign."""
    sign = "-" if n < 0 else ""
    size = abs(n)
    step = 1024 if binary else 1000
    names = ("KiB", "MiB", "GiB", "TiB") if binary else ("KB", "MB", "GB", "TB")
    if size < step:
        return f"{sign}{size} B"
    value = float(size)
    index = -1
    while index < len(names) - 1 and (index < 0 or value >= step):
        value /= step
        index += 1
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return f"{sign}{text} {names[index]}"


def format_duration(seconds: float) -> str:
    """``5400`` → ``1h30m``; under a minute as whole seconds; 0 → ``0s``."""
    remaining = round(seconds)
    if remaining <= 0:
        return "0s"
    parts = []
    for name, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, remaining = divmod(remaining, size)
        if count:
            parts.append(f"{count}{name}")
    return "".join(parts)
