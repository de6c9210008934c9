"""Sierra Wireless EM7455 (Qualcomm MDM9230, LTE Cat 6): 27.007 plus Sierra `!` commands.

Formats from vendors.md §3.7: `!GSTATUS?` laid out as the EM7455 output in public notes
(two space-separated columns), `!ICCID?` and `*CNTI` per MM's Sierra plugin. The EM7455
has no 5G: a scenario's ``nr5g`` is shown as its LTE anchor.
"""

from __future__ import annotations

from drivers.simulator.commands import Command
from drivers.simulator.profiles import generic
from drivers.simulator.profiles.base import AtError, Handler, ModemContext, Profile

_SYSTEM_MODE = {"gsm": "GSM", "umts": "WCDMA", "lte": "LTE"}
_CNTI = {"gsm": "EDGE", "umts": "HSDPA", "lte": "LTE"}


def _rat(ctx: ModemContext) -> str:
    return "lte" if ctx.state.rat == "nr5g" else ctx.state.rat


def h_iccid(ctx: ModemContext, cmd: Command) -> list[str]:
    if cmd.op == "=?":
        return []
    if cmd.op != "?":
        raise AtError(None)
    return [f"!ICCID: {ctx.state.iccid}"]


def _columns(left: str, right: str = "") -> str:
    return f"{left:<33}{right}".rstrip()


def gstatus_lines(ctx: ModemContext) -> list[str]:
    s = ctx.state
    registered = generic.is_registered(ctx)
    rat = _rat(ctx)
    mode = _SYSTEM_MODE[rat] if registered else "No service"
    ps = "Attached" if registered else "Not attached"
    lines = [
        "!GSTATUS:",
        _columns("Current Time:  1426", "Temperature: 26"),
        _columns("Reset Counter: 1", "Mode:        ONLINE"),
        _columns(f"System mode:   {mode}", f"PS state:    {ps}"),
    ]
    if not registered or rat != "lte":
        return lines
    rssi = -113 + 2 * s.csq if s.csq != 99 else -113
    rsrp = s.cesq[5] - 141 if s.cesq[5] != 255 else None
    rsrq = s.cesq[4] / 2 - 20 if s.cesq[4] != 255 else None
    rrc = "RRC Connected" if s.traffic_bps > 0 else "RRC Idle"
    lines += [
        _columns("LTE band:      B3", "LTE bw:      20 MHz"),
        _columns("LTE Rx chan:   1650", "LTE Tx chan: 19650"),
        "LTE CA state:  INACTIVE",
        _columns("EMM state:     Registered", "Normal Service"),
        f"RRC state:     {rrc}",
        "",
        # RxM (main antenna) first, RxD (diversity) a few dB lower, as on the real output.
        _columns(f"PCC RxM RSSI:  {rssi}", f"RSRP (dBm):  {rsrp if rsrp is not None else '---'}"),
        _columns(
            f"PCC RxD RSSI:  {rssi - 3}", f"RSRP (dBm):  {rsrp - 3 if rsrp is not None else '---'}"
        ),
        _columns("Tx Power:      --", f"TAC:         {s.lac:04X} ({s.lac})"),
        _columns(
            f"RSRQ (dB):     {rsrq if rsrq is not None else '---'}",
            f"Cell ID:     {s.cell_id:08X} ({s.cell_id})",
        ),
        f"SINR (dB):      {s.sinr:.1f}",
    ]
    return lines


def h_gstatus(ctx: ModemContext, cmd: Command) -> list[str]:
    if cmd.op == "=?":
        return []
    if cmd.op != "?":
        raise AtError(None)
    return gstatus_lines(ctx)


def h_cnti(ctx: ModemContext, cmd: Command) -> list[str]:
    if cmd.op == "=?":
        return ["*CNTI: (0-2)"]
    if cmd.op != "=" or cmd.int_arg(0) != 0:
        raise AtError(None)
    tech = _CNTI[_rat(ctx)] if generic.is_registered(ctx) else "NONE"
    return [f"*CNTI: 0,{tech}"]


HANDLERS: dict[str, Handler] = {
    **generic.HANDLERS,
    "!ICCID": h_iccid,
    "!GSTATUS": h_gstatus,
    "*CNTI": h_cnti,
}

PROFILE = Profile(
    name="sierra",
    manufacturer="Sierra Wireless, Incorporated",
    model="EM7455",
    revision="SWI9X30C_02.24.05.06 r7040 CARMD-EV-FRMWR2 2017/05/19 23:26:52",
    handlers=HANDLERS,
    cmee_default=0,
    sim_commands=generic.SIM_COMMANDS | {"!ICCID"},
    boot_urcs=generic.cpin_urcs,
    sim_removed_urcs=generic.sim_removed,
    sim_inserted_urcs=generic.cpin_urcs,
)
