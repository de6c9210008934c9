"""Telit-specific responses (LE910, LM960, LN940, UC864/HE910); see vendors.md §2, §3.6."""

from __future__ import annotations

from drivers.errors import ParseError
from drivers.parsers.radio import (
    CounterReading,
    RadioInfo,
    first_payload,
    is_empty,
    opt_hex,
    opt_int,
    payloads,
    scaled,
    split_fields,
    split_plmn,
    to_int,
)
from drivers.types import Rat


def parse_gdatavol(text: str) -> CounterReading:
    """``#GDATAVOL: <cid>,<tot>,<sent>,<received>``, one line per defined context → the sum
    over all contexts (TEL-UC864 §3.5.7.4.17). With ``AT#GDATAVOL=2`` these are the totals
    since the last reset, which Telit keeps in NVM (TEL-MT p.261)."""
    lines = payloads(text, "#GDATAVOL:")
    if not lines:
        raise ParseError("#GDATAVOL", text)
    sent_sum = recv_sum = 0
    for payload in lines:
        fields = split_fields(payload)
        if len(fields) != 4:
            raise ParseError("#GDATAVOL", text)
        _cid, _tot, sent, recv = (to_int(f, "#GDATAVOL", text) for f in fields)
        if min(sent, recv) < 0:
            raise ParseError("#GDATAVOL", text)
        sent_sum += sent
        recv_sum += recv
    return CounterReading(rx_bytes=recv_sum, tx_bytes=sent_sum, detail="GDATAVOL")


def _imsi_index(fields: list[str]) -> int | None:
    # The quoted IMSI (15 digits, zeros without a SIM) anchors the fields after the optional
    # ones: LE910 omits <TXPWR> altogether in idle, LM960 leaves it empty.
    for i in range(9, len(fields)):
        if fields[i].isdigit() and 14 <= len(fields[i]) <= 15:
            return i
    return None


def parse_rfsts(text: str) -> RadioInfo:
    """``#RFSTS:`` → RadioInfo, chosen by where the IMSI field falls.

    LTE: ``"<MCC> <MNC>",<EARFCN>,<RSRP>,<RSSI>,<RSRQ>,<TAC>,<RAC>,[<TXPWR>],<DRX>,<MM>,<RRC>,
    <CID>,<IMSI>,<NetName>,<SD>,<ABND>[,<SINR>]``; GSM: ``<PLMN>,<ARFCN>,<RSSI>,<LAC>,<RAC>,
    <TXPWR>,<MM>,<RR>,<NOM>,<CID>,<IMSI>,…``; WCDMA: ``<PLMN>,<UARFCN>,<PSC>,<Ec/Io>,<RSCP>,
    <RSSI>,<LAC>,<RAC>,<TXPWR>,<DRX>,<MM>,<RRC>,<NOM>,<BLER>,<CID>,<IMSI>,…``. Hex TAC/LAC/CID.
    """
    what = "#RFSTS"
    fields = split_fields(first_payload(text, "#RFSTS:", what))
    if len(fields) < 10:
        raise ParseError(what, text)
    mcc, mnc = split_plmn(fields[0]) if not is_empty(fields[0]) else (None, None)
    imsi = _imsi_index(fields)

    if imsi == 10:
        return RadioInfo(
            rat=Rat.GSM,
            mcc=mcc,
            mnc=mnc,
            rssi_dbm=opt_int(fields[2], what, text),
            area_code=opt_hex(fields[3], what, text),
            cell_id=opt_hex(fields[9], what, text),
        )
    if imsi is not None and imsi >= 15:
        return RadioInfo(
            rat=Rat.UMTS,
            mcc=mcc,
            mnc=mnc,
            rssi_dbm=opt_int(fields[5], what, text),
            area_code=opt_hex(fields[6], what, text),
            cell_id=opt_hex(fields[imsi - 1], what, text),
        )
    if imsi is not None and imsi not in (11, 12):
        raise ParseError(what, text)

    # LTE. Without an IMSI anchor (empty IMSI) only the fixed leading fields are trusted.
    cell_id = sinr = None
    band: str | None = None
    if imsi is not None:
        cell_id = opt_hex(fields[imsi - 1], what, text)
        if len(fields) > imsi + 3:
            abnd = opt_int(fields[imsi + 3], what, text)  # <ABND>: the E-UTRA band number
            band = f"B{abnd}" if abnd else None
        if len(fields) > imsi + 4:
            # LE910 prints SINR as a 0..250 level (dB = v/5 - 20): the Turkcell capture
            # reads 108/121/103 next to RSRQ -15/-16, i.e. 1.6/4.2/0.6 dB [O public driver].
            sinr = scaled(opt_int(fields[imsi + 4], what, text), -100, 5, 0, 250)
    return RadioInfo(
        rat=Rat.LTE,
        mcc=mcc,
        mnc=mnc,
        rsrp_dbm=opt_int(fields[2], what, text),
        rssi_dbm=opt_int(fields[3], what, text),
        rsrq_db=opt_int(fields[4], what, text),
        area_code=opt_hex(fields[5], what, text),
        cell_id=cell_id,
        band=band,
        sinr_db=sinr,
    )


# #PSNT <nt>: 0 GPRS, 1 EGPRS, 2 WCDMA, 3 HSDPA, 4 LTE, 5 unknown / not registered.
# MM's Telit plugin maps 4 to HSUPA on 3G-only models; every LTE-era module means LTE.
_PSNT = {0: Rat.GSM, 1: Rat.GSM, 2: Rat.UMTS, 3: Rat.UMTS, 4: Rat.LTE, 5: None}


def parse_psnt(text: str) -> Rat | None:
    """``#PSNT: <mode>,<nt>`` (query) or ``#PSNT: <nt>`` (URC) → Rat; 5 → None."""
    fields = split_fields(first_payload(text, "#PSNT:", "#PSNT"))
    # Some firmwares append HSUPA/HSDPA flags after <nt> in the query form; they are ignored.
    nt_field = fields[1] if len(fields) >= 2 else fields[0]
    nt = to_int(nt_field, "#PSNT", text)
    if nt not in _PSNT:
        raise ParseError("#PSNT", text)
    return _PSNT[nt]


def parse_qss(text: str) -> int:
    """``#QSS: <mode>,<status>`` → status: 0 SIM removed, 1 inserted, 2 inserted and
    unlocked, 3 inserted and ready (MM-tests telit-qss)."""
    fields = split_fields(first_payload(text, "#QSS:", "#QSS"))
    if len(fields) != 2:
        raise ParseError("#QSS", text)
    to_int(fields[0], "#QSS", text)
    status = to_int(fields[1], "#QSS", text)
    if not 0 <= status <= 3:
        raise ParseError("#QSS", text)
    return status
