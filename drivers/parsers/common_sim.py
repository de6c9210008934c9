"""SIM answers: ICCID (vendor commands and +CRSM), +CPIN, and SIM state from +CME ERROR."""

from __future__ import annotations

import re

from drivers.deferred import deferred_regex
from drivers.errors import ParseError
from drivers.parsers.common_text import info_lines, split_values, to_int
from drivers.types import SimState

_HEX = frozenset("0123456789ABCDEF")


def _swap_nibbles(value: str) -> str:
    return "".join(value[i + 1] + value[i] for i in range(0, len(value) - 1, 2))


def normalize_iccid(raw: str) -> str | None:
    """The ICCID in ``raw`` by the SPEC.md rules, or None if it is not one.

    Spaces and double quotes are skipped. 19-20 characters beginning "89" are used as they
    are; 20 characters beginning "98" are the nibble-swapped EF_ICCID bytes (the +CRSM form,
    also what Huawei ``^ICCID`` may give) and are swapped back. Hex A-F is allowed from the
    7th character on (CMCC cards: "898602F9091830030220", MM-tests iccid hex_account), a
    trailing pad "F" is dropped. Same rules as ModemManager's ``mm_3gpp_parse_iccid``.
    """
    value = raw.replace(" ", "").replace('"', "").upper()
    if value.startswith("98") and len(value) == 20:
        value = _swap_nibbles(value)
    if not value.startswith("89") or len(value) not in (19, 20):
        return None
    if not value[:6].isdigit() or not set(value) <= _HEX:
        return None
    # Only a 20-character value can carry the pad; in 19 characters an F is a hex digit.
    if len(value) == 20 and value.endswith("F"):
        value = value[:-1]
    return value


# Prefixes vendors put before the ICCID (vendors.md §1.3): Unisoc/u-blox/Neoway "+CCID:",
# SIMCom "AT+CICCID" -> "+ICCID:", Quectel "+QCCID:", Huawei "^ICCID:", Telit "#CCID:",
# Sierra "!ICCID:", some ZTE "ICCID:", ZTE ME3630 "+ZGETICCID:".
_ICCID_PREFIX = re.compile(r"^(?:\+CCID|\+ICCID|\+QCCID|\^ICCID|#CCID|!ICCID|ICCID|\+ZGETICCID):")
_ANY_PREFIX = deferred_regex(r"^[+^#!$%*]?[A-Z][A-Z0-9]*:")


def parse_iccid(text: str) -> str | None:
    """The ICCID from any vendor's ICCID command, the bare value, or the +CRSM form.

    None when the answer is there but holds no valid ICCID; ParseError when the text holds
    no ICCID answer at all (empty, an error, another command's answer).
    """
    bare_seen = False
    for line in info_lines(text, "ICCID"):
        upper = line.upper()
        if upper.startswith("+CRSM:"):
            return parse_crsm_iccid(line)
        match = _ICCID_PREFIX.match(upper)
        if match:
            return normalize_iccid(line[match.end() :])
        if _ANY_PREFIX.match(upper):
            continue  # an interleaved URC or a foreign answer
        # A bare line: the value itself, or a URC without a colon ("RDY") before it.
        bare_seen = True
        iccid = normalize_iccid(line)
        if iccid is not None:
            return iccid
    if bare_seen:
        return None
    raise ParseError("ICCID", text)


# sw1 values ModemManager accepts for READ BINARY of EF_ICCID (MM src/mm-base-sim.c):
# 0x90 normal, 0x91 with extra info, 0x92 after retries, 0x9F response data available.
_CRSM_OK_SW1 = frozenset({144, 145, 146, 159})


def parse_crsm_iccid(text: str) -> str | None:
    """The ICCID from ``AT+CRSM=176,12258,0,0,10`` ('+CRSM: 144,0,"98680052213860104247"').

    The payload is EF_ICCID as nibble-swapped BCD, so it must begin "98". None for a status
    word that is not success or a payload that is not an ICCID; ParseError if there is no
    +CRSM line.
    """
    for line in info_lines(text, "+CRSM"):
        if not line.upper().startswith("+CRSM:"):
            continue
        fields = split_values(line[len("+CRSM:") :])
        sw1 = to_int(fields[0])
        if sw1 is None or len(fields) < 2 or to_int(fields[1]) is None:
            raise ParseError("+CRSM", text)
        if sw1 not in _CRSM_OK_SW1 or len(fields) < 3:
            return None
        payload = fields[2].replace(" ", "").upper()
        if not payload.startswith("98"):
            return None
        return normalize_iccid(payload)
    raise ParseError("+CRSM", text)


