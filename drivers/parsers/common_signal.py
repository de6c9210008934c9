"""Signal answers: +CSQ and +CESQ, and the 0..4 bar count.

Units follow 3GPP TS 27.007 as ModemManager reads it (SPEC.md). A value outside the range
27.007 defines for its field is read as unknown (None), like the explicit "unknown" codes;
a response that is not shaped like the answer (no prefix, too few fields, not numbers)
raises ParseError.
"""

from __future__ import annotations

import re

from drivers.errors import ParseError
from drivers.parsers.common_text import find_prefixed, frozen, info_lines, split_values, to_int
from drivers.records import record

_CSQ = re.compile(r"^\+CSQ:\s*(.*)$", re.IGNORECASE)
_CESQ = re.compile(r"^\+CESQ:\s*(.*)$", re.IGNORECASE)


def _numbers(payload: str, count: int, what: str, text: str) -> list[int]:
    fields = split_values(payload)
    if len(fields) < count:
        raise ParseError(what, text)
    values = [to_int(field) for field in fields[:count]]
    if None in values:
        raise ParseError(what, text)
    return values  # type: ignore[return-value]


def _ber(value: int) -> int | None:
    return value if 0 <= value <= 7 else None  # 99: unknown


def parse_csq(text: str) -> tuple[int | None, int | None]:
    """(rssi_dbm, ber) from ``AT+CSQ`` ("+CSQ: 18,99" -> (-77, None)).

    rssi 0..31 -> -113 + 2n dBm, 99 -> None. Quectel also sends 100..191 for TD-SCDMA,
    -116..-25 dBm in 1 dB steps, and 199 for unknown (QAT 06 §6.3). ber 0..7 (RxQual), 99 ->
    None; Telit ME910 puts an RSRQ bin in the same 0..7 range on LTE (TEL-ME910 p.54).
    """
    match = find_prefixed(info_lines(text, "+CSQ"), _CSQ)
    if not match:
        raise ParseError("+CSQ", text)
    rssi, ber = _numbers(match.group(1), 2, "+CSQ", text)
    if 0 <= rssi <= 31:
        rssi_dbm: int | None = -113 + 2 * rssi
    elif 100 <= rssi <= 191:
        rssi_dbm = rssi - 216
    else:
        rssi_dbm = None
    return rssi_dbm, _ber(ber)


@record
class Cesq:
    """+CESQ in physical units; None where the modem reports "unknown" or out of range."""

    rxlev_dbm: int | None = None  # GSM received level
    ber: int | None = None  # GSM bit error rate, RxQual 0..7
    rscp_dbm: int | None = None  # UMTS received signal code power
    ecno_db: float | None = None  # UMTS Ec/No
    rsrq_db: float | None = None  # LTE reference signal received quality
    rsrp_dbm: int | None = None  # LTE reference signal received power


def parse_cesq(text: str) -> Cesq:
    """+CESQ: <rxlev>,<ber>,<rscp>,<ecno>,<rsrq>,<rsrp> (27.007 §8.69).

    rxlev 0..63 -> n - 111 dBm; ber 0..7; rscp 0..96 -> n - 121 dBm; ecno 0..49 -> n/2 - 24.5
    dB; rsrq 0..34 -> n/2 - 20 dB; rsrp 0..97 -> n - 141 dBm; 99 (rxlev, ber) and 255
    (others) -> None (MM src/mm-modem-helpers.c, asserted by MM-tests cesq). Fields after
    the sixth are ignored.
    """
    match = find_prefixed(info_lines(text, "+CESQ"), _CESQ)
    if not match:
        raise ParseError("+CESQ", text)
    rxlev, ber, rscp, ecno, rsrq, rsrp = _numbers(match.group(1), 6, "+CESQ", text)
    return frozen(
        Cesq,
        {
            "rxlev_dbm": rxlev - 111 if 0 <= rxlev <= 63 else None,
            "ber": ber if 0 <= ber <= 7 else None,
            "rscp_dbm": rscp - 121 if 0 <= rscp <= 96 else None,
            "ecno_db": ecno / 2 - 24.5 if 0 <= ecno <= 49 else None,
            "rsrq_db": rsrq / 2 - 20 if 0 <= rsrq <= 34 else None,
            "rsrp_dbm": rsrp - 141 if 0 <= rsrp <= 97 else None,
        },
    )


# Bars, 0..4. RSRP (LTE/NR) is the better measure when known: >= -85 dBm 4, >= -95 3,
# >= -105 2, >= -115 1, else 0; these are the usual excellent/good/fair/poor bands for
# RSRP. Otherwise RSSI: >= -73 dBm 4, >= -83 3, >= -93 2, >= -103 1, else 0, i.e. +CSQ
# 20, 15, 10 and 5, the common GSM/UMTS handset bands.
_RSRP_BARS = ((-85, 4), (-95, 3), (-105, 2), (-115, 1))
_RSSI_BARS = ((-73, 4), (-83, 3), (-93, 2), (-103, 1))


def bars(rssi_dbm: int | None, rsrp_dbm: int | None = None) -> int | None:
    """0..4 signal bars from RSRP when known, else from RSSI; None if neither is known."""
    if rsrp_dbm is not None:
        value, table = rsrp_dbm, _RSRP_BARS
    elif rssi_dbm is not None:
        value, table = rssi_dbm, _RSSI_BARS
    else:
        return None
    for threshold, count in table:
        if value >= threshold:
            return count
    return 0
