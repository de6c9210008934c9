"""Network answers: registration (+CREG/+CGREG/+CEREG/+C5GREG), operator (+COPS), AcT."""

from __future__ import annotations

import re

from drivers.errors import ParseError
from drivers.parsers.common_text import (
    Field,
    find_prefixed,
    frozen,
    info_lines,
    split_fields,
    split_values,
    to_int,
)
from drivers.records import record
from drivers.types import Rat, RegState

# 27.007 <AcT> (vendors.md §1.6, MM get_mm_access_tech_from_etsi_access_tech).
# 13 is E-UTRA-NR dual connectivity (5G NSA): LTE anchors the cell but NR carries the user
# data, and the user-facing "5G" indication is what a support desk will be asked about, so
# it reads as nr5g.
_ACT_RAT = {
    0: Rat.GSM,  # GSM
    1: Rat.GSM,  # GSM compact
    3: Rat.GSM,  # GSM w/EGPRS
    8: Rat.GSM,  # EC-GSM-IoT
    2: Rat.UMTS,  # UTRAN
    4: Rat.UMTS,  # UTRAN w/HSDPA
    5: Rat.UMTS,  # UTRAN w/HSUPA
    6: Rat.UMTS,  # UTRAN w/HSDPA and HSUPA
    7: Rat.LTE,  # E-UTRAN
    9: Rat.LTE,  # E-UTRAN NB-S1 (NB-IoT)
    10: Rat.LTE,  # E-UTRA connected to 5GCN
    11: Rat.NR5G,  # NR connected to 5GCN (SA)
    12: Rat.NR5G,  # NG-RAN
    13: Rat.NR5G,  # E-UTRA-NR dual connectivity (NSA)
}


def rat_from_act(act: int | None) -> Rat | None:
    """The radio access technology of a 27.007 <AcT> value; None if unknown (e.g. Quectel's
    100 = CDMA, QAT 06 §6.1)."""
    if act is None:
        return None
    return _ACT_RAT.get(act)


# <stat> -> state, as SPEC.md fixes it. 8 (emergency services only) reads as denied: a
# payment terminal can do nothing with such a registration, and "denied" raises the alert
# it needs. 11 (attached for RLOS, restricted local operator services only) is unknown.
_STAT_STATE = {
    0: RegState.NOT_REGISTERED,
    1: RegState.HOME,
    2: RegState.SEARCHING,
    3: RegState.DENIED,
    4: RegState.UNKNOWN,
    5: RegState.ROAMING,
    6: RegState.HOME,  # home, SMS only
    7: RegState.ROAMING,  # roaming, SMS only
    8: RegState.DENIED,  # emergency services only
    9: RegState.HOME,  # home, CSFB not preferred
    10: RegState.ROAMING,  # roaming, CSFB not preferred
    11: RegState.UNKNOWN,  # attached for RLOS
}


def reg_state_from_stat(stat: int) -> RegState:
    """The registration state of a 27.007 <stat>; values beyond 11 are unknown."""
    return _STAT_STATE.get(stat, RegState.UNKNOWN)


@record
class RegInfo:
    """One registration answer or URC; ``state`` and ``rat`` are ``stat`` and ``act`` mapped."""

    family: str  # "CREG", "CGREG", "CEREG" or "C5GREG"
    n: int | None  # the URC setting; None for an unsolicited code
    stat: int
    state: RegState
    area_code: int | None  # LAC or TAC
    cell_id: int | None
    act: int | None
    rat: Rat | None


_REG = re.compile(r"^\+(C5GREG|CEREG|CGREG|CREG):\s*(.*)$", re.IGNORECASE)
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")


def _has_letter(field: Field) -> bool:
    value = field.value
    # Digits are never letters: most fields are plain numbers and skip the scan.
    return not value.isdigit() and any(char.isalpha() for char in value)


def _only_location(field: Field) -> bool:
    """True if a field can only be a LAC/TAC/CI, never <n>, <stat> or <AcT>."""
    return field.quoted or _has_letter(field) or len(field.value) > 3


def _is_solicited(fields: list[Field]) -> bool:
    """Tell "<n>,<stat>[,…]" (answer to ?) from "<stat>[,…]" (URC) by shape.

    One field is a URC, two an answer, three a URC (<stat>,<lac>,<ci>). From four fields
    on, the second is either <stat> (answer) or a LAC/TAC (URC), and the fourth either a CI
    (answer) or <AcT> (URC):
    - a second field that is quoted, has hex letters or exceeds 99 is a LAC: URC;
    - a fourth field that is quoted, has hex letters or is long is a CI: answer
      ("+CGREG:002,0011,"0f0d","14c3"", MM-tests cgreg2 leading zeros);
    - else a second field of one or two digits is a <stat> ("2,0,00,0", Huawei E160G) and
      a longer one a LAC ("1,0001,0010,0", MM-tests creg2 no leading zeros).
    """
    count = len(fields)
    if count in (1, 3):
        return False
    if count == 2:
        return True
    second = fields[1]
    number = to_int(second.value)
    if second.quoted or _has_letter(second) or (number is not None and number > 99):
        return False
    if _only_location(fields[3]) or (count == 4 and not fields[3].value):
        return True
    return len(second.value) <= 2


