"""Telit LE910C1-EU (Qualcomm MDM9207, LTE Cat 1): 27.007 plus Telit `#` commands.

Formats from vendors.md §2 and §3.6 (TEL-UC864 §3.5.7.4.17 #GDATAVOL; #RFSTS field list and
the Turkcell capture [O]; #QSS and #PSNT from MM's Telit plugin and tests). The LE910C1
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
)

# Defined PDP contexts: cid 1 the data APN, cid 2 an unused second APN, so #GDATAVOL has
# a line per context as on a real module.
SPARE_CID_APN = "ims"


def h_ccid(ctx: ModemContext, cmd: Command) -> list[str]:
    if cmd.op == "=?":
        return []
    if cmd.op != "":
        raise AtError(None)
    return [f"#CCID: {ctx.state.iccid}"]  # vendors.md §1.3 [O]


def h_cgdcont(ctx: ModemContext, cmd: Command) -> list[str]:
    lines = generic.h_cgdcont(ctx, cmd)
    if cmd.op == "?":
        lines.append(f'+CGDCONT: 2,"IPV4V6","{SPARE_CID_APN}","",0,0')
    return lines


def _rat(ctx: ModemContext) -> str:
    return "lte" if ctx.state.rat == "nr5g" else ctx.state.rat


def rfsts_line(ctx: ModemContext) -> str:
    s = ctx.state
    plmn = f'"{s.mcc} {s.mnc}"'
    rssi = -113 + 2 * s.csq if s.csq != 99 else -113
    imsi = f'"{s.imsi}"' if s.sim == "ready" else '"000000000000000"'
    name = f'"{s.operator}"'
    rat = _rat(ctx)
    if rat == "lte":
        rsrq = s.cesq[4] // 2 - 20 if s.cesq[4] != 255 else -20
        rsrp = s.cesq[5] - 141 if s.cesq[5] != 255 else -141
        # <TXPWR> only while transmitting; LE910 leaves the field out when idle (the capture
        # "#RFSTS: "286 01",1795,-101,-67,-15,2242,,128,3,1,0B5D121,"286016339612498",
        # "Turkcell",3,3,108" has none). SINR as a 0..250 level, dB = v/5 - 20.
        txpwr = "20," if s.traffic_bps > 0 else ""
        sinr = max(0, min(250, round((s.sinr + 20) * 5)))
        return (
            f"#RFSTS: {plmn},1650,{rsrp},{rssi},{rsrq},{s.lac:04X},,{txpwr}128,3,1,"
            f"{s.cell_id:X},{imsi},{name},3,3,{sinr}"
        )
    if rat == "umts":
        return (
            f"#RFSTS: {plmn},10663,279,-6.5,{s.cesq[2] - 121},{rssi},{s.lac:04X},00,0,64,19,0,"
            f"1,0.0,{s.cell_id:X},{imsi},{name},3,1"
        )
    return f"#RFSTS: {plmn},42,{rssi},{s.lac:04X},00,0,19,0,1,{s.cell_id:X},{imsi},{name},3,3"


def h_rfsts(ctx: ModemContext, cmd: Command) -> list[str]:
    if cmd.op == "=?":
        return []
    if cmd.op != "":
        raise AtError(None)
    if not generic.is_registered(ctx):
        raise AtError(30)  # no serving cell to report [? exact answer without service]
    return [rfsts_line(ctx)]


def h_gdatavol(ctx: ModemContext, cmd: Command) -> list[str]:
    if cmd.op == "=?":
        return ["#GDATAVOL: (0-2)"]
    mode = cmd.int_arg(0, 1) if cmd.op == "=" else None
    if mode is None and cmd.op != "":
        raise AtError(None)
    if mode == 0:
        ctx.set_counters(0, 0)  # resets every context's counters (TEL-UC864)
        return []
    if mode not in (None, 1, 2):
        raise AtError(50)
    rx, tx = ctx.counters()
    # #GDATAVOL: <cid>,<tot>,<sent>,<received>, one line per defined context. Mode 1 (last
    # session) is answered with the totals too: the simulator does not model sessions.
    return [f"#GDATAVOL: 1,{rx + tx},{tx},{rx}", "#GDATAVOL: 2,0,0,0"]


# #PSNT <nt>: 0 GPRS, 2 WCDMA, 4 LTE, 5 unknown (MM telit plugin).
_PSNT = {"gsm": 0, "umts": 2, "lte": 4}


def h_psnt(ctx: ModemContext, cmd: Command) -> list[str]:
    if cmd.op == "=?":
        return ["#PSNT: (0-1)"]
    if cmd.op != "?":
        raise AtError(None)
    nt = _PSNT[_rat(ctx)] if generic.is_registered(ctx) else 5
    return [f"#PSNT: 0,{nt}"]


def h_qss(ctx: ModemContext, cmd: Command) -> list[str]:
    if cmd.op == "=?":
        return ["#QSS: (0-2)"]
    if cmd.op != "?":
        raise AtError(None)
    # <status>: 0 removed, 1 inserted, 3 ready (MM-tests telit-qss).
    status = {"absent": 0, "locked": 1, "ready": 3}[ctx.state.sim]
    return [f"#QSS: 0,{status}"]


HANDLERS: dict[str, Handler] = {
    **generic.HANDLERS,
    "#CCID": h_ccid,
    "+CGDCONT": h_cgdcont,
    "#RFSTS": h_rfsts,
    "#GDATAVOL": h_gdatavol,
    "#PSNT": h_psnt,
    "#QSS": h_qss,
}
del HANDLERS["+CCID"]  # Telit reads the ICCID with #CCID (vendors.md §1.3)

PROFILE = Profile(
    name="telit",
    manufacturer="Telit",
    model="LE910C1-EU",
    revision="25.21.660",
    handlers=HANDLERS,
    cmee_default=0,
    sim_commands=generic.SIM_COMMANDS | {"#CCID"},
    boot_urcs=generic.cpin_urcs,
    sim_removed_urcs=generic.sim_removed,
    sim_inserted_urcs=generic.cpin_urcs,
    # #GDATAVOL=2 totals live in NVM and survive a power cycle (TEL-MT p.261).
    counters_after_boot=counters_kept,
)
