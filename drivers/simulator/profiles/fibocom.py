"""Fibocom L850-GL (Intel XMM7360, LTE Cat 9): 27.007 plus the XMM `+XCESQ` signal report.

Formats from vendors.md §3.4 (MM-tests xmm-xcesq-*; identity per MM's fibocom plugin).
The L850-GL has no 5G: a scenario's ``nr5g`` is shown as its LTE anchor.
"""

from __future__ import annotations

from drivers.simulator.commands import Command
from drivers.simulator.profiles import generic
from drivers.simulator.profiles.base import AtError, Handler, ModemContext, Profile


def xcesq_line(ctx: ModemContext) -> str:
    """+XCESQ: <n>,<rxlev>,<ber>,<rscp>,<ecno>,<rsrq>,<rsrp>,<rssnr>: the +CESQ scales plus
    the SNR in 1/2 dB (e.g. "+XCESQ: 0,99,99,255,255,19,46,32", MM-tests xmm-xcesq-1)."""
    s = ctx.state
    n = 0  # URC reporting off: the simulator sends no +XCESQI
    if ctx.settings.cfun != 1 or not generic.is_registered(ctx):
        return f"+XCESQ: {n},99,99,255,255,255,255,255"
    rxlev, ber, rscp, ecno, rsrq, rsrp = s.cesq
    if s.rat in ("lte", "nr5g"):
        snr = max(-200, min(200, round(s.sinr * 2)))
        return f"+XCESQ: {n},99,99,255,255,{rsrq},{rsrp},{snr}"
    return f"+XCESQ: {n},{rxlev},{ber},{rscp},{ecno},255,255,255"


def h_xcesq(ctx: ModemContext, cmd: Command) -> list[str]:
    if cmd.op == "=?":
        return ["+XCESQ: (0,1)"]
    if cmd.op == "=":
        value = cmd.int_arg(0, 0)
        if value not in (0, 1):
            raise AtError(50)
        return []  # accepted; the simulator sends no +XCESQI reports
    if cmd.op != "?":
        raise AtError(None)
    return [xcesq_line(ctx)]


HANDLERS: dict[str, Handler] = {**generic.HANDLERS, "+XCESQ": h_xcesq}

PROFILE = Profile(
    name="fibocom",
    manufacturer="Fibocom",
    model="L850-GL",
    revision="18500.5001.00.05.27.12",  # [?] revision string format
    handlers=HANDLERS,
    cmee_default=0,
    sim_commands=generic.SIM_COMMANDS,
    boot_urcs=generic.cpin_urcs,
    sim_removed_urcs=generic.sim_removed,
    sim_inserted_urcs=generic.cpin_urcs,
)
