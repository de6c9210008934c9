"""Quectel-specific responses (EC2x/EG9x/BG96/RM500 and the Unisoc EC200/RM500U variants).

Formats from the Quectel EC2x&EG9x&EG2x-G&EM05 AT Commands Manual V2.0 (vendors.md "QAT")
and real RM500U captures ("QMT"); see vendors.md §2 and §3.1.
"""

from __future__ import annotations

from drivers.errors import ParseError
from drivers.parsers.radio import (
    CounterReading,
    RadioInfo,
    band_name,
    first_payload,
    is_empty,
    opt_hex,
    opt_int,
    payloads,
    rat_from_name,
    scaled,
    split_fields,
    split_plmn,
    to_int,
)
from drivers.records import replace
from drivers.types import Rat

# Quectel prints -32768 for a level it has not measured (e.g. an idle NR leg on RM500).
_INVALID = -32768


def _level(field: str, what: str, text: str) -> int | None:
    value = opt_int(field, what, text)
    return None if value == _INVALID else value


def parse_qgdcnt(text: str) -> CounterReading:
    """``+QGDCNT: <bytes_sent>,<bytes_recv>`` (module-wide, decimal, no documented width)."""
    fields = split_fields(first_payload(text, "+QGDCNT:", "+QGDCNT"))
    if len(fields) != 2:
        raise ParseError("+QGDCNT", text)
    sent, recv = (to_int(f, "+QGDCNT", text) for f in fields)
    if sent < 0 or recv < 0:
        raise ParseError("+QGDCNT", text)
    return CounterReading(rx_bytes=recv, tx_bytes=sent, detail="QGDCNT")


def parse_qaugdcnt(text: str) -> int:
    """``+QAUGDCNT: <seconds>``: the auto-save period of the counters (0 = off)."""
    fields = split_fields(first_payload(text, "+QAUGDCNT:", "+QAUGDCNT"))
    if len(fields) != 1:
        raise ParseError("+QAUGDCNT", text)
    value = to_int(fields[0], "+QAUGDCNT", text)
    if value < 0:
        raise ParseError("+QAUGDCNT", text)
    return value


def _qcsq_sinr(value: int | None) -> float | None:
    # SINR is reported in 1/5 dB steps, 0..250 = -20..+30 dB (Quectel manual wording quoted
    # in vendors.md §3.1 [O]). The same scale is assumed for the NR5G values of RM500 [?].
    return scaled(value, -100, 5, 0, 250)


def parse_qcsq(text: str) -> RadioInfo:
    """``+QCSQ: "<sysmode>",<values…>`` → RadioInfo (rssi/rsrp dBm, rsrq dB, sinr dB)."""
    fields = split_fields(first_payload(text, "+QCSQ:", "+QCSQ"))
    mode = fields[0].upper()
    values = [_level(f, "+QCSQ", text) for f in fields[1:]]

    def need(n: int) -> list[int | None]:
        if len(values) < n:
            raise ParseError("+QCSQ", text)
        return values[:n]

    if mode == "NOSERVICE":
        return RadioInfo(registered=False)
    if mode == "GSM":
        (rssi,) = need(1)
        return RadioInfo(rat=Rat.GSM, rssi_dbm=rssi)
    if mode in ("WCDMA", "TDSCDMA"):
        # <rscp>,<ecio> have no RadioInfo field; rssi is what the agent compares.
        (rssi,) = need(1)
        return RadioInfo(rat=Rat.UMTS, rssi_dbm=rssi)
    if mode in ("LTE", "CAT-M1", "CAT-NB1", "EMTC", "NBIOT"):
        rssi, rsrp, sinr, rsrq = need(4)
        return RadioInfo(
            rat=Rat.LTE, rssi_dbm=rssi, rsrp_dbm=rsrp, rsrq_db=rsrq, sinr_db=_qcsq_sinr(sinr)
        )
    if mode == "NR5G-SA":
        rsrp, sinr, rsrq = need(3)
        return RadioInfo(rat=Rat.NR5G, rsrp_dbm=rsrp, rsrq_db=rsrq, sinr_db=_qcsq_sinr(sinr))
    if mode == "NR5G-NSA":
        # RM500: four LTE anchor values, then the NR leg's rsrp,sinr,rsrq. The anchor is
        # reported because the NR leg reads -32768 whenever no NR data is scheduled.
        rssi, rsrp, sinr, rsrq = need(4)
        return RadioInfo(
            rat=Rat.NR5G, rssi_dbm=rssi, rsrp_dbm=rsrp, rsrq_db=rsrq, sinr_db=_qcsq_sinr(sinr)
        )
    raise ParseError("+QCSQ", text)


_REGISTERED_STATES = {"NOCONN": True, "CONNECT": True, "SEARCH": False, "LIMSRV": False}


def _qeng_lte(f: list[str], text: str, registered: bool | None) -> RadioInfo:
    # f starts at <is_tdd>: is_tdd,mcc,mnc,cellID,pcid,earfcn,band,ul_bw,dl_bw,tac,
    # rsrp,rsrq,rssi,sinr[,cqi,tx_power],srxlev. The 18-field form (EC200T and later EC2x)
    # inserts cqi/tx_power after sinr, so every field used here keeps its index.
    if len(f) < 14:
        raise ParseError('+QENG: "servingcell" (LTE)', text)
    what = '+QENG: "servingcell"'
    mcc, mnc = f[1] or None, f[2] or None
    return RadioInfo(
        rat=Rat.LTE,
        mcc=mcc,
        mnc=mnc,
        cell_id=opt_hex(f[3], what, text),
        band=band_name(f[6], Rat.LTE),
        area_code=opt_hex(f[9], what, text),
        rsrp_dbm=_level(f[10], what, text),
        rsrq_db=_level(f[11], what, text),
        rssi_dbm=_level(f[12], what, text),
        # EC2x prints SINR already in dB (-20..+30) here, unlike +QCSQ (QAT 06 §6.17;
        # EC200T: luci-app-3ginfo-lite issue #43 "SINR requires no conversion").
        sinr_db=_level(f[13], what, text),
        registered=registered,
    )