_CPIN = re.compile(r"^\+CPIN:\s*(.*)$", re.IGNORECASE)
_CPIN_ABSENT = frozenset({"NOT READY", "NOT INSERTED", "SIM NOT INSERTED"})
_CPIN_LOCKED = deferred_regex(r"^(?:SIM (?:PIN|PUK)|PH-[A-Z]+ (?:PIN|PUK))$")
# 27.007 §8.3: SIM PIN2/PUK2 is reported only after a command that needed PIN2 failed, and
# the MT should not block its operation: the SIM still serves the network and data.
_CPIN_PIN2 = frozenset({"SIM PIN2", "SIM PUK2"})


def parse_cpin(text: str) -> tuple[SimState, str]:
    """(state, code) from ``AT+CPIN?`` or the +CPIN URC; quoted codes accepted.

    READY -> READY; SIM PIN, SIM PUK and PH-* PIN/PUK -> LOCKED; SIM PIN2/PUK2 -> READY
    (see above); NOT READY (the URC on SIM removal, QAT 05 §5.10) and NOT INSERTED ->
    ABSENT. Any other code -> ParseError.
    """
    for line in info_lines(text, "+CPIN"):
        match = _CPIN.match(line)
        if not match:
            continue
        code = " ".join(match.group(1).replace('"', "").split()).upper()
        if code == "READY" or code in _CPIN_PIN2:
            return SimState.READY, code
        if code in _CPIN_ABSENT:
            return SimState.ABSENT, code
        if _CPIN_LOCKED.match(code):
            return SimState.LOCKED, code
        raise ParseError("+CPIN", text)
    raise ParseError("+CPIN", text)


# +CME ERROR codes about the SIM (27.007 §9.2, vendors.md §1.9) and their +CMS ERROR twins
# (27.005 §3.2.5: 310-318), so a failed SMS command reports the SIM the same way.
_CME_SIM = {
    10: SimState.ABSENT,  # SIM not inserted
    5: SimState.LOCKED,  # PH-SIM PIN required
    11: SimState.LOCKED,  # SIM PIN required
    12: SimState.LOCKED,  # SIM PUK required
    17: SimState.LOCKED,  # SIM PIN2 required
    18: SimState.LOCKED,  # SIM PUK2 required
    13: SimState.ERROR,  # SIM failure
    15: SimState.ERROR,  # SIM wrong
    310: SimState.ABSENT,
    311: SimState.LOCKED,
    312: SimState.LOCKED,
    316: SimState.LOCKED,
    317: SimState.LOCKED,
    318: SimState.LOCKED,
    313: SimState.ERROR,
    315: SimState.ERROR,
}
# 40-47: network / network subset / service provider / corporate personalisation PIN, PUK.
_CME_SIM.update(dict.fromkeys(range(40, 48), SimState.LOCKED))

# The text forms of the same errors (AT+CMEE=2), matched on the start of the meaning.
_CME_TEXT = (
    ("SIM NOT INSERTED", SimState.ABSENT),
    ("NO SIM", SimState.ABSENT),
    ("SIM BUSY", None),
    ("SIM FAILURE", SimState.ERROR),
    ("SIM WRONG", SimState.ERROR),
    ("SIM PIN", SimState.LOCKED),  # also "SIM PIN2 required"
    ("SIM PUK", SimState.LOCKED),
    ("PH-", SimState.LOCKED),  # PH-SIM PIN, PH-NET PIN, …
    ("NETWORK PERSONALI", SimState.LOCKED),
    ("CORPORATE PERSONALI", SimState.LOCKED),
    ("SERVICE PROVIDER PERSONALI", SimState.LOCKED),
)


def sim_state_from_cme(code: int | None, text: str = "") -> SimState | None:
    """The SIM state a +CME ERROR (or +CMS ERROR) implies, or None if it says nothing
    definite about the SIM.

    10 -> ABSENT; 5, 11, 12, 17, 18 and 40-47 -> LOCKED; 13, 15 -> ERROR; 14 (SIM busy:
    still initialising after boot, retry) -> None. Without a code, the text form
    ("SIM not inserted", "SIM PIN required", …) is matched instead.
    """
    if code is not None:
        return _CME_SIM.get(code)
    meaning = " ".join(text.replace('"', "").split()).upper()
    if meaning.startswith("+CME ERROR:") or meaning.startswith("+CMS ERROR:"):
        meaning = meaning[len("+CME ERROR:") :].strip()
        numeric = to_int(meaning)
        if numeric is not None:
            return _CME_SIM.get(numeric)
    for start, state in _CME_TEXT:
        if meaning.startswith(start):
            return state
    return None
