"""Quectel EC25 (Qualcomm MDM9207, firmware EC25EFAR06A06M4G): 27.007 plus Quectel commands.

Formats from vendors.md §3.1 and §2 (QAT = Quectel EC2x AT manual V2.0 translation,
QMT = real module captures).
"""

from __future__ import annotations

from drivers.simulator.commands import Command
from drivers.simulator.profiles import generic
from drivers.simulator.profiles.base import AtError, Handler, ModemContext, Profile, cpin_line
from drivers.simulator.state import Nvm


def h_ati(ctx: ModemContext, cmd: Command) -> list[str]:
    manufacturer, model, revision = generic.identity(ctx)
    # ATI → Quectel / EC25 / Revision: … (QAT ch.2; QMT RM500U ATI capture has the same shape).
    return [manufacturer, model, f"Revision: {revision}"]


def h_qgmr(ctx: ModemContext, cmd: Command) -> list[str]:
    return [generic.identity(ctx)[2]]


def h_qccid(ctx: ModemContext, cmd: Command) -> list[str]:
    if cmd.op == "=?":
        return []
    # +QCCID: 89860025128306012474, unquoted (QAT 05 §5.7).
    return [f"+QCCID: {ctx.state.iccid}"]


def h_qgdcnt(ctx: ModemContext, cmd: Command) -> list[str]:
    if cmd.op == "?":
        rx, tx = ctx.counters()
        # Sent first, received second: +QGDCNT: <bytes_sent>,<bytes_recv> (QAT 10 §10.15).
        return [f"+QGDCNT: {tx},{rx}"]
    if cmd.op == "=?":
        return ["+QGDCNT: (0,1)"]
    if cmd.op == "=":
        action = cmd.int_arg(0)
        if action == 0:
            ctx.set_counters(0, 0)
        elif action == 1:
            # Saved values are what the module loads from NVM at the next power-up.
            ctx.nvm.saved_rx, ctx.nvm.saved_tx = ctx.counters()
        else:
            raise AtError(50)
        return []
    raise AtError(None)


def h_qaugdcnt(ctx: ModemContext, cmd: Command) -> list[str]:
    if cmd.op == "?":
        return [f"+QAUGDCNT: {ctx.nvm.autosave_interval}"]
    if cmd.op == "=?":
        return ["+QAUGDCNT: (0,30-65535)"]
    if cmd.op == "=":
        value = cmd.int_arg(0)
        # 0 turns auto-save off; otherwise 30..65535 s (QAT 10 §10.16).
        if value is None or not (value == 0 or 30 <= value <= 65535):
            raise AtError(50)
        ctx.set_autosave(value)
        return []
    raise AtError(None)


def _dbm_rssi(csq: int) -> int:
    return -113 + 2 * csq


def h_qcsq(ctx: ModemContext, cmd: Command) -> list[str]:
    if cmd.op == "=?":
        return []
    s = ctx.state
    if not generic.is_registered(ctx) or s.csq == 99:
        return ['+QCSQ: "NOSERVICE"']
    rssi = _dbm_rssi(s.csq)
    _, _, rscp, ecno, rsrq, rsrp = s.cesq
    # SINR in 1/5 dB offset by 20 dB, 0..250 (Quectel manual wording quoted in vendors.md §3.1).
    sinr = max(0, min(250, round((s.sinr + 20) * 5)))
    if s.rat == "lte":
        return [f'+QCSQ: "LTE",{rssi},{rsrp - 141},{sinr},{rsrq // 2 - 20}']
    if s.rat == "umts":
        return [f'+QCSQ: "WCDMA",{rssi},{rscp - 121},{int(ecno * 0.5 - 24.5)}']
    if s.rat == "gsm":
        return [f'+QCSQ: "GSM",{rssi}']
    return [f'+QCSQ: "NR5G-SA",{rsrp - 141},{sinr},{rsrq // 2 - 20}']


