"""Sierra Wireless-specific responses (MC7304, EM7455, EM75xx); see vendors.md §3.7.

Sierra modules have no byte counter over AT (vendors.md §2): only radio state is parsed here.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from drivers.errors import ParseError
from drivers.parsers.radio import (
    RadioInfo,
    band_name,
    first_payload,
    is_empty,
    rat_from_name,
    response_lines,
    split_fields,
    to_float,
    to_hex,
)
from drivers.types import Rat

# !GSTATUS prints "Label:  value" pairs, two columns a line, separated by tabs on real
# EM7511 units and by runs of spaces in other captures; a label therefore starts a line
# or follows whitespace. Where a label repeats (RxM, then RxD antenna), the first (main
# antenna) wins. Hex TAC/Cell ID are followed by their decimal value in parentheses.
_VALUE = r"[ \t]*(\S+)(?:[ \t]+\((\d+)\))?"


class _Label(NamedTuple):
    """A label's pattern and the literal names it starts with."""

    pattern: re.Pattern[str]
    names: tuple[str, ...]

    def search(self, body: str) -> re.Match[str] | None:
        # No match can start before the first occurrence of a name, so the search starts
        # there instead of trying the lookbehinds at every position of a long report.
        # Lookbehinds and ^ still see the text before that position.
        starts = [start for name in self.names if (start := body.find(name)) >= 0]
        if not starts:
            return None
        return self.pattern.search(body, min(starts))


def _label(*names: str, exclude: str = "") -> _Label:
    lookbehind = f"(?<!{exclude})" if exclude else ""
    alternatives = "|".join(re.escape(n) for n in names)
    pattern = re.compile(rf"(?:^|(?<=\s)){lookbehind}(?:{alternatives}){_VALUE}", re.MULTILINE)
    return _Label(pattern, names)


_SYSTEM_MODE = _label("System mode:")
_PS_STATE = _label("PS state:")
_EMM_STATE = _label("EMM state:")
_LTE_BAND = _label("LTE band:")
_RSSI = _label("RSSI (dBm):", "PCC RxM RSSI:", exclude="NR5G ")
_RSRP = _label("RSRP (dBm):", "PCC RxM RSRP:", exclude="NR5G ")
_RSRQ = _label("RSRQ (dB):", exclude="NR5G ")
_SINR = _label("SINR (dB):", exclude="NR5G ")
_TAC = _label("TAC:")
_CELL_ID = _label("Cell ID:", exclude="Physical ")
_NOTHING = RadioInfo()


def _raw(label: _Label, body: str) -> tuple[str, str | None] | None:
    m = label.search(body)
    if not m or is_empty(m.group(1)):
        return None
    return m.group(1), m.group(2)


def _number(label: _Label, body: str, text: str) -> float | None:
    found = _raw(label, body)
    return None if found is None else to_float(found[0], "!GSTATUS", text)


def _hex_id(label: _Label, body: str, text: str) -> int | None:
    found = _raw(label, body)
    if found is None:
        return None
    hex_value, decimal = found
    return int(decimal) if decimal is not None else to_hex(hex_value, "!GSTATUS", text)


def _registered(body: str) -> bool | None:
    ps = _raw(_PS_STATE, body)
    if ps is not None:
        return ps[0].upper() == "ATTACHED"
    emm = _raw(_EMM_STATE, body)
    if emm is not None:
        return emm[0].upper() == "REGISTERED"
    return None


def parse_gstatus(text: str) -> RadioInfo:
    """Multi-line ``!GSTATUS:`` → RadioInfo (rat, band, RSSI/RSRP dBm, RSRQ/SINR dB, TAC, cell)."""
    lines = response_lines(text)
    body = "\n".join(lines)
    system_mode = _SYSTEM_MODE.search(body)
    if not system_mode and not any(line.upper().startswith("!GSTATUS") for line in lines):
        raise ParseError("!GSTATUS", text)
    mode = None if not system_mode or is_empty(system_mode[1]) else system_mode[1]
    rat = rat_from_name(mode) if mode else None
    band = _raw(_LTE_BAND, body)
    info = RadioInfo(
        rat=rat,
        band=band_name(band[0], Rat.LTE) if band else None,
        rssi_dbm=_number(_RSSI, body, text),
        rsrp_dbm=_number(_RSRP, body, text),
        rsrq_db=_number(_RSRQ, body, text),
        sinr_db=_number(_SINR, body, text),
        area_code=_hex_id(_TAC, body, text),
        cell_id=_hex_id(_CELL_ID, body, text),
        registered=_registered(body),
    )
    if mode is None and info == _NOTHING:
        raise ParseError("!GSTATUS", text)
    return info


def parse_cnti(text: str) -> Rat | None:
    """``*CNTI: 0,<tech>`` (the current technology, e.g. ``LTE``, ``HSDPA``) → Rat;
    ``NONE`` → None. The ``=1``/``=2`` lists (available/supported) are not accepted."""
    fields = split_fields(first_payload(text, "*CNTI:", "*CNTI"))
    if len(fields) != 2 or fields[0] != "0" or not fields[1]:
        raise ParseError("*CNTI", text)
    tech = fields[1].upper()
    if tech in ("NONE", "NO SERVICE"):
        return None
    rat = rat_from_name(tech)
    if rat is None:
        raise ParseError("*CNTI", text)
    return rat
