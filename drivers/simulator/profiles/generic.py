"""A modem that answers only 3GPP TS 27.007 / ITU-T V.250 commands; vendor commands → ERROR.

Vendor profiles start from `HANDLERS` and add or remove entries. Response formats follow
vendors.md §1 (sources there: QAT 05/06, MM-tests reg-*, cops-*, iccid-*).
"""

from __future__ import annotations

from drivers.simulator.commands import Command
from drivers.simulator.profiles.base import (
    AtError,
    Handler,
    ModemContext,
    Profile,
    cpin_line,
    no_args,
)
from drivers.simulator.state import Settings, swap_iccid

# 27.007 <AcT> per RAT: 0 GSM, 2 UTRAN, 7 E-UTRAN, 11 NR connected to 5GCN (vendors.md §1.6).
ACT = {"gsm": 0, "umts": 2, "lte": 7, "nr5g": 11}
# Which registration family reports the registration on which RAT. +CREG (circuit domain)
# follows every RAT; LTE modules also report +CGREG registered (EC25 does); +CEREG is EPS
# only and +C5GREG 5GS only (the simulator's nr5g is standalone).
FAMILY_RATS = {
    "CREG": ("gsm", "umts", "lte", "nr5g"),
    "CGREG": ("gsm", "umts", "lte"),
    "CEREG": ("lte",),
    "C5GREG": ("nr5g",),
}
REGISTERED = (1, 5, 6, 7, 9, 10)
CSCS_CHOICES = ("GSM", "IRA", "UCS2", "8859-1", "HEX", "PCCP437")


def identity(ctx: ModemContext) -> tuple[str, str, str]:
    s, p = ctx.state, ctx.profile
    return (s.manufacturer or p.manufacturer, s.model or p.model, s.revision or p.revision)


def registration(ctx: ModemContext) -> int:
    """The <stat> the network gives: nothing without a usable SIM or with the radio off."""
    if ctx.state.sim != "ready" or ctx.settings.cfun != 1:
        return 0
    return ctx.state.registration


def is_registered(ctx: ModemContext) -> bool:
    return registration(ctx) in REGISTERED


def family_stat(ctx: ModemContext, family: str) -> int:
    return registration(ctx) if ctx.state.rat in FAMILY_RATS[family] else 0


def hex_lac(lac: int) -> str:
    return f"{lac:04X}"


def hex_cell(cell_id: int) -> str:
    return f"{cell_id:04X}"


def reg_location(ctx: ModemContext) -> str:
    """The ``"<lac>","<ci>",<AcT>`` tail of a +CxREG answer with n=2 (QAT 06 §6.2)."""
    s = ctx.state
    return f'"{hex_lac(s.lac)}","{hex_cell(s.cell_id)}",{ACT[s.rat]}'


def reg_urc(ctx: ModemContext, family: str) -> str | None:
    """The unsolicited +CxREG line for the current state, or None if reporting is off."""
    n = ctx.settings.reg_urc.get(family, 0)
    if n == 0:
        return None
    stat = family_stat(ctx, family)
    if n >= 2 and stat in REGISTERED:
        return f"+{family}: {stat},{reg_location(ctx)}"
    return f"+{family}: {stat}"


def encode_text(ctx: ModemContext, text: str) -> str:
    """A string in the character set chosen with AT+CSCS (UCS2: UTF-16BE hex, MM-tests
    cops-test-ublox_lara)."""
    if ctx.settings.cscs == "UCS2":
        return text.encode("utf-16-be").hex().upper()
    return text


def cpin_urcs(ctx: ModemContext) -> list[str]:
    return [cpin_line(ctx.state.sim)]


def sim_removed(ctx: ModemContext) -> list[str]:
    return ["+CPIN: NOT READY"]


# --- handlers ---------------------------------------------------------------------------


def h_echo(ctx: ModemContext, cmd: Command) -> list[str]:
    value = cmd.int_arg(0, 0)
    if value not in (0, 1):
        raise AtError(None)
    ctx.settings.echo = value == 1
    return []


def h_accept(ctx: ModemContext, cmd: Command) -> list[str]:
    """V.250 settings the simulator does not model but a host sends at init (ATV1, ATQ0)."""
    if cmd.op == "=" and cmd.args[0] not in ("0", "1"):
        raise AtError(None)
    return []


def h_factory(ctx: ModemContext, cmd: Command) -> list[str]:
    """ATZ / AT&F: back to the power-on settings."""
    no_args(cmd, "", "=")
    ctx.settings = Settings(cmee=ctx.profile.cmee_default)
    return []


def h_ati(ctx: ModemContext, cmd: Command) -> list[str]:
    manufacturer, model, revision = identity(ctx)
    # Huawei/ZTE-style ATI (MM-tests devid table), the most common multi-line form.
    return [
        f"Manufacturer: {manufacturer}",
        f"Model: {model}",
        f"Revision: {revision}",
        f"IMEI: {ctx.state.imei}",
        "+GCAP: +CGSM",
    ]


