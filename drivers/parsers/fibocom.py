"""Fibocom-specific responses (XMM-based L8x0 family); see vendors.md §3.4.

Fibocom modules have no byte counter over AT (vendors.md §2): only radio state is parsed here.
"""

from __future__ import annotations

from drivers.errors import ParseError
from drivers.parsers.radio import RadioInfo, first_payload, scaled, split_fields, to_int
from drivers.types import Rat


def parse_xcesq(text: str) -> RadioInfo:
    """``+XCESQ: <n>,<rxlev>,<ber>,<rscp>,<ecno>,<rsrq>,<rsrp>,<rssnr>`` → RadioInfo.

    rxlev, rsrq and rsrp use the +CESQ scales (rxlev-111 dBm, rsrq/2-20 dB, rsrp-141 dBm);
    rssnr is in 1/2 dB and may be negative (MM-tests xmm-xcesq). 99 (rxlev) and 255
    (the others) mean unknown. The RAT is the richest one with a value.
    """
    fields = split_fields(first_payload(text, "+XCESQ:", "+XCESQ"))
    if len(fields) != 8:
        raise ParseError("+XCESQ", text)
    _n, rxlev, _ber, rscp, _ecno, rsrq, rsrp, rssnr = (to_int(f, "+XCESQ", text) for f in fields)
    rsrq_db = scaled(rsrq, -40, 2, 0, 34)
    rsrp_dbm = scaled(rsrp, -141, 1, 0, 97)
    sinr_db = None if rssnr == 255 else scaled(rssnr, 0, 2, -200, 200)
    rssi_dbm = scaled(rxlev, -111, 1, 0, 63)
    if rsrp_dbm is not None or rsrq_db is not None:
        rat: Rat | None = Rat.LTE
    elif 0 <= rscp <= 96:
        rat = Rat.UMTS
    elif rssi_dbm is not None:
        rat = Rat.GSM
    else:
        rat = None
    return RadioInfo(
        rat=rat, rssi_dbm=rssi_dbm, rsrp_dbm=rsrp_dbm, rsrq_db=rsrq_db, sinr_db=sinr_db
    )
