"""Values returned by the vendor parsers, and the text handling they share.

Every vendor parser takes the raw response text (information lines joined by "\\n"; "\\r\\n",
blank lines, an echo line and a trailing ``OK`` are tolerated) and returns one of the frozen
values below, or raises `drivers.errors.ParseError` when the text holds no valid answer.
"""

from __future__ import annotations

import re

from drivers.deferred import deferred_regex
from drivers.errors import ParseError
from drivers.parsers.common_text import split_raw
from drivers.records import record
from drivers.types import Rat


@record
class RadioInfo:
    """What a vendor's serving-cell or signal command reported; unknown is None.

    Units are converted to dBm / dB whatever the vendor's scale. ``band`` is normalised to
    ``B<n>`` for LTE and ``n<n>`` for NR; other bands are kept as the modem wrote them.
    ``registered`` is set only when the response itself says whether the modem has service.
    """

    rat: Rat | None = None
    rssi_dbm: float | None = None
    rsrp_dbm: float | None = None
    rsrq_db: float | None = None
    sinr_db: float | None = None
    mcc: str | None = None
    mnc: str | None = None
    area_code: int | None = None  # LAC or TAC
    cell_id: int | None = None
    band: str | None = None
    registered: bool | None = None


@record
class CounterReading:
    """Byte counters as the modem keeps them (may go backwards after a reset)."""

    rx_bytes: int
    tx_bytes: int
    detail: str | None = None  # which command (and which counters) answered


