"""SIMCom SIM7600E-H (Qualcomm, LTE Cat 1/4): 27.007 plus SIMCom commands.

Formats from vendors.md §3.2 ([O] codebases and captures; CPSI field list from the oFono
simcom netmon driver comment). The SIM7600E-H has no 5G: a scenario's ``nr5g`` is shown
as its LTE anchor.
"""

from __future__ import annotations

from drivers.simulator.commands import Command
from drivers.simulator.profiles import generic
from drivers.simulator.profiles.base import AtError, Handler, ModemContext, Profile, cpin_line


def h_cgmr(ctx: ModemContext, cmd: Command) -> list[str]:
    if cmd.op == "=?":
        return []
    if cmd.op != "":
        raise AtError(None)
    # Prefixed answer, +CGMR: LE20B04SIM7600M22 (vendors.md §3.2 [?]).
    return [f"+CGMR: {generic.identity(ctx)[2]}"]


def h_ciccid(ctx: ModemContext, cmd: Command) -> list[str]:
    if cmd.op == "=?":
        return []
    if cmd.op != "":
        raise AtError(None)
    # The answer's prefix is +ICCID, not +CICCID (vendors.md §1.3 [O]).
    return [f"+ICCID: {ctx.state.iccid}"]


def _rat(ctx: ModemContext) -> str:
    return "lte" if ctx.state.rat == "nr5g" else ctx.state.rat


def cpsi_line(ctx: ModemContext) -> str:
    s = ctx.state
    if not generic.is_registered(ctx):
        return "+CPSI: NO SERVICE,Online"
    plmn = f"{s.mcc}-{s.mnc}"
    rssi = -113 + 2 * s.csq if s.csq != 99 else -113
    rat = _rat(ctx)
    if rat == "lte":
        rsrq = (s.cesq[4] / 2 - 20) if s.cesq[4] != 255 else -20.0
        rsrp = (s.cesq[5] - 141) if s.cesq[5] != 255 else -141
        # SIM7600: RSRQ, RSRP and RSSI in tenths of dB, RSSNR in dB (vendors.md §3.2:
        # "+CPSI: LTE,Online,228-02,0x9CA4,20964868,46,EUTRAN-BAND20,6200,3,3,-178,-1089,-742,8").
        return (
            f"+CPSI: LTE,Online,{plmn},0x{s.lac:04X},{s.cell_id},46,EUTRAN-BAND3,1650,5,5,"
            f"{round(rsrq * 10)},{rsrp * 10},{rssi * 10},{round(s.sinr)}"
        )
    if rat == "umts":
        # WCDMA form [?: field meaning beyond the band not documented in vendors.md].
        return (
            f"+CPSI: WCDMA,Online,{plmn},0x{s.lac:04X},{s.cell_id},WCDMA IMT 2000,279,10663,"
            "0,1.5,62,33,52,500"
        )
    # GSM: …,<arfcn band>,<RxLev dBm>,<TA>,<C1>-<C2> [?].
    return f"+CPSI: GSM,Online,{plmn},0x{s.lac:04X},{s.cell_id},27 EGSM900,{rssi},0,42-42"


def h_cpsi(ctx: ModemContext, cmd: Command) -> list[str]:
    if cmd.op == "=?":
        return ["+CPSI: (0-255)"]
    if cmd.op == "=":
        return []  # periodic reporting interval; the simulator does not report on its own
    if cmd.op != "?":
        raise AtError(None)
    return [cpsi_line(ctx)]


# +CNSMOD <stat>: 1 GSM, 4 WCDMA, 8 LTE (vendors.md §3.2, value table [?]).
_CNSMOD = {"gsm": 1, "umts": 4, "lte": 8}


def h_cnsmod(ctx: ModemContext, cmd: Command) -> list[str]:
    if cmd.op == "=?":
        return ["+CNSMOD: (0-1)"]
    if cmd.op != "?":
        raise AtError(None)
    stat = _CNSMOD[_rat(ctx)] if generic.is_registered(ctx) else 0
    return [f"+CNSMOD: 0,{stat}"]


def _sim_ready_urcs(ctx: ModemContext) -> list[str]:
    sim = ctx.state.sim
    # Boot sequence RDY, +CPIN: READY, SMS DONE, PB DONE (vendors.md §1.10 [O]).
    return [cpin_line(sim), "SMS DONE", "PB DONE"] if sim == "ready" else [cpin_line(sim)]


def boot_urcs(ctx: ModemContext) -> list[str]:
    return ["RDY", *_sim_ready_urcs(ctx)]


HANDLERS: dict[str, Handler] = {
    **generic.HANDLERS,
    "+CGMR": h_cgmr,
    "+CICCID": h_ciccid,
    "+CPSI": h_cpsi,
    "+CNSMOD": h_cnsmod,
}

PROFILE = Profile(
    name="simcom",
    manufacturer="SIMCOM INCORPORATED",
    model="SIMCOM_SIM7600E-H",
    revision="LE20B04SIM7600M22",
    handlers=HANDLERS,
    cmee_default=0,
    sim_commands=generic.SIM_COMMANDS | {"+CICCID"},
    boot_urcs=boot_urcs,
    sim_removed_urcs=generic.sim_removed,
    sim_inserted_urcs=_sim_ready_urcs,
)
