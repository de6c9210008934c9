"""Huawei-specific responses (ME909s/ME906/MU709/E3372 stick firmware); see vendors.md §2, §3.3.

Signal conversions follow ModemManager's Huawei plugin (vendors.md "MM",
``src/plugins/huawei/mm-broadband-modem-huawei.c``); raw strings from its tests ("MM-tests").
"""

from __future__ import annotations

from drivers.errors import ParseError
from drivers.parsers.radio import (
    CounterReading,
    RadioInfo,
    first_payload,
    is_empty,
    opt_int,
    rat_from_name,
    response_lines,
    scaled,
    split_fields,
    to_hex,
    to_int,
)
from drivers.records import record
from drivers.types import Rat


def _hcsq_values(fields: list[str], n: int, text: str) -> list[int | None]:
    if len(fields) < n:
        raise ParseError("^HCSQ", text)
    return [opt_int(f, "^HCSQ", text) for f in fields[:n]]


def parse_hcsq(text: str) -> RadioInfo:
    """``^HCSQ: "<sysmode>",<levels…>`` (quotes optional) → RadioInfo in dBm/dB.

    Levels: rssi v-121 (0..96), rsrp v-141 (0..97), sinr v/5-20.2 (0..251),
    rsrq v/2-20 (0..34); 255 or out of range → None. ``NOSERVICE`` → not registered.
    """
    fields = split_fields(first_payload(text, "^HCSQ:", "^HCSQ"))
    mode = fields[0].upper()
    rest = fields[1:]
    if mode == "NOSERVICE":
        return RadioInfo(registered=False)
    if mode == "GSM":
        (rssi,) = _hcsq_values(rest, 1, text)
        return RadioInfo(rat=Rat.GSM, rssi_dbm=scaled(rssi, -121, 1, 0, 96))
    if mode in ("WCDMA", "TD-SCDMA"):
        # <rscp>,<ecio> follow; RadioInfo carries only rssi for UMTS.
        (rssi,) = _hcsq_values(rest, 1, text)
        return RadioInfo(rat=Rat.UMTS, rssi_dbm=scaled(rssi, -121, 1, 0, 96))
    if mode == "LTE":
        rssi, rsrp, sinr, rsrq = _hcsq_values(rest, 4, text)
        return RadioInfo(
            rat=Rat.LTE,
            rssi_dbm=scaled(rssi, -121, 1, 0, 96),
            rsrp_dbm=scaled(rsrp, -141, 1, 0, 97),
            sinr_db=scaled(sinr, -101, 5, 0, 251),  # v/5 - 20.2
            rsrq_db=scaled(rsrq, -40, 2, 0, 34),  # v/2 - 20
        )
    raise ParseError("^HCSQ", text)


# ^SYSINFOEX <sysmode> when the name field is empty (Huawei ME909s numbering).
_SYSMODES = {1: Rat.GSM, 3: Rat.UMTS, 4: Rat.UMTS, 6: Rat.LTE}


def parse_sysinfoex(text: str) -> RadioInfo:
    """``^SYSINFOEX: <srv_status>,<srv_domain>,<roam>,<sim_state>,<lock>,<sysmode>,
    "<sysmode_name>",<submode>,"<submode_name>"`` → rat and registered (srv_status 2)."""
    fields = split_fields(first_payload(text, "^SYSINFOEX:", "^SYSINFOEX"))
    if len(fields) < 6:
        raise ParseError("^SYSINFOEX", text)
    srv_status = to_int(fields[0], "^SYSINFOEX", text)
    sysmode = opt_int(fields[5], "^SYSINFOEX", text)
    name = fields[6] if len(fields) > 6 else ""
    rat = rat_from_name(name) if not is_empty(name) else _SYSMODES.get(sysmode or 0)
    return RadioInfo(rat=rat, registered=srv_status == 2)


def _flow_fields(text: str) -> list[str]:
    lines = response_lines(text)
    for i, line in enumerate(lines):
        upper = line.upper()
        # EM770W (2009) spells it %DSFLOWQRY (HW-EM770W §9.3); later firmwares use ^.
        for prefix in ("^DSFLOWQRY:", "%DSFLOWQRY:"):
            if upper.startswith(prefix):
                payload = line[len(prefix) :].strip()
                # Some firmwares print the values on the line after a bare prefix
                # (vendors.md §2 Huawei, [O QModem]).
                if not payload and i + 1 < len(lines):
                    payload = lines[i + 1]
                return split_fields(payload)
    raise ParseError("^DSFLOWQRY", text)


def parse_dsflowqry(text: str) -> CounterReading:
    """``^DSFLOWQRY: <last_ds_time>,<last_tx>,<last_rx>,<total_ds_time>,<total_tx>,<total_rx>``.

    All hex: fixed width (8 digits for times, 16 for flows) on Huawei, short unpadded hex
    on some clones. The totals (kept since the last ``^DSFLOWCLR``) are returned.
    """
    fields = _flow_fields(text)
    if len(fields) != 6:
        raise ParseError("^DSFLOWQRY", text)
    values = [to_hex(f, "^DSFLOWQRY", text) for f in fields]
    return CounterReading(rx_bytes=values[5], tx_bytes=values[4], detail="DSFLOWQRY total")


@record
class DsFlowReport:
    """One ``^DSFLOWRPT`` URC: the current connection's duration, rates and flows."""

    seconds: int
    tx_rate_bps: int  # bytes per second, as Huawei reports it
    rx_rate_bps: int
    tx_bytes: int
    rx_bytes: int
    qos_tx_rate_bps: int | None = None
    qos_rx_rate_bps: int | None = None

    def reading(self) -> CounterReading:
        return CounterReading(
            rx_bytes=self.rx_bytes, tx_bytes=self.tx_bytes, detail="DSFLOWRPT session"
        )


def parse_dsflowrpt(text: str) -> DsFlowReport:
    """``^DSFLOWRPT: <time>,<tx_rate>,<rx_rate>,<tx_flow>,<rx_flow>[,<qos_tx>,<qos_rx>]``
    (hex, sent every ~2 s while connected; [O] several codebases, vendors.md §2)."""
    fields = split_fields(first_payload(text, "^DSFLOWRPT:", "^DSFLOWRPT"))
    if len(fields) not in (5, 7):
        raise ParseError("^DSFLOWRPT", text)
    v = [to_hex(f, "^DSFLOWRPT", text) for f in fields]
    return DsFlowReport(
        seconds=v[0],
        tx_rate_bps=v[1],
        rx_rate_bps=v[2],
        tx_bytes=v[3],
        rx_bytes=v[4],
        qos_tx_rate_bps=v[5] if len(v) == 7 else None,
        qos_rx_rate_bps=v[6] if len(v) == 7 else None,
    )


def parse_rssi_urc(text: str) -> int | None:
    """``^RSSI: <0..31|99>`` (the +CSQ scale) → dBm = -113 + 2n; 99 → None."""
    fields = split_fields(first_payload(text, "^RSSI:", "^RSSI"))
    if len(fields) != 1:
        raise ParseError("^RSSI", text)
    n = to_int(fields[0], "^RSSI", text)
    if n == 99:
        return None
    if not 0 <= n <= 31:
        raise ParseError("^RSSI", text)
    return -113 + 2 * n
