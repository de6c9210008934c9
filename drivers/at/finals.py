"""Final result codes: which line ends an AT exchange, and what an error one means.

Pure functions of one line (CR/LF already stripped). The set of finals follows
ModemManager's serial parser (`src/mm-serial-parsers.c` l.115-127, vendors.md §1.9); the
code tables are 3GPP TS 27.007 §9.2 (+CME) and TS 27.005 §3.2.5 (+CMS) as listed in
vendors.md §1.9 (MM `include/ModemManager-errors.h`, QAT 15.4 / 15.5).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from types import MappingProxyType

from drivers.errors import AtCommandError, CmeError, CmsError
from drivers.records import record


class FinalKind(str, enum.Enum):
    OK = "ok"
    CONNECT = "connect"
    ERROR = "error"
    CME_ERROR = "cme_error"
    CMS_ERROR = "cms_error"
    NOT_SUPPORTED = "not_supported"
    MODEM_ERROR = "modem_error"
    NO_CARRIER = "no_carrier"
    BUSY = "busy"
    NO_ANSWER = "no_answer"
    NO_DIALTONE = "no_dialtone"


@record
class Final:
    """One classified final result line."""

    kind: FinalKind
    line: str
    code: int | None = None
    meaning: str | None = None

    @property
    def is_error(self) -> bool:
        return self.kind is not FinalKind.OK and self.kind is not FinalKind.CONNECT


CME_ERRORS: Mapping[int, str] = MappingProxyType(
    {
        0: "phone failure",
        1: "no connection to phone",
        2: "phone-adaptor link reserved",
        3: "operation not allowed",
        4: "operation not supported",
        5: "PH-SIM PIN required",
        6: "PH-FSIM PIN required",
        7: "PH-FSIM PUK required",
        10: "SIM not inserted",
        11: "SIM PIN required",
        12: "SIM PUK required",
        13: "SIM failure",
        14: "SIM busy",
        15: "SIM wrong",
        16: "incorrect password",
        17: "SIM PIN2 required",
        18: "SIM PUK2 required",
        20: "memory full",
        21: "invalid index",
        22: "not found",
        23: "memory failure",
        24: "text string too long",
        25: "invalid characters in text string",
        26: "dial string too long",
        27: "invalid characters in dial string",
        30: "no network service",
        31: "network timeout",
        32: "network not allowed - emergency calls only",
        40: "network personalization PIN required",
        41: "network personalization PUK required",
        42: "network subset personalization PIN required",
        43: "network subset personalization PUK required",
        44: "service provider personalization PIN required",
        45: "service provider personalization PUK required",
        46: "corporate personalization PIN required",
        47: "corporate personalization PUK required",
        50: "incorrect parameters",
        100: "unknown",
        103: "illegal UE",
        106: "illegal ME",
        107: "GPRS services not allowed",
        111: "PLMN not allowed",
        112: "location area not allowed",
        113: "roaming not allowed in this location area",
        127: "missing or unknown APN",
        129: "user authentication failed",
        131: "activation rejected, unspecified",
        # Quectel audio extras, QAT 15.4 (EC2x/EG9x manual V2.0).
        901: "audio unknown error",
        902: "audio invalid parameters",
        903: "audio operation not supported",
        904: "audio device busy",
    }
)

CMS_ERRORS: Mapping[int, str] = MappingProxyType(
    {
        300: "ME failure",
        301: "SMS service of ME reserved",
        302: "operation not allowed",
        303: "operation not supported",
        304: "invalid PDU mode parameter",
        305: "invalid text mode parameter",
        310: "SIM not inserted",
        311: "SIM PIN required",
        312: "PH-SIM PIN required",
        313: "SIM failure",
        314: "SIM busy",
        315: "SIM wrong",
        316: "SIM PUK required",
        317: "SIM PIN2 required",
        318: "SIM PUK2 required",
        320: "memory failure",
        321: "invalid memory index",
        322: "memory full",
        330: "SMSC address unknown",
        331: "no network service",
        332: "network timeout",
        340: "no +CNMA acknowledgement expected",
        500: "unknown error",
    }
)

# Text forms (AT+CMEE=2) mapped back to codes; firmwares differ in case ("SIM Failure").
_CME_BY_TEXT: Mapping[str, int] = MappingProxyType({v.lower(): k for k, v in CME_ERRORS.items()})
_CMS_BY_TEXT: Mapping[str, int] = MappingProxyType({v.lower(): k for k, v in CMS_ERRORS.items()})

_EXACT: Mapping[str, FinalKind] = MappingProxyType(
    {
        "OK": FinalKind.OK,
        "ERROR": FinalKind.ERROR,
        "NO CARRIER": FinalKind.NO_CARRIER,
        "BUSY": FinalKind.BUSY,
        "NO ANSWER": FinalKind.NO_ANSWER,
        "NO DIALTONE": FinalKind.NO_DIALTONE,
        "COMMAND NOT SUPPORT": FinalKind.NOT_SUPPORTED,
    }
)

FINAL_OK = Final(FinalKind.OK, "OK")

# First characters of every final; lets classify() reject most information lines at once.
_FIRST_CHARS = frozenset("OENBCM")
# The finals starting with "+", tested together so an information line costs one call.
_PLUS_FINALS = ("+CME ERROR:", "+CMS ERROR:")
# Every final starts with one of these, so a line that does not is never one: a caller
# scanning many lines can skip classify() for it.
FINAL_STARTS = (*_FIRST_CHARS, "+CM")


def cme_meaning(code: int) -> str:
    return CME_ERRORS.get(code, f"unknown CME error {code}")


def cms_meaning(code: int) -> str:
    return CMS_ERRORS.get(code, f"unknown CMS error {code}")


def _coded(
    kind: FinalKind,
    line: str,
    rest: str,
    meaning: Callable[[int], str],
    by_text: Mapping[str, int],
) -> Final | None:
    rest = rest.strip()
    if not rest:
        # "+CME ERROR:" alone is not final (MM serial parser requires a code or text).
        return None
    if rest.isascii() and rest.isdigit():
        code = int(rest)
        return Final(kind, line, code, meaning(code))
    text = rest.strip('"')
    return Final(kind, line, by_text.get(text.lower()), text)


def classify(line: str) -> Final | None:
    """The final result `line` stands for, or None when it is not a final result."""
    if line == "OK":
        return FINAL_OK
    if not line:
        return None
    first = line[0]
    if first == "+":
        # Most information lines start with "+"; only two finals do.
        if not line.startswith(_PLUS_FINALS):
            return None
        if line[3] == "E":
            return _coded(FinalKind.CME_ERROR, line, line[11:], cme_meaning, _CME_BY_TEXT)
        return _coded(FinalKind.CMS_ERROR, line, line[11:], cms_meaning, _CMS_BY_TEXT)
    if first not in _FIRST_CHARS:
        return None
    kind = _EXACT.get(line)
    if kind is not None:
        return Final(kind, line)
    if line.startswith("CONNECT"):
        # CONNECT may carry a rate or text ("CONNECT 150000000"); MM accepts "CONNECT.*".
        return Final(FinalKind.CONNECT, line)
    if line.startswith("MODEM ERROR:"):
        # Motorola EZX form; MM only accepts it with digits.
        rest = line[12:].strip()
        if rest.isascii() and rest.isdigit():
            return Final(FinalKind.MODEM_ERROR, line, int(rest))
    return None


def error_for(command: str, final: Final, lines: tuple[str, ...] = ()) -> AtCommandError:
    """The typed exception for an error final."""
    if final.kind is FinalKind.CME_ERROR:
        return CmeError(command, final.line, final.code, final.meaning or "", lines)
    if final.kind is FinalKind.CMS_ERROR:
        return CmsError(command, final.line, final.code, final.meaning or "", lines)
    return AtCommandError(command, final.line, lines)