def _location(field: Field, text: str) -> int | None:
    # Qualcomm Gobi 1000 sends spaces inside a value ("  0 5", MM-tests creg2_gobi_weird);
    # they are dropped. split_fields already removed the ones around it.
    value = field.value.replace(" ", "")
    if not value:
        return None
    if not set(value) <= _HEX_DIGITS:
        raise ParseError("registration", text)
    return int(value, 16)


def parse_creg(text: str) -> RegInfo:
    """Registration from +CREG/+CGREG/+CEREG/+C5GREG, answer to ``?`` or unsolicited.

    Handles one- and multi-digit <stat>, quoted or bare hex LAC/TAC/CI with leading zeros
    and stray spaces, a trailing RAC (+CGREG: …,<AcT>,<rac>) and the Novatel E362 +CEREG
    that puts a RAC between TAC and CI (MM-tests cereg2_novatel_lte, *_with_rac). The first
    registration line in the text is used. ParseError if none is found or its numbers are
    not numbers.
    """
    match = find_prefixed(info_lines(text, "registration"), _REG)
    if not match:
        raise ParseError("registration", text)
    family = match.group(1).upper()
    fields = split_fields(match.group(2))
    if _is_solicited(fields):
        n = to_int(fields[0].value)
        if n is None:
            raise ParseError("registration", text)
        fields = fields[1:]
    else:
        n = None
    stat = to_int(fields[0].value)
    if stat is None:
        raise ParseError("registration", text)
    rest = fields[1:]
    # Novatel E362 (MM-tests cereg2_novatel_lte): <tac>,<rac>,<ci>,<AcT>, the RAC a short
    # hex byte. The standard order is <lac>,<ci>,<AcT>[,<rac>…].
    if (
        len(rest) == 4
        and not rest[1].quoted
        and len(rest[1].value) <= 2
        and len(rest[2].value) > 2
        and to_int(rest[3].value) is not None
    ):
        rest = [rest[0], rest[2], rest[3]]
    area_code = _location(rest[0], text) if len(rest) > 0 else None
    cell_id = _location(rest[1], text) if len(rest) > 1 else None
    act = to_int(rest[2].value) if len(rest) > 2 else None
    return frozen(
        RegInfo,
        {
            "family": family,
            "n": n,
            "stat": stat,
            "state": _STAT_STATE.get(stat, RegState.UNKNOWN),
            "area_code": area_code,
            "cell_id": cell_id,
            "act": act,
            "rat": None if act is None else _ACT_RAT.get(act),
        },
    )


@record
class Cops:
    """The +COPS? answer; ``operator`` is decoded from UCS-2 hex when it was sent that way."""

    mode: int
    format: int | None = None
    operator: str | None = None
    act: int | None = None
    rat: Rat | None = None
    mcc: str | None = None  # filled for format 2 (numeric) with a valid MCCMNC
    mnc: str | None = None


_COPS = re.compile(r"^\+COPS:\s*(.*)$", re.IGNORECASE)


def decode_ucs2_hex(value: str) -> str | None:
    """Text from UCS-2 hex ("004D006F0076…" -> "Mov…"), as modems send strings after
    ``AT+CSCS="UCS2"``; None if ``value`` is not plausibly that (empty, length not a
    multiple of 4, not all hex, or decoding to unprintable characters)."""
    if not value or len(value) % 4 or not set(value) <= _HEX_DIGITS:
        return None
    try:
        decoded = bytes.fromhex(value).decode("utf-16-be")
    except UnicodeDecodeError:
        return None
    return decoded if decoded.isprintable() else None


def _split_mccmnc(value: str) -> tuple[str, str] | tuple[None, None]:
    # Valid operator id: 5 or 6 digits, MCC not 000 (MM-tests operator-id).
    if len(value) in (5, 6) and value.isascii() and value.isdigit() and value[:3] != "000":
        return value[:3], value[3:]
    return None, None


def parse_cops(text: str) -> Cops:
    """Operator from ``AT+COPS?``: +COPS: <mode>[,<format>,<oper>[,<AcT>]].

    Names in UCS-2 hex are decoded (u-blox LARA with +CSCS="UCS2", MM-tests
    cops_response_ublox_lara); a value shorter than 8 hex digits is left as it is, since a
    one-character operator name is less likely than a short name that happens to be hex.
    ParseError if there is no +COPS line or <mode> is not a number (e.g. the ``=?`` list).
    """
    match = find_prefixed(info_lines(text, "+COPS"), _COPS)
    if not match:
        raise ParseError("+COPS", text)
    fields = split_values(match.group(1))
    mode = to_int(fields[0])
    if mode is None:
        raise ParseError("+COPS", text)
    count = len(fields)
    fmt = to_int(fields[1]) if count > 1 else None
    operator = fields[2] if count > 2 and fields[2] else None
    if operator is not None and len(operator) >= 8:
        operator = decode_ucs2_hex(operator) or operator
    act = to_int(fields[3]) if count > 3 else None
    mcc, mnc = _split_mccmnc(operator) if fmt == 2 and operator else (None, None)
    return frozen(
        Cops,
        {
            "mode": mode,
            "format": fmt,
            "operator": operator,
            "act": act,
            "rat": None if act is None else _ACT_RAT.get(act),
            "mcc": mcc,
            "mnc": mnc,
        },
    )