def _serving_cell(ctx: ModemContext) -> str:
    s = ctx.state
    if not generic.is_registered(ctx):
        return '+QENG: "servingcell","SEARCH"'
    conn = "CONNECT" if s.traffic_bps > 0 else "NOCONN"
    rssi = _dbm_rssi(s.csq) if s.csq != 99 else -113
    rsrp, rsrq, sinr = s.cesq[5] - 141, s.cesq[4] // 2 - 20, round(s.sinr)
    tail = f"{s.mcc},{s.mnc},{s.cell_id:X}"
    if s.rat == "lte":
        # 18-field EC2x form; SINR already in dB here (QAT 06 §6.17 field list and example).
        return (
            f'+QENG: "servingcell","{conn}","LTE","FDD",{tail},87,1650,3,5,5,'
            f"{s.lac:X},{rsrp},{rsrq},{rssi},{sinr},46"
        )
    if s.rat == "umts":
        # WCDMA field list from QAT 06 §6.17 [?: no capture at hand].
        rscp, ecio = s.cesq[2] - 121, int(s.cesq[3] * 0.5 - 24.5)
        return (
            f'+QENG: "servingcell","{conn}","WCDMA",{s.mcc},{s.mnc},{s.lac:X},{s.cell_id:X},'
            f"10713,307,1,{rscp},{ecio},-,-,-,-,-"
        )
    if s.rat == "gsm":
        # GSM field list from QAT 06 §6.17 [?: no capture at hand].
        return (
            f'+QENG: "servingcell","{conn}","GSM",{s.mcc},{s.mnc},{s.lac:X},{s.cell_id:X},'
            f"34,70,0,{rssi},255,255,-,-,-,-,-,-,-,-,-,-,-,-,-"
        )
    # NR5G-SA as an RM500U prints it (QMT capture in vendors.md §3.1); the EC25 has no 5G.
    return (
        f'+QENG: "servingcell","{conn}","NR5G-SA","TDD",{tail},702,{s.lac:X},633984,78,100,'
        f"{rsrp},{rsrq},{sinr},18,34,1"
    )


def h_qeng(ctx: ModemContext, cmd: Command) -> list[str]:
    if cmd.op == "=?":
        return ['+QENG: "servingcell","neighbourcell"']
    if cmd.op == "=" and (cmd.arg(0) or "").lower() == "servingcell":
        return [_serving_cell(ctx)]
    raise AtError(None)


_NWINFO = {
    "lte": ('"FDD LTE"', '"LTE BAND 3"', 1650),
    "umts": ('"WCDMA"', '"WCDMA 2100"', 10713),
    "gsm": ('"GSM"', '"GSM 900"', 34),
    "nr5g": ('"NR5G-SA"', '"NR N78"', 633984),
}


def h_qnwinfo(ctx: ModemContext, cmd: Command) -> list[str]:
    if cmd.op == "=?":
        return []
    if not generic.is_registered(ctx):
        return ["+QNWINFO: No Service"]
    act, band, channel = _NWINFO[ctx.state.rat]
    # +QNWINFO: "FDD LTE",46011,"LTE BAND 3",1650 (QAT 06 §6.9).
    return [f"+QNWINFO: {act},{ctx.state.mcc}{ctx.state.mnc},{band},{channel}"]


def h_qspn(ctx: ModemContext, cmd: Command) -> list[str]:
    if cmd.op == "=?":
        return []
    if not generic.is_registered(ctx):
        raise AtError(30)  # [?] behaviour without service not documented
    s = ctx.state
    alphabet = 1 if ctx.settings.cscs == "UCS2" else 0
    full, short = generic.operator_name(ctx, 0), generic.operator_name(ctx, 1)
    # +QSPN: "CHN-UNICOM","UNICOM","",0,"46001" (QAT 06 §6.10).
    return [f'+QSPN: "{full}","{short}","",{alphabet},"{s.mcc}{s.mnc}"']


