"""Telling unsolicited result codes apart from the lines a command asked for."""

from __future__ import annotations

from functools import lru_cache

# vendors.md §1.10. Multi-line URCs (+CMT: header plus PDU) are left out on purpose: their
# second line has no prefix and could not be told from an answer.
DEFAULT_URC_PREFIXES: tuple[str, ...] = (
    # 3GPP, every vendor
    "+CPIN:",
    "+CREG:",
    "+CGREG:",
    "+CEREG:",
    "+C5GREG:",
    "RING",
    "+CRING:",
    "+CLIP:",
    "+CMTI:",
    "+CUSD:",
    "+CGEV:",
    # Quectel (QAT 15.6; +QUSIM from MM quectel plugin) and SIMCom SIM7600 boot sequence
    "RDY",
    "+CFUN:",
    "+QIND:",
    "+QUSIM:",
    "SMS DONE",
    "PB DONE",
    "POWERED DOWN",
    # Huawei (MM huawei plugin regex list)
    "^RSSI:",
    "^HCSQ:",
    "^MODE:",
    "^SRVST:",
    "^SIMST:",
    "^DSFLOWRPT:",
    "^BOOT:",
    "^NDISSTAT:",
    "^DSDORMANT:",
    "^STIN:",
    # Sierra/Ericsson/Icera "+PACSP0|1" carries no colon (MM mm-common-sierra.c)
    "+PACSP",
    # Telit SIM status (MM-tests telit-qss-*)
    "#QSS:",
    # SIMCom periodic CSQ after AT+AUTOCSQ=1,1 (MM simtech plugin)
    "+CSQN:",
    # ZTE signal change [O]
    "+ZRSSI",
)

_PREFIX_STARTS = "+^#$%*"


@lru_cache(maxsize=256)
def solicited_names(command: str) -> tuple[str, ...]:
    """Response prefixes `command` asks for: ("+COPS",) for ``AT+COPS=3,2;+COPS?``.

    Basic commands (ATI, ATE0, AT&V) answer without a prefix and solicit nothing here.
    """
    body = command.strip().upper()
    if body.startswith("AT"):
        body = body[2:]
    names: list[str] = []
    for part in body.split(";"):
        part = part.strip()
        if len(part) < 2 or part[0] not in _PREFIX_STARTS:
            continue
        end = len(part)
        for i in range(1, len(part)):
            if part[i] in "=?":
                end = i
                break
        name = part[:end].rstrip()
        if name not in names:
            names.append(name)
    return tuple(names)


def is_solicited(line: str, names: tuple[str, ...]) -> bool:
    """Whether `line` answers one of `names` (the name followed by anything but a letter)."""
    for name in names:
        if line.startswith(name):
            after = line[len(name) : len(name) + 1]
            if not after.isalpha():
                return True
    return False


def is_urc(line: str, prefixes: tuple[str, ...], solicited: tuple[str, ...] = ()) -> bool:
    """A line is a URC when it has a known prefix and the command in flight did not ask for it."""
    return line.startswith(prefixes) and not is_solicited(line, solicited)
