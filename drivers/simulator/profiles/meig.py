"""MeiG SLM770A (ASR1803, LTE Cat 4): 27.007 plus Huawei-style `^DSFLOWQRY` counters.

vendors.md §3.8: the SLM770A copies Huawei's counter command [O third-party driver]; the
value width is not documented for it, so this profile prints the short unpadded hex some
clone firmwares use (vendors.md §2, [O] QModem tests) — the Huawei profile has the fixed
width form. `AT+ICCID` answers `+ICCID:` as on the UIS8910 parts (QMT Air724UG) [?].
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


def h_iccid(ctx: ModemContext, cmd: Command) -> list[str]:
    if cmd.op == "=?":
        return []
    if cmd.op not in ("", "?"):
        raise AtError(None)
    return [f"+ICCID: {ctx.state.iccid}"]


def h_dsflowqry(ctx: ModemContext, cmd: Command) -> list[str]:
    if cmd.op == "=?":
        return []
    if cmd.op != "":
        raise AtError(None)
    rx, tx = ctx.counters()
    bps = ctx.state.traffic_bps
    seconds = int((rx + tx) / bps) if bps > 0 else 0
    # <last_time>,<last_tx>,<last_rx>,<total_time>,<total_tx>,<total_rx>, lower-case hex
    # without padding ("^DSFLOWQRY: 100,0,0,592,645c,3c0f", QModem tests [O]).
    return [f"^DSFLOWQRY: {seconds:x},{tx:x},{rx:x},{seconds:x},{tx:x},{rx:x}"]


def h_dsflowclr(ctx: ModemContext, cmd: Command) -> list[str]:
    if cmd.op != "":
        raise AtError(None)
    ctx.set_counters(0, 0)
    return []


HANDLERS: dict[str, Handler] = {
    **generic.HANDLERS,
    "+ICCID": h_iccid,
    "^DSFLOWQRY": h_dsflowqry,
    "^DSFLOWCLR": h_dsflowclr,
}

PROFILE = Profile(
    name="meig",
    manufacturer="MEIG",
    model="SLM770A",
    revision="SLM770A_V1.0.6",  # [?] revision string format
    handlers=HANDLERS,
    cmee_default=0,
    sim_commands=generic.SIM_COMMANDS | {"+ICCID"},
    boot_urcs=generic.cpin_urcs,
    sim_removed_urcs=generic.sim_removed,
    sim_inserted_urcs=generic.cpin_urcs,
    # Huawei-style ^DSFLOWQRY totals, kept across a power cycle as Huawei's are [?].
    counters_after_boot=counters_kept,
)