def h_qinistat(ctx: ModemContext, cmd: Command) -> list[str]:
    if cmd.op == "=?":
        return []
    # Bitmask: 1 CPIN READY, 2 SMS init done, 4 phonebook init done (QAT 05 §5.9).
    return [f"+QINISTAT: {7 if ctx.state.sim == 'ready' else 0}"]


def h_qsimstat(ctx: ModemContext, cmd: Command) -> list[str]:
    if cmd.op == "?":
        inserted = 0 if ctx.state.sim == "absent" else 1
        return [f"+QSIMSTAT: {int(ctx.settings.qsimstat_urc)},{inserted}"]
    if cmd.op == "=?":
        return ["+QSIMSTAT: (0,1)"]
    if cmd.op == "=":
        value = cmd.int_arg(0)
        if value not in (0, 1):
            raise AtError(50)
        ctx.settings.qsimstat_urc = value == 1
        return []
    raise AtError(None)


def _sim_ready_urcs(ctx: ModemContext) -> list[str]:
    sim = ctx.state.sim
    lines = [cpin_line(sim)]
    if sim == "ready":
        # SIM initialised, then SMS and phonebook ready (QAT 15.6 #26-28; +QUSIM per MM).
        lines += ["+QUSIM: 1", "+QIND: SMS DONE", "+QIND: PB DONE"]
    return lines


def boot_urcs(ctx: ModemContext) -> list[str]:
    return ["RDY", "+CFUN: 1", *_sim_ready_urcs(ctx)]


def sim_removed(ctx: ModemContext) -> list[str]:
    # +QSIMSTAT: 1,0 only when enabled with AT+QSIMSTAT=1 (QAT 05 §5.11).
    lines = ["+QSIMSTAT: 1,0"] if ctx.settings.qsimstat_urc else []
    return [*lines, "+CPIN: NOT READY"]


def sim_inserted(ctx: ModemContext) -> list[str]:
    lines = ["+QSIMSTAT: 1,1"] if ctx.settings.qsimstat_urc else []
    return [*lines, *_sim_ready_urcs(ctx)]


def counters_after_boot(nvm: Nvm, at_power_off: tuple[int, int]) -> tuple[int, int]:
    # EC2x loads +QGDCNT from NVM at power-up: only what AT+QGDCNT=1 or the AT+QAUGDCNT
    # auto-save stored survives (QAT 10 §10.15-10.16).
    return (nvm.saved_rx, nvm.saved_tx)


HANDLERS: dict[str, Handler] = {
    **generic.HANDLERS,
    "I": h_ati,
    "+QGMR": h_qgmr,
    "+QCCID": h_qccid,
    "+QGDCNT": h_qgdcnt,
    "+QAUGDCNT": h_qaugdcnt,
    "+QCSQ": h_qcsq,
    "+QENG": h_qeng,
    "+QNWINFO": h_qnwinfo,
    "+QSPN": h_qspn,
    "+QINISTAT": h_qinistat,
    "+QSIMSTAT": h_qsimstat,
}
# Qualcomm-based EC2x: the ICCID command is AT+QCCID; AT+CCID is documented only for the
# Unisoc variants (EC200U/RM500U, QMT capture), so the EC25 here answers it with ERROR
# (vendors.md §1.3, [?] on real EC25 firmware).
del HANDLERS["+CCID"]

PROFILE = Profile(
    name="quectel",
    manufacturer="Quectel",
    model="EC25",
    revision="EC25EFAR06A06M4G",
    handlers=HANDLERS,
    cmee_default=1,  # QAT 15.1 factory defaults
    sim_commands=generic.SIM_COMMANDS | {"+QCCID", "+QSPN"},
    boot_urcs=boot_urcs,
    sim_removed_urcs=sim_removed,
    sim_inserted_urcs=sim_inserted,
    counters_after_boot=counters_after_boot,
)
