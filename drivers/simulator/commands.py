"""Splitting an AT command line into commands, as V.250 describes it.

Pure functions: ``"AT+COPS=3,2;+COPS?"`` → two `Command` values. Basic commands may be
chained without a separator (``ATE0V1``); extended ones (``+``, ``#``, ``^``, ``$``, ``!``,
``%``, ``*``, ``&`` prefixes) are separated by ``;``.
"""

from __future__ import annotations

import re

from drivers.records import record

EXTENDED_PREFIXES = "+#^$!%*"
_BASIC = re.compile(r"(&?[A-Z])(\d*)")


class CommandSyntaxError(ValueError):
    """The line is not a well-formed command sequence (the modem answers ERROR)."""


@record
class Command:
    """One command of a line. `name` is upper-case (``+CSQ``, ``E``, ``&F``); `op` is
    ``""`` (execute), ``"?"`` (read), ``"=?"`` (test) or ``"="`` (set, with `args`)."""

    name: str
    op: str = ""
    args: tuple[str, ...] = ()

    def arg(self, i: int, default: str | None = None) -> str | None:
        """The i-th argument with surrounding quotes removed, or `default` if absent/empty."""
        if i >= len(self.args) or self.args[i] == "":
            return default
        return unquote(self.args[i])

    def int_arg(self, i: int, default: int | None = None) -> int | None:
        text = self.arg(i)
        if text is None:
            return default
        try:
            return int(text)
        except ValueError as err:
            raise CommandSyntaxError(f"not a number: {text!r}") from err


def unquote(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        return text[1:-1]
    return text


def split_outside_quotes(text: str, sep: str) -> list[str]:
    parts, current, quoted = [], [], False
    for ch in text:
        if ch == '"':
            quoted = not quoted
        if ch == sep and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return parts


def _extended(segment: str) -> Command:
    m = re.match(r"([+#^$!%*][A-Za-z0-9_]+)(.*)\Z", segment, re.DOTALL)
    if not m:
        raise CommandSyntaxError(f"bad command {segment!r}")
    name, rest = m.group(1).upper(), m.group(2).strip()
    if rest == "":
        return Command(name)
    if rest == "?":
        return Command(name, "?")
    if rest == "=?":
        return Command(name, "=?")
    if rest.startswith("="):
        body = rest[1:]
        args = tuple(a.strip() for a in split_outside_quotes(body, ",")) if body else ()
        return Command(name, "=", args)
    raise CommandSyntaxError(f"bad command {segment!r}")


def _basic(segment: str) -> list[Command]:
    commands, pos, upper = [], 0, segment.upper()
    while pos < len(upper):
        m = _BASIC.match(upper, pos)
        if not m:
            raise CommandSyntaxError(f"bad basic command at {segment[pos:]!r}")
        digits = m.group(2)
        commands.append(Command(m.group(1), "=" if digits else "", (digits,) if digits else ()))
        pos = m.end()
    return commands


def parse_line(line: str) -> list[Command]:
    """The commands of one line (without the terminating CR). The line must begin with
    ``AT`` (any case); a bare ``AT`` gives an empty list, which the modem answers OK."""
    text = line.strip()
    if text[:2].upper() != "AT":
        raise CommandSyntaxError("a command line begins with AT")
    body = text[2:]
    commands: list[Command] = []
    for segment in split_outside_quotes(body, ";"):
        segment = segment.strip()
        if not segment:
            continue
        if segment[0] in EXTENDED_PREFIXES:
            commands.append(_extended(segment))
        else:
            # Basic commands, optionally followed by one extended command (``ATE0+CMEE=1``).
            cut = next((i for i, ch in enumerate(segment) if ch in EXTENDED_PREFIXES), len(segment))
            commands.extend(_basic(segment[:cut]))
            if cut < len(segment):
                commands.append(_extended(segment[cut:]))
    return commands
