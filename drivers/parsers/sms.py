"""SMS in PDU mode (``AT+CMGF=0``): listing, decoding, reassembly and the SMS-SUBMIT encoder.

PDU layout per 3GPP TS 23.040 §9.2.2 (SMS-DELIVER, SMS-SUBMIT), addresses §9.1.2.5, time
stamps §9.2.3.11, user data and its header §9.2.3.24, data coding per 23.038 §4. Modems
put the SMSC address (27.005 §3.1) in front of the TPDU; ``AT+CMGS=<n>`` counts the TPDU
octets only.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta, timezone
from typing import Literal

from drivers.errors import ParseError
from drivers.parsers import gsm7
from drivers.parsers.common_text import info_lines
from drivers.records import record, replace

# <stat> in PDU mode (27.005 §3.1).
STAT_REC_UNREAD = 0
STAT_REC_READ = 1
STAT_STO_UNSENT = 2
STAT_STO_SENT = 3
STAT_ALL = 4

# Per-part capacity of the 140-octet user data: single, and behind the 6-octet header of
# an 8-bit concatenation reference (23.040 §9.2.3.24.1).
GSM7_SINGLE = 160
GSM7_PART = 153
UCS2_SINGLE = 70
UCS2_PART = 67

_MTI_DELIVER = 0x00
_MTI_SUBMIT = 0x01
_UDHI = 0x40
_TYPE_INTERNATIONAL = 0x91
# TON unknown, ISDN numbering: what MM writes for numbers without "+"
# (MM src/tests/test-sms-part-3gpp.c test_address_encode_unknown) and what SMSCs route as
# a number in the sender's own network.
_TYPE_UNKNOWN = 0x81
_DCS_GSM7 = 0x00
_DCS_UCS2 = 0x08
_BCD_DIGITS = "0123456789*#abc"

# <alpha> may be empty, quoted ("" on Telit HE910) or missing altogether (Pantech:
# "+CMGL: 17,3,35"; MM-tests test_cmgl_response_pantech, test_cmgr_response_telit).
_CMGL = re.compile(r"^\+CMGL:\s*(\d+)\s*,\s*(\d+)\s*(?:,(.*))?,\s*(\d+)\s*$", re.IGNORECASE)
# The PDU may follow on the same line after a space (MM-tests test_cmgr_response_generic).
_CMGR = re.compile(
    r"^\+CMGR:\s*(\d+)\s*(?:,(.*?))?,\s*(\d+)(?:\s+([0-9A-Fa-f]+))?\s*$", re.IGNORECASE
)
_PDU_HEX = re.compile(r"^(?:[0-9A-Fa-f]{2})+$")
_HEX_LINE = re.compile(r"^[0-9A-Fa-f]+$")
_NUMBER = re.compile(r"^\+?[0-9*#]{1,20}$")


@record
class ConcatInfo:
    """Concatenation element (23.040 §9.2.3.24.1, .8): reference, part count, 1-based seq."""

    ref: int
    total: int
    seq: int


@record
class SmsMessage:
    """A decoded message, or several parts joined (see join_concatenated).

    ``sender`` is the originating address of an SMS-DELIVER, the destination of an
    SMS-SUBMIT (a stored outgoing message). 8-bit user data is given as Latin-1 text,
    one character per octet. ``complete`` is False for a concatenated message some of
    whose parts are missing.
    """

    sender: str | None
    timestamp: datetime | None
    text: str
    concat: ConcatInfo | None
    dcs: int
    complete: bool = True
    smsc: str | None = None
    kind: Literal["deliver", "submit"] = "deliver"


class _Reader:
    """Octets of a PDU read front to back; running short is a ParseError."""

    def __init__(self, data: bytes, text: str) -> None:
        self.data = data
        self.text = text
        self.pos = 0

    def take(self, count: int) -> bytes:
        if count < 0 or self.pos + count > len(self.data):
            raise ParseError("SMS PDU (too short)", self.text)
        chunk = self.data[self.pos : self.pos + count]
        self.pos += count
        return chunk

    def octet(self) -> int:
        return self.take(1)[0]


def _hex_bytes(pdu_hex: str) -> bytes:
    compact = "".join(pdu_hex.split())
    if not _PDU_HEX.match(compact):
        raise ParseError("SMS PDU (not hex)", pdu_hex)
    return bytes.fromhex(compact)


def _bcd_digits(data: bytes, count: int | None = None) -> str:
    digits: list[str] = []
    for octet in data:
        for nibble in (octet & 0x0F, octet >> 4):
            if nibble == 0x0F:
                continue  # filler of an odd-length number
            digits.append(_BCD_DIGITS[nibble])
    return "".join(digits[:count] if count is not None else digits)


def _address(reader: _Reader) -> str:
    """A TP-OA / TP-DA: length in semi-octets, type of address, value (23.040 §9.1.2.5)."""
    digits = reader.octet()
    kind = reader.octet()
    value = reader.take((digits + 1) // 2)
    if (kind & 0x70) == 0x50:
        # Alphanumeric: GSM-7 packed in the value octets; the length counts the semi-octets
        # actually used, so trailing spare bits never make a septet.
        return gsm7.unpack_text(value, digits * 4 // 7)
    number = _bcd_digits(value, digits)
    return "+" + number if (kind & 0x70) == 0x10 else number


def _smsc(reader: _Reader) -> str | None:
    length = reader.octet()
    if length == 0:
        return None
    kind = reader.octet()
    number = _bcd_digits(reader.take(length - 1))
    if not number:
        return None
    return "+" + number if (kind & 0x70) == 0x10 else number


def _swapped(octet: int) -> int | None:
    low, high = octet & 0x0F, octet >> 4
    if low > 9 or high > 9:
        return None
    return low * 10 + high


def _timestamp(data: bytes) -> datetime | None:
    """TP-SCTS (23.040 §9.2.3.11); None if a field is out of range rather than failing."""
    fields = [_swapped(octet) for octet in data[:6]]
    tz = data[6]
    tz_low, tz_high = tz & 0x07, tz >> 4
    if any(field is None for field in fields) or tz_high > 9:
        return None
    year, month, day, hour, minute, second = (field or 0 for field in fields)
    # The sign is bit 3 of the first semi-octet; the rest counts quarters of an hour.
    quarters = tz_low * 10 + tz_high
    if tz & 0x08:
        quarters = -quarters
    try:
        zone = timezone(timedelta(minutes=15 * quarters))
        return datetime(2000 + year, month, day, hour, minute, second, tzinfo=zone)
    except ValueError:
        return None


def _alphabet(dcs: int) -> Literal["gsm7", "8bit", "ucs2"]:
    """The alphabet of an SMS data coding scheme (23.038 §4)."""
    group = dcs >> 4
    if group <= 0x07:  # general data coding, with or without automatic deletion
        if dcs & 0x20:
            raise ParseError("SMS user data (compressed)", f"DCS {dcs:#04x}")
        return ("gsm7", "8bit", "ucs2", "gsm7")[(dcs >> 2) & 0x03]  # 11: reserved
    if group == 0x0E:  # message waiting indication, UCS2
        return "ucs2"
    if group == 0x0F:  # data coding / message class
        return "8bit" if dcs & 0x04 else "gsm7"
    return "gsm7"  # 0xC, 0xD message waiting; 0x8..0xB reserved, read as the default


def _concat(header: bytes, text: str) -> ConcatInfo | None:
    """The concatenation element of a user data header, 8- or 16-bit reference."""
    found: ConcatInfo | None = None
    pos = 0
    while pos < len(header):
        if pos + 2 > len(header):
            raise ParseError("SMS user data header", text)
        iei, length = header[pos], header[pos + 1]
        value = header[pos + 2 : pos + 2 + length]
        if len(value) != length:
            raise ParseError("SMS user data header", text)
        pos += 2 + length
        if iei == 0x00 and length == 3:
            ref, total, seq = value[0], value[1], value[2]
        elif iei == 0x08 and length == 4:
            ref, total, seq = (value[0] << 8) | value[1], value[2], value[3]
        else:
            continue
        # 23.040 §9.2.3.24.1: a zero count or a sequence number past the count is ignored.
        if total and 1 <= seq <= total:
            found = ConcatInfo(ref, total, seq)
    return found


def _user_data(reader: _Reader, fo: int, dcs: int, text: str) -> tuple[str, ConcatInfo | None]:
    udl = reader.octet()
    alphabet = _alphabet(dcs)
    octets = (udl * 7 + 7) // 8 if alphabet == "gsm7" else udl
    data = reader.take(octets)
    header_octets = 0
    concat: ConcatInfo | None = None
    if fo & _UDHI:
        if not data:
            raise ParseError("SMS user data header", text)
        header_octets = data[0] + 1
        if header_octets > len(data):
            raise ParseError("SMS user data header", text)
        concat = _concat(data[1:header_octets], text)
    if alphabet == "gsm7":
        header_septets = (header_octets * 8 + 6) // 7
        fill_bits = header_septets * 7 - header_octets * 8
        count = udl - header_septets
        if count < 0:
            raise ParseError("SMS user data length", text)
        body = gsm7.unpack_text(data[header_octets:], count, fill_bits)
    elif alphabet == "ucs2":
        payload = data[header_octets:]
        if len(payload) % 2:
            raise ParseError("SMS UCS2 user data (odd length)", text)
        # A concatenated message may split a surrogate pair between parts; keep the halves
        # so that join_concatenated can put them back together.
        body = payload.decode("utf-16-be", errors="surrogatepass")
    else:
        body = data[header_octets:].decode("latin-1")
    return body, concat


def decode_pdu(pdu_hex: str) -> SmsMessage:
    """Decode an SMS-DELIVER (or a stored SMS-SUBMIT) PDU with its SMSC prefix."""
    reader = _Reader(_hex_bytes(pdu_hex), pdu_hex)
    smsc = _smsc(reader)
    fo = reader.octet()
    mti = fo & 0x03
    if mti == _MTI_DELIVER:
        sender = _address(reader)
        reader.octet()  # TP-PID
        dcs = reader.octet()
        timestamp = _timestamp(reader.take(7))
        kind: Literal["deliver", "submit"] = "deliver"
    elif mti == _MTI_SUBMIT:
        reader.octet()  # TP-MR
        sender = _address(reader)
        reader.octet()  # TP-PID
        dcs = reader.octet()
        validity_format = (fo >> 3) & 0x03
        reader.take({0: 0, 2: 1}.get(validity_format, 7))
        timestamp = None
        kind = "submit"
    else:
        raise ParseError("SMS-DELIVER or SMS-SUBMIT PDU", pdu_hex)
    body, concat = _user_data(reader, fo, dcs, pdu_hex)
    return SmsMessage(
        sender=sender or None,
        timestamp=timestamp,
        text=body,
        concat=concat,
        dcs=dcs,
        smsc=smsc,
        kind=kind,
    )


def _pdu_line(lines: list[str], index: int, text: str) -> str:
    # Only "is it hex": the listing is taken as the modem gives it (MM-tests
    # test_cmgl_response_pantech has an odd-length PDU); decode_pdu judges the PDU itself.
    if index >= len(lines) or not _HEX_LINE.match(lines[index]):
        raise ParseError("SMS PDU line", text)
    return lines[index]


def parse_cmgl(text: str) -> list[tuple[int, int, str]]:
    """(index, stat, pdu) of each message in an ``AT+CMGL=4`` answer (PDU mode).

    Each ``+CMGL: <index>,<stat>,[<alpha>],<length>`` line is followed by its PDU line
    (27.005 §3.4.2; vendors.md §1.8). No messages: an empty list.
    """
    lines = info_lines(text, "+CMGL")
    found: list[tuple[int, int, str]] = []
    position = 0
    while position < len(lines):
        match = _CMGL.match(lines[position])
        if match is None:
            raise ParseError("+CMGL", text)
        pdu = _pdu_line(lines, position + 1, text)
        found.append((int(match.group(1)), int(match.group(2)), pdu.upper()))
        position += 2
    return found


def parse_cmgr(text: str) -> tuple[int, str]:
    """(stat, pdu) of an ``AT+CMGR=<index>`` answer: ``+CMGR: <stat>,[<alpha>],<length>``."""
    lines = info_lines(text, "+CMGR")
    if not lines:
        raise ParseError("+CMGR", text)
    match = _CMGR.match(lines[0])
    if match is None:
        raise ParseError("+CMGR", text)
    if match.group(4) is not None:
        return int(match.group(1)), _pdu_line([match.group(4)], 0, text).upper()
    return int(match.group(1)), _pdu_line(lines, 1, text).upper()


def _fix_surrogates(text: str) -> str:
    return text.encode("utf-16-be", errors="surrogatepass").decode("utf-16-be", errors="replace")


def join_concatenated(messages: Iterable[SmsMessage]) -> list[SmsMessage]:
    """Messages with their concatenated parts joined, in the order each first appears.

    Parts belong together by (sender, ref, total) and are put in seq order; a repeated
    part is taken once. A set with parts missing comes back as one message of the parts
    present, ``complete=False``. The joined message keeps the first part's time stamp.
    """
    order: list[SmsMessage | tuple[str | None, int, int]] = []
    groups: dict[tuple[str | None, int, int], dict[int, SmsMessage]] = {}
    for message in messages:
        if message.concat is None:
            order.append(message)
            continue
        key = (message.sender, message.concat.ref, message.concat.total)
        if key not in groups:
            groups[key] = {}
            order.append(key)
        groups[key].setdefault(message.concat.seq, message)
    joined: list[SmsMessage] = []
    for item in order:
        if isinstance(item, SmsMessage):
            joined.append(replace(item, text=_fix_surrogates(item.text)))
            continue
        parts = [groups[item][seq] for seq in sorted(groups[item])]
        first = parts[0]
        joined.append(
            replace(
                first,
                text=_fix_surrogates("".join(part.text for part in parts)),
                complete=len(parts) == item[2],
            )
        )
    return joined


def _encode_address(number: str) -> bytes:
    digits = number.lstrip("+")
    kind = _TYPE_INTERNATIONAL if number.startswith("+") else _TYPE_UNKNOWN
    padded = digits + ("F" if len(digits) % 2 else "")
    octets = bytearray()
    for pos in range(0, len(padded), 2):
        low, high = padded[pos], padded[pos + 1]
        octets.append((_nibble(high) << 4) | _nibble(low))
    return bytes((len(digits), kind)) + bytes(octets)


def _nibble(char: str) -> int:
    return 0x0F if char == "F" else _BCD_DIGITS.index(char)


def _split(text: str, weigh: Callable[[str], int], single: int, part: int) -> list[str]:
    """``text`` cut into pieces of at most ``part`` units (one piece if it fits ``single``).

    Cuts fall between characters, so an escape sequence or a surrogate pair stays whole.
    """
    if sum(weigh(char) for char in text) <= single:
        return [text]
    pieces: list[str] = []
    current: list[str] = []
    used = 0
    for char in text:
        size = weigh(char)
        if used + size > part:
            pieces.append("".join(current))
            current, used = [], 0
        current.append(char)
        used += size
    pieces.append("".join(current))
    return pieces


def encode_submit(to: str, text: str, *, ref: int = 0) -> list[tuple[str, int]]:
    """SMS-SUBMIT PDUs for ``text`` to ``to``: (pdu_hex, tpdu_length) per part.

    Send each with ``AT+CMGS=<tpdu_length>``, then the hex and Ctrl-Z. The SMSC length is
    00, so the modem uses the SIM's service centre. GSM-7 if every character is in the
    default or extension table (an extension character takes two septets), else UCS2.
    Text longer than one message (160 septets / 70 UCS2 units) is split into parts of 153 /
    67 behind an 8-bit concatenation header with reference ``ref``.
    """
    compact = "".join(char for char in to if char not in " -()")
    if not _NUMBER.match(compact):
        raise ParseError("SMS destination number", to)
    if not 0 <= ref <= 0xFF:
        raise ValueError(f"concatenation reference must be 0..255, not {ref}")
    use_gsm7 = gsm7.is_gsm7(text)
    if use_gsm7:
        pieces = _split(text, gsm7.char_septets, GSM7_SINGLE, GSM7_PART)
    else:
        pieces = _split(text, _ucs2_units, UCS2_SINGLE, UCS2_PART)
    if len(pieces) > 255:
        raise ValueError(f"text needs {len(pieces)} parts, more than 255")
    address = _encode_address(compact)
    multipart = len(pieces) > 1
    first_octet = _MTI_SUBMIT | (_UDHI if multipart else 0)  # no validity period: SMSC default
    pdus: list[tuple[str, int]] = []
    for seq, piece in enumerate(pieces, start=1):
        header = bytes((5, 0x00, 3, ref, len(pieces), seq)) if multipart else b""
        if use_gsm7:
            header_septets = (len(header) * 8 + 6) // 7
            fill_bits = header_septets * 7 - len(header) * 8
            septets = gsm7.text_to_septets(piece)
            user_data = header + gsm7.pack_septets(septets, fill_bits)
            udl = header_septets + len(septets)
            dcs = _DCS_GSM7
        else:
            user_data = header + piece.encode("utf-16-be")
            udl = len(user_data)
            dcs = _DCS_UCS2
        tpdu = bytes((first_octet, 0x00)) + address + bytes((0x00, dcs, udl)) + user_data
        pdus.append(("00" + tpdu.hex().upper(), len(tpdu)))
    return pdus


def _ucs2_units(char: str) -> int:
    return 2 if ord(char) > 0xFFFF else 1
