"""Converters from YAML nodes to typed values. Each returns the value, or BAD after
recording the problem (with the node's line) on the reader, so reading carries on."""

from __future__ import annotations

import datetime as dt
import math
import re
from pathlib import Path
from typing import Any

from yaml.nodes import Node

from agent.config.nodes import BAD, Reader, describe, is_null
from agent.units import parse_duration, parse_size
from drivers.parsers.common import normalize_iccid

_HEX = frozenset("0123456789ABCDEF")


def text(r: Reader, node: Node, path: str, *, nullable: bool = False) -> Any:
    if nullable and is_null(node):
        return None
    value = r.value(node, path)
    if value is BAD:
        return BAD
    if not isinstance(value, str) or not value.strip():
        return r.problem(node, f"{path} must be a non-empty string, not {describe(value)}")
    return value


def integer(
    r: Reader, node: Node, path: str, *, lo: int | None = None, hi: int | None = None
) -> Any:
    value = r.value(node, path)
    if value is BAD:
        return BAD
    if isinstance(value, bool) or not isinstance(value, int):
        return r.problem(node, f"{path} must be a whole number, not {describe(value)}")
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        return r.problem(node, f"{path} must be {_range(lo, hi)}, not {value}")
    return value


def number(r: Reader, node: Node, path: str, *, lo: float | None = None) -> Any:
    value = r.value(node, path)
    if value is BAD:
        return BAD
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return r.problem(node, f"{path} must be a number, not {describe(value)}")
    if lo is not None and value < lo:
        return r.problem(node, f"{path} must be at least {lo:g}, not {value}")
    return float(value)


def boolean(r: Reader, node: Node, path: str) -> Any:
    value = r.value(node, path)
    if value is BAD:
        return BAD
    if not isinstance(value, bool):
        return r.problem(node, f"{path} must be true or false, not {describe(value)}")
    return value


def size(r: Reader, node: Node, path: str) -> Any:
    value = r.value(node, path)
    if value is BAD:
        return BAD
    try:
        return parse_size(value)
    except ValueError as err:
        return r.problem(node, f"{path}: {err}")


def duration(r: Reader, node: Node, path: str, *, positive: bool = True) -> Any:
    value = r.value(node, path)
    if value is BAD:
        return BAD
    try:
        seconds = parse_duration(value)
    except ValueError as err:
        return r.problem(node, f"{path}: {err}")
    if positive and seconds <= 0:
        return r.problem(node, f"{path} must be longer than 0 seconds")
    return seconds


def day(r: Reader, node: Node, path: str, *, nullable: bool = False) -> Any:
    """A date: a YAML date (2026-06-30) or an ISO string ("2026-06-30")."""
    if nullable and is_null(node):
        return None
    value = r.value(node, path)
    if value is BAD:
        return BAD
    if isinstance(value, dt.datetime):
        return r.problem(node, f"{path} must be a date (YYYY-MM-DD), not a date and time")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    return r.problem(node, f"{path} must be a date (YYYY-MM-DD), not {describe(value)}")


def zone(r: Reader, node: Node, path: str) -> Any:
    value = text(r, node, path)
    if value is BAD:
        return BAD
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError  # only a plan names a zone

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        return r.problem(
            node, f"{path}: unknown timezone {value!r} (an IANA name such as Asia/Shanghai)"
        )
    return value


def path_value(r: Reader, node: Node, path: str, *, nullable: bool = True) -> Any:
    value = text(r, node, path, nullable=nullable)
    if value is BAD or value is None:
        return value
    return Path(value)


def int_list(r: Reader, node: Node, path: str, *, lo: int, hi: int | None = None) -> Any:
    items = r.sequence(node, path)
    if items is BAD:
        return BAD
    values = [integer(r, item, f"{path}[{i}]", lo=lo, hi=hi) for i, item in enumerate(items)]
    if any(v is BAD for v in values):
        return BAD
    return tuple(values)


def iccid(r: Reader, node: Node, path: str) -> Any:
    value = _text_or_digits(r, node, path)
    if value is BAD:
        return BAD
    normal = normalize_iccid(value)
    if normal is None:
        return r.problem(
            node,
            f"{path}: {value!r} is not an ICCID (19-20 characters beginning 89; "
            "digits, hex A-F allowed from the 7th character)",
        )
    return normal


def iccid_prefix(r: Reader, node: Node, path: str) -> Any:
    value = _text_or_digits(r, node, path)
    if value is BAD:
        return BAD
    prefix = value.replace(" ", "").upper()
    if not looks_like_iccid_prefix(prefix):
        return r.problem(
            node,
            f"{path}: {value!r} is not an ICCID prefix (ICCIDs begin 89, at most 20 "
            "characters; digits, hex A-F allowed from the 7th character)",
        )
    return prefix


def looks_like_iccid_prefix(prefix: str) -> bool:
    """Could ``prefix`` begin an ICCID by the SPEC.md rules (see normalize_iccid)?"""
    return (
        1 <= len(prefix) <= 20
        and "89".startswith(prefix[:2])
        and prefix[:6].isdigit()
        and set(prefix) <= _HEX
    )


def regex(r: Reader, node: Node, path: str, *, amount_group: bool = False) -> Any:
    """A regular expression; ``amount_group``: it must have a group (the amount)."""
    value = text(r, node, path)
    if value is BAD:
        return BAD
    try:
        compiled = re.compile(value)
    except re.error as err:
        return r.problem(node, f"{path}: not a valid regular expression: {err}")
    if amount_group and compiled.groups < 1:
        return r.problem(node, f"{path} needs a group around the amount, e.g. ([0-9.]+)")
    return compiled


def _text_or_digits(r: Reader, node: Node, path: str) -> Any:
    # Unquoted, YAML reads an all-digit ICCID as an integer; its digits are the ICCID
    # (ICCIDs begin 89, so no leading zero is lost).
    value = r.value(node, path)
    if value is BAD:
        return BAD
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return str(value)
    if isinstance(value, str) and value.strip():
        return value.strip()
    return r.problem(node, f"{path} must be a string of digits, not {describe(value)}")


def _range(lo: int | None, hi: int | None) -> str:
    if lo is not None and hi is not None:
        return f"between {lo} and {hi}"
    if lo is not None:
        return f"at least {lo}"
    return f"at most {hi}"
