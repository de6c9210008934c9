"""Text helpers shared by the 3GPP TS 27.007 parsers: response framing and field splitting.

The parsers take the information lines of a response. These helpers make them tolerant of
what a raw capture also carries: ``\\r\\n`` framing, blank lines, the command echo and the
final ``OK``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from drivers.errors import ParseError

# The echo of the command line: "AT", "ATI", "ATE0", "AT+CSQ", "AT^ICCID?", "AT#CCID".
# A bare-letter command must be followed by digits only, so that a manufacturer line such
# as "ATMEL" is not mistaken for an echo.
_ECHO = re.compile(r"^AT(?:[+^#!$%&*\\].*|[A-Z]\d*)?$", re.IGNORECASE)

# Final result codes that mean "no answer" (MM src/mm-serial-parsers.c lists the same set).
_ERROR_FINAL = re.compile(
    r"^(?:ERROR|\+CME ERROR:.*|\+CMS ERROR:.*|COMMAND NOT SUPPORT|NO CARRIER|MODEM ERROR:.*)$",
    re.IGNORECASE,
)


def info_lines(text: str, what: str) -> list[str]:
    """The non-empty information lines of ``text``, echo and final ``OK`` removed.

    Raises ParseError if the response ends in an error result code: it holds no answer.
    """
    lines = [line.strip() for line in re.split(r"\r\n|\r|\n", text)]
    lines = [line for line in lines if line]
    if lines and _ECHO.match(lines[0]):
        lines = lines[1:]
    while lines and lines[-1].upper() == "OK":
        lines.pop()
    if lines and _ERROR_FINAL.match(lines[-1]):
        raise ParseError(what, text)
    return lines


@dataclass(frozen=True)
class Field:
    """One comma-separated field of an AT response, surrounding spaces and quotes removed."""

    value: str
    quoted: bool


def split_fields(payload: str) -> list[Field]:
    """Split ``payload`` on commas outside double quotes (operator names may hold commas)."""
    raw: list[str] = []
    current: list[str] = []
    in_quotes = False
    for char in payload:
        if char == '"':
            in_quotes = not in_quotes
            current.append(char)
        elif char == "," and not in_quotes:
            raw.append("".join(current))
            current = []
        else:
            current.append(char)
    raw.append("".join(current))
    fields = []
    for item in raw:
        item = item.strip()
        if len(item) >= 2 and item[0] == '"' and item[-1] == '"':
            fields.append(Field(item[1:-1].strip(), True))
        else:
            fields.append(Field(item, False))
    return fields


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
