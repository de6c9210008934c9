"""Huawei ME909s-120 (LTE Cat 4 module, stick-style AT firmware): 27.007 plus Huawei commands.

Formats from vendors.md §3.3 and §2 (MM-tests huawei-*, HW-EM770W §9.2-9.3). The ME909s
has no 5G: a scenario's ``nr5g`` is shown as its LTE anchor.
"""

from __future__ import annotations

from drivers.simulator.commands import Command
from drivers.simulator.profiles import generic
from drivers.simulator.profiles.base import (
    AtError,
    Handler,
    ModemContext,
    Profile,
    counters_kept,
    cpin_line,
)
from drivers.simulator.state import swap_iccid


def h_ati(ctx: ModemContext, cmd: Command) -> list[str]:
    manufacturer, model, revision = generic.identity(ctx)
    # Manufacturer/Model/Revision/IMEI/+GCAP (MM devid test form; vendors.md §3.3).
    return [
        f"Manufacturer: {manufacturer}",
        f"Model: {model}",
        f"Revision: {revision}",
        f"IMEI: {ctx.state.imei}",
        "+GCAP: +CGSM,+DS,+ES",
    ]


def h_iccid(ctx: ModemContext, cmd: Command) -> list[str]:
    if cmd.op == "=?":
        return []
    if cmd.op != "?":
        raise AtError(None)
    # The raw EF_ICCID bytes, nibble-swapped like +CRSM; MM feeds ^ICCID to its swap-aware
    # parser (mm-sim-huawei.c), so either order is read correctly [? which one ME909s prints].
    return [f"^ICCID: {swap_iccid(ctx.state.iccid)}"]


def _rat(ctx: ModemContext) -> str:
    return "lte" if ctx.state.rat == "nr5g" else ctx.state.rat


def _level(value: float, lo: int, hi: int) -> int:
    return max(lo, min(hi, round(value)))


def hcsq_line(ctx: ModemContext) -> str:
    """^HCSQ in raw levels: rssi dBm+121, rsrp dBm+141, sinr (dB+20.2)*5, rsrq (dB+20)*2
    (the MM conversions of vendors.md §3.3, inverted)."""
    s = ctx.state
    if not generic.is_registered(ctx) or s.csq == 99:
        return '^HCSQ: "NOSERVICE"'
    rssi = _level(-113 + 2 * s.csq + 121, 0, 96)
    _, _, rscp, ecno, rsrq, rsrp = s.cesq
    rat = _rat(ctx)
    if rat == "lte":
        sinr = _level((s.sinr + 20.2) * 5, 0, 251)
        return f'^HCSQ: "LTE",{rssi},{rsrp},{sinr},{rsrq}'
    if rat == "umts":
        # ecio on Huawei's scale (v/2 - 32.5); rscp assumed on the +CESQ one (v - 121) [?].
        return f'^HCSQ: "WCDMA",{rssi},{rscp},{_level(ecno + 16, 0, 65)}'
    return f'^HCSQ: "GSM",{rssi}'


def h_hcsq(ctx: ModemContext, cmd: Command) -> list[str]:
    if cmd.op == "=?":
        return ['^HCSQ: "NOSERVICE","GSM","WCDMA","LTE"']
    if cmd.op != "?":
        raise AtError(None)
    return [hcsq_line(ctx)]


# <sysmode>,"<name>",<submode>,"<name>" per RAT (ME909s numbering; MM-tests huawei-sysinfoex).
_SYSMODES = {
    "gsm": '1,"GSM",3,"EDGE"',
    "umts": '3,"WCDMA",41,"HSPA+"',
    "lte": '6,"LTE",101,"LTE"',
}


def h_sysinfoex(ctx: ModemContext, cmd: Command) -> list[str]:
    if cmd.op == "=?":
        return []
    if cmd.op != "":
        raise AtError(None)
    s = ctx.state
    sim = {"ready": 1, "locked": 240, "absent": 255}[s.sim]
    if not generic.is_registered(ctx):
        return [f'^SYSINFOEX: 0,0,0,{sim},,0,"NO SERVICE",0,"NO SERVICE"']
    roam = 1 if generic.registration(ctx) in (5, 7, 10) else 0
    # <srv_status> 2 = service, <srv_domain> 3 = CS+PS (MM-tests ^SYSINFOEX:2,4,5,1,,3,…).
    return [f"^SYSINFOEX: 2,3,{roam},{sim},,{_SYSMODES[_rat(ctx)]}"]


def _flow_seconds(ctx: ModemContext, rx: int, tx: int) -> int:
    # The simulator keeps no connection clock: time online is what the traffic implies.
    bps = ctx.state.traffic_bps
    return int((rx + tx) / bps) if bps > 0 else 0


def h_dsflowqry(ctx: ModemContext, cmd: Command) -> list[str]:
    if cmd.op == "=?":
        return []
    if cmd.op != "":
        raise AtError(None)
    rx, tx = ctx.counters()
    seconds = _flow_seconds(ctx, rx, tx)
    # Fixed width upper-case hex: times 8 digits (s), flows 16 digits (bytes), no space
    # after the colon (HW-EM770W §9.3; sample in vendors.md §2). The simulator does not
    # model sessions: the last session is answered with the totals.
    return [f"^DSFLOWQRY:{seconds:08X},{tx:016X},{rx:016X},{seconds:08X},{tx:016X},{rx:016X}"]


def h_dsflowclr(ctx: ModemContext, cmd: Command) -> list[str]:
    if cmd.op != "":
        raise AtError(None)
    ctx.set_counters(0, 0)  # clears all six values (HW-EM770W §9.2)
    return []


def _simst(ctx: ModemContext) -> str:
    # ^SIMST: 1 valid SIM, 255 absent (vendors.md §1.10 [?] on the other values).
    return f"^SIMST: {255 if ctx.state.sim == 'absent' else 1}"


def boot_urcs(ctx: ModemContext) -> list[str]:
    return [_simst(ctx), cpin_line(ctx.state.sim)]


def sim_removed(ctx: ModemContext) -> list[str]:
    return ["^SIMST: 255", "+CPIN: NOT READY"]


HANDLERS: dict[str, Handler] = {
    **generic.HANDLERS,
    "I": h_ati,
    "^ICCID": h_iccid,
    "^HCSQ": h_hcsq,
    "^SYSINFOEX": h_sysinfoex,
    "^DSFLOWQRY": h_dsflowqry,
    "^DSFLOWCLR": h_dsflowclr,
    "+CUSD": generic.messaging_handler("h_cusd_packed"),
}
del HANDLERS["+CCID"]  # not a Huawei command (vendors.md §1.3 lists ^ICCID and +CRSM)

PROFILE = Profile(
    name="huawei",
    manufacturer="huawei",
    model="ME909s-120",
    revision="11.617.01.00.00",
    handlers=HANDLERS,
    cmee_default=0,
    sim_commands=generic.SIM_COMMANDS | {"^ICCID"},
    boot_urcs=boot_urcs,
    sim_removed_urcs=sim_removed,
    sim_inserted_urcs=boot_urcs,
    # ^DSFLOWQRY totals persist until ^DSFLOWCLR (HW-EM770W §9.2); across power loss they
    # are believed NV-backed (vendors.md §2 [?]), and kept here.
    counters_after_boot=counters_kept,
)
