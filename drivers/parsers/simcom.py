"""SIMCom-specific responses (SIM7600, SIM7000/SIM7070, A7670); see vendors.md §3.2.

SIMCom modules have no byte counter over AT (vendors.md §2): only radio state is parsed here.
"""

from __future__ import annotations

from drivers.errors import ParseError
from drivers.parsers.radio import (
    RadioInfo,
    band_name,
    first_payload,
    is_empty,
    opt_float,
    opt_hex,
    opt_int,
    rat_from_name,
    split_fields,
    split_plmn,
    to_int,
)
from drivers.types import Rat


def _lte_levels(
    rsrq: float | None, rsrp: float | None, rssi: float | None
) -> tuple[float | None, float | None, float | None]:
    # SIM7600 prints RSRQ/RSRP/RSSI in 1/10 dB (-1089 = -108.9 dBm); SIM7000/SIM7070 print
    # dB; early SIM7100 firmware printed raw positive indices (…,21,67,255,19) with no
    # documented mapping (vendors.md §3.2, [O] oFono simcom netmon comment and captures).
    # No real RSRP is above -44 dBm or below -140 dBm, so the magnitude tells them apart.
    if rsrp is None:
        return rsrq, None, rssi
    if rsrp >= 0:
        return None, None, None
    if abs(rsrp) > 200:
        return _tenth(rsrq), _tenth(rsrp), _tenth(rssi)
    return rsrq, rsrp, rssi


def _tenth(value: float | None) -> float | None:
    return None if value is None else round(value / 10, 1)


def parse_cpsi(text: str) -> RadioInfo:
    """``+CPSI: <sys_mode>,<op_mode>[,<MCC>-<MNC>,<LAC|TAC>,<cell id>,…]`` → RadioInfo.

    LTE: ``…,<TAC hex>,<SCellID dec>,<PCellID>,<band>,<earfcn>,<dlbw>,<ulbw>,<RSRQ>,<RSRP>,
    <RSSI>,<RSSNR>``; GSM: ``…,<LAC>,<cell id>,<arfcn band>,<RxLev dBm>,…``; WCDMA: identity
    and band only (its levels are not in dBm). ``NO SERVICE`` → not registered.
    """
    what = "+CPSI"
    fields = split_fields(first_payload(text, "+CPSI:", what))
    mode = fields[0].upper()
    if mode == "NO SERVICE":
        return RadioInfo(registered=False)
    rat = rat_from_name(mode)
    if rat is None or len(fields) < 5:
        raise ParseError(what, text)
    mcc, mnc = split_plmn(fields[2])
    area = opt_hex(fields[3], what, text)
    cell = opt_int(fields[4], what, text)
    base = {"rat": rat, "mcc": mcc, "mnc": mnc, "area_code": area, "cell_id": cell}

    if rat is Rat.LTE:
        if len(fields) < 14:
            raise ParseError(what, text)
        rsrq, rsrp, rssi = _lte_levels(
            opt_float(fields[10], what, text),
            opt_float(fields[11], what, text),
            opt_float(fields[12], what, text),
        )
        return RadioInfo(
            **base,
            band=band_name(fields[6], Rat.LTE),
            rsrq_db=rsrq,
            rsrp_dbm=rsrp,
            rssi_dbm=rssi,
            sinr_db=opt_float(fields[13], what, text),  # RSSNR: dB on every model
        )
    if rat is Rat.GSM:
        rxlev = opt_int(fields[6], what, text) if len(fields) > 6 else None
        return RadioInfo(**base, rssi_dbm=rxlev if rxlev is not None and rxlev < 0 else None)
    band = fields[5] if len(fields) > 5 and not is_empty(fields[5]) else None
    return RadioInfo(**base, band=band)


# AT+CNSMOD <stat>, SIM7600 table (vendors.md §3.2; MM simtech plugin uses the command).
_CNSMOD = {
    0: None,
    1: Rat.GSM,
    2: Rat.GSM,
    3: Rat.GSM,
    4: Rat.UMTS,
    5: Rat.UMTS,
    6: Rat.UMTS,
    7: Rat.UMTS,
    8: Rat.LTE,
    9: Rat.UMTS,  # TDS-CDMA
    10: Rat.UMTS,
    11: Rat.UMTS,
    12: Rat.UMTS,
    16: Rat.LTE,  # 1xLTE
}
# SIM7000/SIM7070 (CAT-M/NB-IoT) reuse the numbers: 1 GSM, 3 EGPRS, 7 LTE M1, 9 LTE NB [?].
_CNSMOD_IOT = {0: None, 1: Rat.GSM, 3: Rat.GSM, 7: Rat.LTE, 9: Rat.LTE}


def parse_cnsmod(text: str, *, iot: bool = False) -> Rat | None:
    """``+CNSMOD: <n>,<stat>`` (query) or ``+CNSMOD: <stat>`` (URC) → Rat; 0 → None.

    ``iot=True`` reads the SIM7000/SIM7070 numbering, where 7 and 9 are LTE.
    """
    fields = split_fields(first_payload(text, "+CNSMOD:", "+CNSMOD"))
    if len(fields) not in (1, 2):
        raise ParseError("+CNSMOD", text)
    stat = to_int(fields[-1], "+CNSMOD", text)
    table = _CNSMOD_IOT if iot else _CNSMOD
    if stat not in table:
        # CDMA/EVDO modes (13-15, 23, 24) have no Rat; anything else is not a +CNSMOD value.
        if not iot and stat in (13, 14, 15, 23, 24):
            return None
        raise ParseError("+CNSMOD", text)
    return table[stat]
