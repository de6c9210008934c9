"""Identity answers: +CGMI/+CGMM/+CGMR, ATI, +CGSN (IMEI), +CIMI (IMSI)."""

from __future__ import annotations

import re

from drivers.deferred import deferred_regex
from drivers.errors import ParseError
from drivers.parsers.common_text import info_lines, unquote
from drivers.types import Identity

# "+CGMI:", "+CGMM:", "+CGMR:", "+GMI:", "+GMM:", "+GMR:". Most firmwares answer with a bare
# line; SIMCom A76xx and Unisoc UIS8910 (Luat Air724UG, QMT AT_CGMR-4b35c614.json) prefix
# it, the latter also quotes it.
_ANY_GM_PREFIX = re.compile(r"^\+C?GM[IMR]:\s*", re.IGNORECASE)
# Labels some firmwares put before the value, as ATI does ("Revision: 11.608.09.01.21").
_LABEL = re.compile(r"^(?:Revision|Manufacturer|Model)\s*:\s*", re.IGNORECASE)

_ATI_LABELS = {"manufacturer": "manufacturer", "model": "model", "revision": "revision"}
_ATI_LINE = deferred_regex(r"^([A-Za-z][A-Za-z ]*?)\s*:\s*(.*)$")


def parse_info_line(text: str, prefix: str | None = None) -> str:
    """The value of a one-line identity answer (+CGMI, +CGMM, +CGMR, +GMR).

    Strips ``prefix`` (e.g. "+CGMR" or "+CGMR:") or any "+CGMx:"/"+GMx:" prefix, a
    "Revision:"/"Manufacturer:"/"Model:" label and surrounding quotes; returns the first
    non-empty line. ParseError if there is none.
    """
    for line in info_lines(text, "identity line"):
        value = line
        if prefix:
            tag = prefix if prefix.endswith(":") else prefix + ":"
            if value.upper().startswith(tag.upper()):
                value = value[len(tag) :]
        value = _ANY_GM_PREFIX.sub("", value.strip())
        value = unquote(_LABEL.sub("", value.strip()))
        if value:
            return value
    raise ParseError("identity line", text)


def parse_ati(text: str) -> Identity:
    """Manufacturer, model, revision and IMEI from an ``ATI`` answer.

    Two shapes exist: labelled lines ("Manufacturer: huawei", "Model: E1550", "Revision: …",
    "IMEI: …", "+GCAP: …"; Huawei, ZTE, Sierra, SIMCom) and the bare Quectel form
    ("Quectel", "EC25", "Revision: EC25EFAR06A06M4G"), where the first two unlabelled lines
    are manufacturer and model. ParseError if none of the four is present.
    """
    found: dict[str, str] = {}
    bare: list[str] = []
    for line in info_lines(text, "ATI"):
        if line.startswith("+"):  # +GCAP and other capability lines
            continue
        match = _ATI_LINE.match(line)
        if match:
            label = match.group(1).strip().lower()
            value = unquote(match.group(2))
            if label in _ATI_LABELS and value:
                found.setdefault(_ATI_LABELS[label], value)
            elif label == "imei" and value:  # not "IMEI SV", which is the software version
                found.setdefault("imei", value)
            continue
        bare.append(unquote(line))
    # Bare lines only fill what the labels did not: the Quectel form.
    for key, value in zip(("manufacturer", "model"), bare, strict=False):
        found.setdefault(key, value)
    if not found:
        raise ParseError("ATI", text)
    imei = found.get("imei")
    imei_valid = None
    if imei is not None:
        try:
            imei, imei_valid = parse_cgsn(imei)
        except ParseError:
            imei, imei_valid = None, None
    return Identity(
        manufacturer=found.get("manufacturer"),
        model=found.get("model"),
        revision=found.get("revision"),
        imei=imei,
        imei_valid=imei_valid,
    )


def luhn_valid(digits: str) -> bool:
    """True if ``digits`` (ASCII digits only, at least two) passes the Luhn check."""
    if len(digits) < 2 or not digits.isascii() or not digits.isdigit():
        return False
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


# A line carrying some command's prefix ("+CPIN: READY", "^RSSI: 20"): not the answer.
_FOREIGN = re.compile(r"^[+^#!$%*][A-Za-z0-9]+:")
_FOREIGN_HEADS = frozenset("+^#!$%*")
_CGSN_PREFIX = re.compile(r"^\+C?GSN:\s*", re.IGNORECASE)


def parse_cgsn(text: str) -> tuple[str, bool]:
    """(IMEI, check digit valid) from an ``AT+CGSN`` answer.

    The "+CGSN: " prefix and quotes are optional and anything after a comma is ignored
    (Option GTM378 appends its serial: "129512359199159,SE393939TS", MM-tests gsn). The
    value must be 14-17 digits (IMEI without or with check digit, IMEISV), else ParseError.
    Only a 15-digit IMEI carries a Luhn check digit, so other lengths report False.
    """
    for line in info_lines(text, "IMEI"):
        if _FOREIGN.match(line) and not _CGSN_PREFIX.match(line):
            continue  # an interleaved URC
        value = _CGSN_PREFIX.sub("", line)
        value = unquote(value.split(",", 1)[0])
        if not value:
            continue
        if 14 <= len(value) <= 17 and value.isascii() and value.isdigit():
            return value, len(value) == 15 and luhn_valid(value)
        raise ParseError("IMEI", text)
    raise ParseError("IMEI", text)


_CIMI_PREFIX = deferred_regex(r"^[+#]CIMI:\s*", re.IGNORECASE)


def parse_cimi(text: str) -> str:
    """The IMSI (5-15 digits) from ``AT+CIMI``; an optional "+CIMI:"/"#CIMI:" prefix (Telit
    ``AT#CIMI``) is stripped. ParseError otherwise."""
    for line in info_lines(text, "IMSI"):
        # The usual answer is the bare number: no prefix to look for.
        prefix = _CIMI_PREFIX.match(line) if line[0] in "+#" else None
        if prefix is None and line[0] in _FOREIGN_HEADS and _FOREIGN.match(line):
            continue  # an interleaved URC
        value = unquote(line[prefix.end() :] if prefix else line)
        if 5 <= len(value) <= 15 and value.isascii() and value.isdigit():
            return value
        raise ParseError("IMSI", text)
    raise ParseError("IMSI", text)