def _qeng_nr_sa(f: list[str], text: str, registered: bool | None) -> RadioInfo:
    # f starts at <duplex>: duplex,mcc,mnc,cellID,pcid,tac,arfcn,band,dl_bw,rsrp,rsrq,sinr,…
    # (RM500U capture in vendors.md §3.1: …,460,11,760BF0114,702,76010F,633984,78,100,-89,-8,15,…)
    if len(f) < 12:
        raise ParseError('+QENG: "servingcell" (NR5G-SA)', text)
    what = '+QENG: "servingcell"'
    return RadioInfo(
        rat=Rat.NR5G,
        mcc=f[1] or None,
        mnc=f[2] or None,
        cell_id=opt_hex(f[3], what, text),
        area_code=opt_hex(f[5], what, text),
        band=band_name(f[7], Rat.NR5G),
        rsrp_dbm=_level(f[9], what, text),
        rsrq_db=_level(f[10], what, text),
        sinr_db=_level(f[11], what, text),
        registered=registered,
    )


def _qeng_2g3g(rat: Rat, f: list[str], text: str, registered: bool | None) -> RadioInfo:
    # WCDMA: mcc,mnc,lac,cellID,uarfcn,psc,rac,rscp,ecio,…; GSM: mcc,mnc,lac,cellid,bsic,…
    # Best effort: identity of the cell only; their levels have no RadioInfo field.
    if len(f) < 4:
        raise ParseError('+QENG: "servingcell"', text)
    what = '+QENG: "servingcell"'
    return RadioInfo(
        rat=rat,
        mcc=f[0] or None,
        mnc=f[1] or None,
        area_code=opt_hex(f[2], what, text),
        cell_id=opt_hex(f[3], what, text),
        registered=registered,
    )


def parse_qeng_servingcell(text: str) -> RadioInfo:
    """``AT+QENG="servingcell"`` → RadioInfo; cell id and TAC/LAC arrive in hex.

    Handles the single-line LTE (17/18+ fields), NR5G-SA, WCDMA and GSM forms, the
    ``SEARCH``/``LIMSRV`` states, and the multi-line EN-DC form (a bare state line followed
    by ``+QENG: "LTE",…`` and ``+QENG: "NR5G-NSA",…``), which reports the LTE anchor.
    """
    lines = [split_fields(p) for p in payloads(text, "+QENG:")]
    head = next((f for f in lines if f and f[0].lower() == "servingcell"), None)
    if head is None or len(head) < 2:
        raise ParseError('+QENG: "servingcell"', text)
    state = head[1].upper()
    if state not in _REGISTERED_STATES:
        raise ParseError('+QENG: "servingcell"', text)
    registered = _REGISTERED_STATES[state]

    if len(head) == 2:
        # SEARCH / LIMSRV alone, or the first line of the EN-DC form.
        lte = next((f for f in lines if f and f[0].upper() == "LTE"), None)
        if lte is None:
            return RadioInfo(registered=registered)
        info = _qeng_lte(lte[1:], text, registered)
        if any(f and f[0].upper() == "NR5G-NSA" for f in lines):
            info = replace(info, rat=Rat.NR5G)
        return info

    rat = head[2].upper()
    rest = head[3:]
    if rat == "LTE":
        return _qeng_lte(rest, text, registered)
    if rat == "NR5G-SA":
        return _qeng_nr_sa(rest, text, registered)
    if rat in ("WCDMA", "TDSCDMA"):
        return _qeng_2g3g(Rat.UMTS, rest, text, registered)
    if rat == "GSM":
        return _qeng_2g3g(Rat.GSM, rest, text, registered)
    raise ParseError('+QENG: "servingcell"', text)


def parse_qnwinfo(text: str) -> RadioInfo:
    """``+QNWINFO: "<act>",<oper>,"<band>",<channel>`` → rat, mcc/mnc and band."""
    fields = split_fields(first_payload(text, "+QNWINFO:", "+QNWINFO"))
    act = fields[0]
    if act.upper().replace(" ", "") == "NOSERVICE":
        return RadioInfo(registered=False)
    if len(fields) < 3:
        raise ParseError("+QNWINFO", text)
    rat = rat_from_name(act)
    if rat is None:
        raise ParseError("+QNWINFO", text)
    mcc, mnc = split_plmn(fields[1])
    return RadioInfo(rat=rat, mcc=mcc, mnc=mnc, band=band_name(fields[2], rat))


def _ucs2(value: str) -> str | None:
    try:
        return bytes.fromhex(value).decode("utf-16-be")
    except ValueError:
        return None


def parse_qspn(text: str) -> str | None:
    """``+QSPN: "<FNN>","<SNN>","<SPN>",<alphabet>,"<RPLMN>"`` → the network's name.

    The full name is preferred, then the short name; alphabet 1 means UCS2 hex. None when
    the network sent no name.
    """
    fields = split_fields(first_payload(text, "+QSPN:", "+QSPN"))
    if len(fields) < 4:
        raise ParseError("+QSPN", text)
    ucs2 = fields[3] == "1"
    for name in fields[:2]:
        if is_empty(name):
            continue
        if ucs2:
            decoded = _ucs2(name)
            if decoded is None:
                raise ParseError("+QSPN", text)
            name = decoded
        return name
    return None
