"""USSD: the ``AT+CUSD`` request string, the ``+CUSD:`` reply, and the amount in a reply.

3GPP TS 27.007 §7.15: ``AT+CUSD=1,"<str>",<dcs>`` sends, ``+CUSD: <m>[,"<str>"[,<dcs>]]``
answers. How ``<str>`` is written depends on the data coding scheme (3GPP TS 23.038 §5, the
CBS coding groups), on the ``AT+CSCS`` character set, and on the vendor (vendors.md §1.7).
"""

from __future__ import annotations

import re

from drivers.errors import ParseError
from drivers.parsers import gsm7
from drivers.records import record

# DCS 0x0F: GSM 7-bit default alphabet, language unspecified (23.038 §5); MM sends the same
# (MM_MODEM_GSM_USSD_SCHEME_7BIT in src/mm-iface-modem-3gpp-ussd.h).
DCS_GSM7 = 0x0F
DCS_UCS2 = 0x48

USSD_STATUS: dict[int, str] = {
    0: "no further action required",
    1: "further action required",
    2: "terminated by network",
    3: "other local client has responded",
    4: "operation not supported",
    5: "network time out",
}

# The text runs to the quote that ends the line (after an optional ,<dcs>): a menu may hold
# quotes, commas and line breaks of its own.
_CUSD = re.compile(
    r'\+CUSD:\s*(\d+)\s*(?:,\s*(?:"(.*?)"|([^,\r\n"]*))\s*(?:,\s*(\d+))?)?[ \t]*(?:[\r\n]|$)',
    re.IGNORECASE | re.DOTALL,
)
_NUMBER = re.compile(r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)")
_HEX = re.compile(r"^(?:[0-9A-Fa-f]{2})*$")
_CR = 0x0D


@record
class UssdReply:
    """One ``+CUSD:`` answer; ``text`` is decoded, None when the network sent none."""

    status: int
    text: str | None
    dcs: int | None

    @property
    def meaning(self) -> str:
        return USSD_STATUS.get(self.status, f"unknown status {self.status}")

    @property
    def final(self) -> bool:
        """True unless the network waits for an answer (a menu, status 1)."""
        return self.status != 1


def encode_ussd_request(code: str, *, packed: bool) -> tuple[str, int]:
    """(``<str>``, ``<dcs>``) for ``AT+CUSD=1,"<str>",<dcs>``.

    packed=True for Huawei firmware, which takes the request as packed GSM-7 in hex, with a
    carriage return added when the code fills whole groups of seven septets so that the
    spare bits of the last octet do not read as an "@" (23.038 §6.1.2.3.1; MM
    src/plugins/huawei/mm-broadband-modem-huawei.c ``encode``). ``*101#`` -> ``AA182C3602``.
    """
    if not code or any(char in code for char in '"\r\n') or not gsm7.is_gsm7(code):
        raise ParseError("USSD code", code)
    if not packed:
        return code, DCS_GSM7
    septets = gsm7.text_to_septets(code)
    if len(septets) % 7 == 0:
        septets.append(_CR)
    return gsm7.pack_septets(septets).hex().upper(), DCS_GSM7


def dcs_is_ucs2(dcs: int) -> bool:
    """True if the CBS data coding scheme ``dcs`` says UCS2 (23.038 §5).

    0x11 is UCS2 behind a language indication; in the general coding groups 01xx and 1001
    bits 3..2 give the alphabet, 10 being UCS2 (0x48 is the usual one). Other groups are
    GSM 7-bit or 8-bit.
    """
    if dcs == 0x11:
        return True
    if (dcs & 0xC0) == 0x40 or (dcs & 0xF0) == 0x90:
        return (dcs & 0x0C) == 0x08
    return False


def _ucs2_hex(payload: str, text: str) -> str:
    compact = "".join(payload.split())
    if len(compact) % 4 or not _HEX.match(compact):
        raise ParseError("UCS2 USSD text", text)
    return bytes.fromhex(compact).decode("utf-16-be", errors="replace")


def _packed_gsm7_hex(payload: str, text: str) -> str:
    compact = "".join(payload.split())
    if not _HEX.match(compact):
        raise ParseError("packed GSM-7 USSD text", text)
    data = bytes.fromhex(compact)
    septets = gsm7.unpack_septets(data, len(data) * 8 // 7)
    # Seven octets hold eight septets; a sender with only seven pads with CR (23.038
    # §6.1.2.3.1), which is not part of the text. MM's Huawei decode drops it the same way.
    if septets and len(data) % 7 == 0 and septets[-1] == _CR:
        septets.pop()
    return gsm7.septets_to_text(septets)


def parse_cusd(text: str, *, charset: str = "GSM", packed: bool = False) -> UssdReply:
    """The ``+CUSD:`` answer in ``text`` (a URC line or a whole response), text decoded.

    UCS2 data coding (see dcs_is_ucs2), or DCS 15 while ``AT+CSCS`` is "UCS2": hex of
    UTF-16BE. packed=True (Huawei): packed GSM-7 in hex. Otherwise the text as the modem
    gave it; a string that merely looks like hex under the GSM charset stays as it is.
    """
    start = text.upper().find("+CUSD:")
    match = _CUSD.match(text, start) if start >= 0 else None
    if match is None:
        raise ParseError("+CUSD", text)
    status = int(match.group(1))
    payload = match.group(2) if match.group(2) is not None else match.group(3)
    dcs = int(match.group(4)) if match.group(4) is not None else None
    if payload is None or (match.group(2) is None and not payload.strip()):
        return UssdReply(status, None, dcs)
    if (dcs is not None and dcs_is_ucs2(dcs)) or charset.upper() in ("UCS2", "UCS-2"):
        decoded = _ucs2_hex(payload, text)
    elif packed:
        decoded = _packed_gsm7_hex(payload, text)
    else:
        decoded = payload
    return UssdReply(status, decoded, dcs)


# Full-width forms U+FF01..U+FF5E mirror ASCII 0x21..0x7E; Chinese carriers write amounts
# with full-width digits and colons ("余额：１２.５０元").
_FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")


def extract_amount(text: str, pattern: re.Pattern[str]) -> float | None:
    """The amount ``pattern`` finds in ``text`` (its first group, or the whole match).

    Full-width digits, colon and point are read as their ASCII forms, and commas between
    digit groups ("1,234.50") as thousands separators, before matching, so a pattern for
    plain digits finds them. None if nothing matches or the match is not a number.
    """
    match = pattern.search(_THOUSANDS.sub("", text.translate(_FULL_WIDTH)))
    if match is None:
        return None
    found = match.group(1) if pattern.groups else match.group(0)
    if found is None:
        return None
    number = found.replace(",", "").replace(" ", "")
    return float(number) if _NUMBER.fullmatch(number) else None