def _identity_handler(index: int) -> Handler:
    def handler(ctx: ModemContext, cmd: Command) -> list[str]:
        no_args(cmd, "", "=?")
        return [] if cmd.op == "=?" else [identity(ctx)[index]]

    return handler


def h_cgsn(ctx: ModemContext, cmd: Command) -> list[str]:
    no_args(cmd, "", "=?")
    return [] if cmd.op == "=?" else [ctx.state.imei]


def h_cmee(ctx: ModemContext, cmd: Command) -> list[str]:
    if cmd.op == "?":
        return [f"+CMEE: {ctx.settings.cmee}"]
    if cmd.op == "=?":
        return ["+CMEE: (0-2)"]
    if cmd.op == "=":
        value = cmd.int_arg(0, 0)
        if value not in (0, 1, 2):
            raise AtError(50)
        ctx.settings.cmee = value
        return []
    raise AtError(None)


def h_cimi(ctx: ModemContext, cmd: Command) -> list[str]:
    no_args(cmd, "", "=?")
    return [] if cmd.op == "=?" else [ctx.state.imsi]


def h_cpin(ctx: ModemContext, cmd: Command) -> list[str]:
    sim = ctx.state.sim
    if cmd.op == "=?":
        return []
    if cmd.op == "?":
        # No SIM: +CME ERROR: 10 rather than a +CPIN answer (TEL-MT p.76 example).
        if sim == "absent":
            raise AtError(10)
        return [cpin_line(sim)]
    if cmd.op == "=":
        if sim == "absent":
            raise AtError(10)
        if sim == "ready":
            raise AtError(3)
        if cmd.arg(0) != ctx.state.pin:
            raise AtError(16)
        ctx.set_state(sim="ready")
        return []
    raise AtError(None)


def h_csq(ctx: ModemContext, cmd: Command) -> list[str]:
    if cmd.op == "=?":
        return ["+CSQ: (0-31,99),(0-7,99)"]
    no_args(cmd)
    csq = ctx.state.csq if ctx.settings.cfun == 1 else 99
    return [f"+CSQ: {csq},99"]


def h_cesq(ctx: ModemContext, cmd: Command) -> list[str]:
    if cmd.op == "=?":
        return ["+CESQ: (0-63,99),(0-7,99),(0-96,255),(0-49,255),(0-34,255),(0-97,255)"]
    no_args(cmd)
    values = ctx.state.cesq if ctx.settings.cfun == 1 else (99, 99, 255, 255, 255, 255)
    return ["+CESQ: " + ",".join(str(v) for v in values)]


def _reg_handler(family: str, max_n: int = 2) -> Handler:
    def handler(ctx: ModemContext, cmd: Command) -> list[str]:
        if family == "C5GREG" and ctx.state.rat != "nr5g":
            raise AtError(None)  # a module without 5G does not know the command
        if cmd.op == "=?":
            return [f"+{family}: (0-{max_n})"]
        if cmd.op == "=":
            n = cmd.int_arg(0, 0)
            if n is None or not 0 <= n <= max_n:
                raise AtError(50)
            ctx.settings.reg_urc[family] = n
            return []
        if cmd.op != "?":
            raise AtError(None)
        n = ctx.settings.reg_urc.get(family, 0)
        stat = family_stat(ctx, family)
        if n >= 2 and stat in REGISTERED:
            return [f"+{family}: {n},{stat},{reg_location(ctx)}"]
        return [f"+{family}: {n},{stat}"]

    return handler


def operator_name(ctx: ModemContext, fmt: int) -> str:
    s = ctx.state
    if fmt == 2:
        return s.mcc + s.mnc
    return encode_text(ctx, s.operator if fmt == 0 else s.operator_short)


def h_cops(ctx: ModemContext, cmd: Command) -> list[str]:
    s = ctx.state
    if cmd.op == "?":
        if not is_registered(ctx):
            return ["+COPS: 0"]
        fmt = ctx.settings.cops_format
        return [f'+COPS: 0,{fmt},"{operator_name(ctx, fmt)}",{ACT[s.rat]}']
    if cmd.op == "=?":
        names = f'"{operator_name(ctx, 0)}","{operator_name(ctx, 1)}","{s.mcc}{s.mnc}"'
        return [f"+COPS: (2,{names},{ACT[s.rat]}),,(0-4),(0-2)"]
    if cmd.op == "=":
        mode = cmd.int_arg(0, 0)
        if mode == 3:
            fmt = cmd.int_arg(1, 0)
            if fmt not in (0, 1, 2):
                raise AtError(50)
            ctx.settings.cops_format = fmt
            return []
        if mode == 0:
            return []
        raise AtError(3)  # manual selection / deregistration are not modelled
    raise AtError(None)


