"""u-blox LARA-R211 (LTE Cat 1): 27.007 plus the per-context byte counters `+UGCNTRD`.

Formats from vendors.md §2 and §3.5 (MM src/plugins/ublox, MM-tests ublox-ugcntrd-*).
"""

from __future__ import annotations

from drivers.simulator.commands import Command
from drivers.simulator.profiles import generic
from drivers.simulator.profiles.base import AtError, Handler, ModemContext, Profile

# Two active contexts: the data APN (cid 1) and an IMS context (cid 2) carrying a small
# share of the bytes, so a reader must take every line. Their totals add up to the modem's
# counters.
IMS_SHARE = 64


def h_ati(ctx: ModemContext, cmd: Command) -> list[str]:
    # ATI answers the model alone on u-blox modules [?].
    return [generic.identity(ctx)[1]]


def context_counters(ctx: ModemContext) -> list[tuple[int, int, int]]:
    """(cid, sent, received) per active context; none without a registration."""
    if not generic.is_registered(ctx):
        return []
    rx, tx = ctx.counters()
    ims_rx, ims_tx = rx // IMS_SHARE, tx // IMS_SHARE
    return [(1, tx - ims_tx, rx - ims_rx), (2, ims_tx, ims_rx)]


def h_ugcntrd(ctx: ModemContext, cmd: Command) -> list[str]:
    if cmd.op == "=?":
        return []  # OK: the probe MM sends before using the command
    if cmd.op != "":
        raise AtError(None)
    # +UGCNTRD: <cid>,<sent_sess>,<recv_sess>,<sent_total>,<recv_total>, one line per active
    # context, decimal, beyond 2^32 where the traffic is (MM-tests ublox-ugcntrd: 113728263578).
    # The contexts were activated at boot, so session and total are equal here.
    return [
        f"+UGCNTRD: {cid},{sent},{recv},{sent},{recv}" for cid, sent, recv in context_counters(ctx)
    ]


def h_upincnt(ctx: ModemContext, cmd: Command) -> list[str]:
    if cmd.op == "=?":
        return []
    if cmd.op != "":
        raise AtError(None)
    # +UPINCNT: <pin>,<pin2>,<puk>,<puk2> attempts left (MM-tests ublox-upincnt).
    return ["+UPINCNT: 3,3,10,10"]


HANDLERS: dict[str, Handler] = {
    **generic.HANDLERS,
    "I": h_ati,
    "+UGCNTRD": h_ugcntrd,
    "+UPINCNT": h_upincnt,
}

PROFILE = Profile(
    name="ublox",
    manufacturer="u-blox",
    model="LARA-R211",
    revision="30.31",
    handlers=HANDLERS,
    cmee_default=0,
    sim_commands=generic.SIM_COMMANDS | {"+UPINCNT"},
    boot_urcs=generic.cpin_urcs,
    sim_removed_urcs=generic.sim_removed,
    sim_inserted_urcs=generic.cpin_urcs,
)