# An echoed command line ("AT+QGDCNT?") when ATE0 was not applied.
_ECHO = deferred_regex(r"^AT[^\s:]*$", re.IGNORECASE)
_DEC = deferred_regex(r"[+-]?\d+")
_HEX = re.compile(r"(?:0[xX])?[0-9A-Fa-f]+")
_FLOAT = deferred_regex(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
# Placeholders modems print for "no value".
_EMPTY = {"", "-", "--", "---", "NA", "N/A"}
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def response_lines(text: str) -> list[str]:
    """Information lines of a response: stripped, without blanks, echo and final ``OK``."""
    # The regex split is needed only for a multi-line text; the echo regex only for a
    # line that starts like one.
    raw_lines = _LINE_BREAK.split(text) if "\n" in text or "\r" in text else [text]
    out = []
    for raw in raw_lines:
        line = raw.strip()
        if not line or line == "OK" or (line[0] in "aA" and _ECHO.match(line)):
            continue
        out.append(line)
    return out


def payloads(text: str, prefix: str) -> list[str]:
    """What follows ``prefix`` (e.g. ``"+QGDCNT:"``) on every line that starts with it.

    The prefix is matched case-insensitively; spaces after it are dropped.
    """
    want = prefix.upper()
    return [
        line[len(prefix) :].strip()
        for line in response_lines(text)
        if line.upper().startswith(want)
    ]


def first_payload(text: str, prefix: str, what: str) -> str:
    found = payloads(text, prefix)
    if not found:
        raise ParseError(what, text)
    return found[0]


def split_fields(payload: str) -> list[str]:
    """Split on commas outside double quotes; strip spaces and the quotes themselves."""
    return [item.replace('"', "").strip() for item in split_raw(payload)]


def is_empty(field: str) -> bool:
    return field.strip().upper() in _EMPTY


def to_int(field: str, what: str, text: str) -> int:
    """A decimal integer, or ParseError."""
    field = field.strip()
    if field.isascii() and (field.isdigit() or (field[1:].isdigit() and field[0] in "+-")):
        return int(field)  # as `_plain_number`, inline on the most used path
    if not _DEC.fullmatch(field):
        raise ParseError(what, text)
    return int(field)


def to_hex(field: str, what: str, text: str) -> int:
    """A hexadecimal integer (optional ``0x``), or ParseError."""
    field = field.strip()
    if not _HEX.fullmatch(field):
        raise ParseError(what, text)
    return int(field, 16)


def to_float(field: str, what: str, text: str) -> float:
    field = field.strip()
    if _plain_number(field):
        return float(field)
    if not _FLOAT.fullmatch(field):
        raise ParseError(what, text)
    return float(field)


def _plain_number(field: str) -> bool:
    """ASCII digits with at most a leading sign: what int() and float() read as `_DEC`
    and `_FLOAT` accept them, so the regex and the placeholder test can be skipped."""
    return field.isascii() and (field.isdigit() or (field[1:].isdigit() and field[0] in "+-"))


def opt_int(field: str, what: str, text: str) -> int | None:
    if _plain_number(field):
        return int(field)
    return None if is_empty(field) else to_int(field, what, text)


def opt_hex(field: str, what: str, text: str) -> int | None:
    return None if is_empty(field) else to_hex(field, what, text)


def opt_float(field: str, what: str, text: str) -> float | None:
    if _plain_number(field):
        return float(field)
    return None if is_empty(field) else to_float(field, what, text)


def scaled(value: int | None, offset: int, divisor: int, lo: int, hi: int) -> float | None:
    """``(value + offset) / divisor`` for a reported level in ``lo..hi``, else None.

    Computed as one exact division so that e.g. Huawei SINR 135 gives exactly 6.8.
    """
    if value is None or not lo <= value <= hi:
        return None
    return round((value + offset) / divisor, 2)


_PLMN = deferred_regex(r"(\d{3})[\s-]?(\d{2,3})")


def split_plmn(plmn: str) -> tuple[str | None, str | None]:
    """``"46011"``, ``"228-02"``, ``"286 01"`` → (mcc, mnc); anything else → (None, None)."""
    plmn = plmn.strip().strip('"')
    m = _PLMN.fullmatch(plmn)
    if not m or m.group(1) == "000":
        return None, None
    return m.group(1), m.group(2)


_LTE_BAND = deferred_regex(r"(?:E-?UTRAN|LTE)?[\s_-]*(?:BAND)?[\s_-]*B?(\d{1,3})", re.IGNORECASE)
_LTE_NAMED = deferred_regex(r"LTE|UTRAN|^B\d", re.IGNORECASE)
_NR_BAND = deferred_regex(r"(?:NR(?:5G)?[\s_-]*(?:BAND)?[\s_-]*)?N?(\d{1,3})", re.IGNORECASE)


def band_name(raw: str, rat: Rat | None = None) -> str | None:
    """Normalise a band label: ``"LTE BAND 3"``/``"EUTRAN-BAND20"``/``"B3"`` → ``B3``,
    ``"NR N78"``/``"NR5G BAND 78"`` → ``n78``; a bare number takes the RAT's form."""
    raw = raw.strip().strip('"')
    if is_empty(raw):
        return None
    if raw[0] in "nN" and (m := _NR_BAND.fullmatch(raw)):
        return f"n{int(m.group(1))}"
    if raw.isdigit():
        if rat is Rat.NR5G:
            return f"n{int(raw)}"
        if rat is Rat.LTE:
            return f"B{int(raw)}"
        return raw
    m = _LTE_BAND.fullmatch(raw)
    if m and _LTE_NAMED.search(raw):
        return f"B{int(m.group(1))}"
    return raw


_UMTS_NAMES = ("WCDMA", "UMTS", "HSPA", "HSDPA", "HSUPA", "TDSCDMA", "TD-SCDMA", "TDS")
_GSM_NAMES = ("GSM", "GPRS", "EDGE", "EGPRS")


def rat_from_name(name: str) -> Rat | None:
    """Map a vendor's access-technology label to a Rat; "no service" and unknown → None."""
    n = name.strip().strip('"').upper()
    if n.startswith("NR") or "5G" in n or n in ("ENDC", "EN-DC"):
        return Rat.NR5G
    if "LTE" in n or "EUTRAN" in n or "E-UTRAN" in n:
        return Rat.LTE
    if n.startswith(("CAT-M", "CAT-NB", "EMTC", "NBIOT", "NB-IOT")):
        return Rat.LTE
    if n.startswith(_UMTS_NAMES) or n.startswith(("DC-HSPA", "UTRAN")):
        return Rat.UMTS
    if n.startswith(_GSM_NAMES):
        return Rat.GSM
    return None