def h_cscs(ctx: ModemContext, cmd: Command) -> list[str]:
    if cmd.op == "?":
        return [f'+CSCS: "{ctx.settings.cscs}"']
    if cmd.op == "=?":
        return ["+CSCS: (" + ",".join(f'"{c}"' for c in CSCS_CHOICES) + ")"]
    if cmd.op == "=":
        value = (cmd.arg(0) or "").upper()
        if value not in CSCS_CHOICES:
            raise AtError(50)
        ctx.settings.cscs = value
        return []
    raise AtError(None)


def h_crsm(ctx: ModemContext, cmd: Command) -> list[str]:
    if cmd.op == "=?":
        return []
    if cmd.op != "=":
        raise AtError(None)
    command, file_id = cmd.int_arg(0), cmd.int_arg(1)
    if command != 176:  # only READ BINARY is modelled; SW 6D00 = instruction not supported
        return ["+CRSM: 109,0"]
    if file_id != 0x2FE2:  # SW 6A82 = file not found
        return ["+CRSM: 106,130"]
    # EF_ICCID as MM reads it: +CRSM: 144,0,"98680052213860104247" (mm-base-sim.c).
    return [f'+CRSM: 144,0,"{swap_iccid(ctx.state.iccid)}"']


def h_ccid(ctx: ModemContext, cmd: Command) -> list[str]:
    no_args(cmd, "", "?")
    # u-blox / Neoway style: +CCID: 8939107800023416395 (MM ublox plugin).
    return [f"+CCID: {ctx.state.iccid}"]


def h_cfun(ctx: ModemContext, cmd: Command) -> list[str]:
    if cmd.op == "?":
        return [f"+CFUN: {ctx.settings.cfun}"]
    if cmd.op == "=?":
        return ["+CFUN: (0,1,4),(0-1)"]
    if cmd.op == "=":
        fun, rst = cmd.int_arg(0, 1), cmd.int_arg(1, 0)
        if fun not in (0, 1, 4) or rst not in (0, 1):
            raise AtError(50)
        ctx.settings.cfun = fun
        if rst == 1:
            ctx.schedule_reset()
        return []
    raise AtError(None)


def h_cgdcont(ctx: ModemContext, cmd: Command) -> list[str]:
    if cmd.op == "?":
        return [f'+CGDCONT: 1,"IP","{ctx.state.apn}","0.0.0.0",0,0']
    if cmd.op == "=?":
        return ['+CGDCONT: (1-15),"IP",,,(0-2),(0-4)']
    if cmd.op == "=":
        if cmd.int_arg(0) == 1 and cmd.arg(2) is not None:
            ctx.set_state(apn=cmd.arg(2))
        return []
    raise AtError(None)


def messaging_handler(name: str) -> Handler:
    """The handler ``name`` of the messaging module, which (with its PDU and GSM-7 code)
    is imported when a modem first gets an SMS or USSD command, not with every profile."""

    def handler(ctx: ModemContext, cmd: Command) -> list[str]:
        from drivers.simulator.profiles import messaging

        real: Handler = getattr(messaging, name)
        return real(ctx, cmd)

    return handler


HANDLERS: dict[str, Handler] = {
    "E": h_echo,
    "V": h_accept,
    "Q": h_accept,
    "Z": h_factory,
    "&F": h_factory,
    "I": h_ati,
    "+CMEE": h_cmee,
    "+CGMI": _identity_handler(0),
    "+GMI": _identity_handler(0),
    "+CGMM": _identity_handler(1),
    "+GMM": _identity_handler(1),
    "+CGMR": _identity_handler(2),
    "+GMR": _identity_handler(2),
    "+CGSN": h_cgsn,
    "+GSN": h_cgsn,
    "+CIMI": h_cimi,
    "+CPIN": h_cpin,
    "+CSQ": h_csq,
    "+CESQ": h_cesq,
    "+CREG": _reg_handler("CREG"),
    "+CGREG": _reg_handler("CGREG"),
    "+CEREG": _reg_handler("CEREG"),
    "+C5GREG": _reg_handler("C5GREG"),
    "+COPS": h_cops,
    "+CSCS": h_cscs,
    "+CRSM": h_crsm,
    "+CCID": h_ccid,
    "+CFUN": h_cfun,
    "+CGDCONT": h_cgdcont,
    # SMS (PDU mode) and USSD
    "+CMGF": messaging_handler("h_cmgf"),
    "+CMGL": messaging_handler("h_cmgl"),
    "+CMGS": messaging_handler("h_cmgs"),
    "+CUSD": messaging_handler("h_cusd"),
}

SIM_COMMANDS = frozenset({"+CIMI", "+CCID", "+CRSM", "+CNUM"})

PROFILE = Profile(
    name="generic",
    manufacturer="Generic",
    model="3GPP-27.007",
    revision="SIM-1.0",
    handlers=HANDLERS,
    cmee_default=0,  # 27.007 §9.1 default
    sim_commands=SIM_COMMANDS,
    boot_urcs=cpin_urcs,
    sim_removed_urcs=sim_removed,
    sim_inserted_urcs=cpin_urcs,
)
