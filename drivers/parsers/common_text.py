"""Text helpers shared by the 3GPP TS 27.007 parsers: response framing and field splitting,
and `frozen`, the cheap way to build the frozen values they return.

The parsers take the information lines of a response. These helpers make them tolerant of
what a raw capture also carries: ``\\r\\n`` framing, blank lines, the command echo and the
final ``OK``.
"""

from __future__ import annotations

import re
from typing import Any, TypeVar

from drivers.deferred import deferred_regex
from drivers.errors import ParseError
from drivers.records import MISSING, fields, is_dataclass, record

T = TypeVar("T")

# The echo of the command line: "AT", "ATI", "ATE0", "AT+CSQ", "AT^ICCID?", "AT#CCID".
# A bare-letter command must be followed by digits only, so that a manufacturer line such
# as "ATMEL" is not mistaken for an echo.
_ECHO = deferred_regex(r"^AT(?:[+^#!$%&*\\].*|[A-Z]\d*)?$", re.IGNORECASE)

# Final result codes that mean "no answer" (MM src/mm-serial-parsers.c lists the same set).
_ERROR_FINAL = re.compile(
    r"^(?:ERROR|\+CME ERROR:.*|\+CMS ERROR:.*|COMMAND NOT SUPPORT|NO CARRIER|MODEM ERROR:.*)$",
    re.IGNORECASE,
)
# The characters an error final can start with (a cheap test before the regex).
_ERROR_HEADS = frozenset("EeCcNnMm+")
_LINE_BREAK = deferred_regex(r"\r\n|\r|\n")


def info_lines(text: str, what: str) -> list[str]:
    """The non-empty information lines of ``text``, echo and final ``OK`` removed.

    Raises ParseError if the response ends in an error result code: it holds no answer.
    """
    # Every parser starts here, once per response: the common one-line answer skips the
    # regex split, and the regexes run only on lines whose first character can match.
    if "\n" in text or "\r" in text:
        lines = [line for raw in _LINE_BREAK.split(text) if (line := raw.strip())]
    else:
        line = text.strip()
        lines = [line] if line else []
    if not lines:
        return lines
    if lines[0][0] in "aA" and _ECHO.match(lines[0]):
        del lines[0]
    while lines and lines[-1].upper() == "OK":
        lines.pop()
    if lines and lines[-1][0] in _ERROR_HEADS and _ERROR_FINAL.match(lines[-1]):
        raise ParseError(what, text)
    return lines


@record
class Field:
    """One comma-separated field of an AT response, surrounding spaces and quotes removed."""

    value: str
    quoted: bool


_new = object.__new__
_DEFAULTS: dict[type, dict[str, Any]] = {}  # per class: the fields with a plain default


def frozen(cls: type[T], values: dict[str, Any]) -> T:
    """An instance of the frozen dataclass ``cls`` equal to ``cls(**values)``.

    The generated ``__init__`` sets each attribute through ``object.__setattr__``, which
    costs more than parsing the response the instance describes. Fields left out take
    their default; a field without a plain default (none, or a factory) must be given.
    Only for plain dataclasses: no ``__post_init__``, no ``__slots__``.
    """
    defaults = _DEFAULTS.get(cls)
    if defaults is None:
        defaults = _DEFAULTS[cls] = _plain_defaults(cls)
    instance = _new(cls)
    attrs = instance.__dict__
    attrs.update(defaults)
    attrs.update(values)
    return instance


def _plain_defaults(cls: type) -> dict[str, Any]:
    if not is_dataclass(cls) or hasattr(cls, "__post_init__"):
        raise TypeError(f"{cls.__name__} is not a plain dataclass")
    if "__slots__" in cls.__dict__:
        raise TypeError(f"{cls.__name__} has slots")
    return {field.name: field.default for field in fields(cls) if field.default is not MISSING}


def _field(value: str, quoted: bool) -> Field:
    # Equal to Field(value, quoted); the frozen dataclass __init__ (object.__setattr__ per
    # attribute) costs as much as splitting the payload, and a response has many fields.
    field = _new(Field)
    attrs = field.__dict__
    attrs["value"] = value
    attrs["quoted"] = quoted
    return field


def split_raw(payload: str) -> list[str]:
    """``payload`` cut at commas outside double quotes; quotes and spaces kept (the one
    splitter: `split_fields`, `split_values` and the vendor parsers' fields build on it)."""
    if '"' not in payload:
        return payload.split(",")
    # Between the n-th and the n+1-th quote, commas separate fields only for even n.
    parts = payload.split('"')
    if "," not in "".join(parts[1::2]):
        return payload.split(",")  # no comma inside quotes: every comma separates
    items: list[str] = []
    current = ""
    for index, part in enumerate(parts):
        if index:
            current += '"'
        if index % 2:
            current += part
            continue
        pieces = part.split(",")
        current += pieces[0]
        if len(pieces) > 1:
            items.append(current)
            items += pieces[1:-1]
            current = pieces[-1]
    items.append(current)
    return items


def split_fields(payload: str) -> list[Field]:
    """Split ``payload`` on commas outside double quotes (operator names may hold commas)."""
    if '"' not in payload:
        return [_field(item.strip(), False) for item in payload.split(",")]
    fields = []
    for item in split_raw(payload):
        item = item.strip()
        if len(item) >= 2 and item[0] == '"' and item[-1] == '"':
            fields.append(_field(item[1:-1].strip(), True))
        else:
            fields.append(_field(item, False))
    return fields


def split_values(payload: str) -> list[str]:
    """The ``value`` of each of ``split_fields(payload)``, for callers that need no more."""
    if '"' not in payload:
        return [item.strip() for item in payload.split(",")]
    values = []
    for item in split_raw(payload):
        item = item.strip()
        if len(item) >= 2 and item[0] == '"' and item[-1] == '"':
            item = item[1:-1].strip()
        values.append(item)
    return values


def find_prefixed(lines: list[str], pattern: re.Pattern[str]) -> re.Match[str] | None:
    """The match of ``pattern`` on the first line it matches, else None."""
    for line in lines:
        match = pattern.match(line)
        if match:
            return match
    return None


def to_int(value: str) -> int | None:
    """A decimal field as int (leading zeros allowed); None if it is not a plain number."""
    value = value.strip()
    if not value.isascii() or not value.isdigit():
        return None
    return int(value)


def unquote(value: str) -> str:
    """``value`` stripped of spaces and one pair of surrounding double quotes."""
    value = value.strip()
    if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
        value = value[1:-1].strip()
    return value
