"""SMS in PDU mode (3GPP TS 27.005) and USSD (27.007 §7.15) for the simulated modem.

Mixed into `generic.HANDLERS`, so every vendor profile has them; Huawei swaps in
`h_cusd_packed`. State keys (drivers/simulator/state.py):

- ``sms``: the messages in the modem's storage, each ``{sender, text, time}`` (encoded here
  as SMS-DELIVER PDUs, UCS2 when the text is not GSM-7, concatenated when long) or ``{pdu}``
  (a captured PDU, listed as it is). ``{"sms": {...}}`` as an event stores one more and
  sends ``+CMTI: "ME",<index>``. ``AT+CMGL`` marks what it lists as read, as modules do.
- ``sent_sms``: what the host sent with ``AT+CMGS``, each ``{to, text, parts}``, the parts
  of a concatenated message joined once all have arrived.
- ``ussd_reply``: the network's answer to any USSD request, sent as a ``+CUSD:`` URC a
  moment after ``OK`` (vendors.md §1.7).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from drivers.errors import ParseError
from drivers.parsers import gsm7
from drivers.parsers.sms import decode_pdu, join_concatenated
from drivers.simulator.commands import Command
from drivers.simulator.profiles.base import AtError, Handler, ModemContext, require_sim

# The network answers a USSD request after a moment; real networks take 1-5 s.
USSD_DELAY = 0.1
# The service centre that delivered the stored messages (China Mobile's Beijing SMSC).
SMSC = "+8613800100500"
CHINA = timezone(timedelta(hours=8))

# 27.005 §3.1 <stat> in PDU mode.
REC_UNREAD, REC_READ, ALL = 0, 1, 4
# +CMS ERROR codes (27.005 §3.2.5; vendors.md §1.9).
CMS_NOT_SUPPORTED = 303
CMS_INVALID_PDU = 304
CMS_NO_NETWORK = 331

_REGISTERED = (1, 5, 6, 7, 9, 10)
_NUMBER = re.compile(r"^\+?\d{1,20}$")
_USSD_CODE = re.compile(r"^[0-9*#]{1,160}$")
_HEX = re.compile(r"^(?:[0-9A-Fa-f]{2})+$")
_CR = 0x0D


# --- encoding SMS-DELIVER PDUs (23.040 §9.2.2.1) ---------------------------------------------


def _bcd(digits: str) -> bytes:
    padded = digits + ("F" if len(digits) % 2 else "")
    return bytes(int(padded[i + 1], 16) << 4 | int(padded[i], 16) for i in range(0, len(padded), 2))


def _address(number: str) -> bytes:
    """TP-OA: a number in BCD (international with "+"), else alphanumeric GSM-7."""
    if _NUMBER.match(number):
        digits = number.lstrip("+")
        kind = 0x91 if number.startswith("+") else 0x81
        return bytes((len(digits), kind)) + _bcd(digits)
    packed = gsm7.pack_text(number[:11])
    semi_octets = (gsm7.septet_count(number[:11]) * 7 + 3) // 4
    return bytes((semi_octets, 0xD0)) + packed


def _smsc(number: str) -> bytes:
    body = bytes((0x91,)) + _bcd(number.lstrip("+"))
    return bytes((len(body),)) + body


def _swapped(value: int) -> int:
    return (value % 10) << 4 | value // 10


def _timestamp(when: datetime) -> bytes:
    """TP-SCTS: swapped BCD fields, the zone in quarters of an hour (23.040 §9.2.3.11)."""
    offset = when.utcoffset() or timedelta(0)
    quarters = int(offset.total_seconds()) // 900
    tens, ones = divmod(abs(quarters), 10)
    zone = ones << 4 | tens | (0x08 if quarters < 0 else 0)
    fields = (when.year % 100, when.month, when.day, when.hour, when.minute, when.second)
    return bytes(_swapped(field) for field in fields) + bytes((zone,))


def _pieces(text: str, weigh: Callable[[str], int], single: int, part: int) -> list[str]:
    if sum(weigh(char) for char in text) <= single:
        return [text]
    pieces, current, used = [], "", 0
    for char in text:
        if used + weigh(char) > part:
            pieces.append(current)
            current, used = "", 0
        current += char
        used += weigh(char)
    return [*pieces, current]


def deliver_pdus(sender: str, text: str, when: datetime, *, ref: int = 0) -> list[tuple[str, int]]:
    """SMS-DELIVER PDUs (hex, SMSC first) and their TPDU lengths for one message."""
    use_gsm7 = gsm7.is_gsm7(text)
    if use_gsm7:
        pieces = _pieces(text, gsm7.char_septets, 160, 153)
    else:
        pieces = _pieces(text, lambda c: 2 if ord(c) > 0xFFFF else 1, 70, 67)
    multipart = len(pieces) > 1
    first_octet = 0x04 | (0x40 if multipart else 0)  # SMS-DELIVER, no more messages to send
    pdus = []
    for seq, piece in enumerate(pieces, start=1):
        header = bytes((5, 0x00, 3, ref & 0xFF, len(pieces), seq)) if multipart else b""
        if use_gsm7:
            header_septets = (len(header) * 8 + 6) // 7
            fill = header_septets * 7 - len(header) * 8
            septets = gsm7.text_to_septets(piece)
            data = header + gsm7.pack_septets(septets, fill)
            udl, dcs = header_septets + len(septets), 0x00
        else:
            data = header + piece.encode("utf-16-be")
            udl, dcs = len(data), 0x08
        tpdu = (
            bytes((first_octet,))
            + _address(sender)
            + bytes((0x00, dcs))
            + _timestamp(when)
            + bytes((udl,))
            + data
        )
        pdus.append(((_smsc(SMSC) + tpdu).hex().upper(), len(tpdu)))
    return pdus


def _parts_of(message: dict[str, Any], ref: int) -> list[tuple[str, int]]:
    if "pdu" in message:
        pdu = message["pdu"]
        return [(pdu, len(pdu) // 2 - 1 - int(pdu[:2], 16))]
    when = datetime.fromisoformat(message["time"]) if "time" in message else datetime.now(CHINA)
    return deliver_pdus(message["sender"], message["text"], when, ref=ref)


def stored_parts(ctx: ModemContext) -> list[tuple[int, int, str, int, int]]:
    """(index, stat, pdu, tpdu length, message position) of every stored part, in order."""
    found = []
    index = 0
    for position, message in enumerate(ctx.state.sms):
        stat = REC_READ if message.get("read") else REC_UNREAD
        for pdu, length in _parts_of(message, ref=position):
            found.append((index, stat, pdu, length, position))
            index += 1
    return found


def receive(ctx: ModemContext, message: dict[str, Any]) -> list[str]:
    """Store an incoming message; the ``+CMTI`` URC naming its (first part's) index."""
    stored = dict(message)
    # A message keeps the time it arrived, so listing it twice gives the same PDU.
    if "pdu" not in stored and "time" not in stored:
        stored["time"] = datetime.now(CHINA).replace(microsecond=0).isoformat()
    index = len(stored_parts(ctx))
    ctx.state.sms = (*ctx.state.sms, stored)
    return [f'+CMTI: "ME",{index}']


# --- handlers ------------------------------------------------------------------------------


def h_cmgf(ctx: ModemContext, cmd: Command) -> list[str]:
    if cmd.op == "?":
        return [f"+CMGF: {ctx.settings.cmgf}"]
    if cmd.op == "=?":
        return ["+CMGF: (0,1)"]
    if cmd.op == "=":
        mode = cmd.int_arg(0, 0)
        if mode not in (0, 1):
            raise AtError(50)
        ctx.settings.cmgf = mode
        return []
    raise AtError(None)


def h_cmgl(ctx: ModemContext, cmd: Command) -> list[str]:
    if cmd.op == "=?":
        return ["+CMGL: (0-4)"]
    require_sim(ctx)
    if ctx.settings.cmgf != 0:
        raise AtError(cms=CMS_NOT_SUPPORTED)  # text mode ("ALL") is not modelled
    wanted = cmd.int_arg(0, REC_UNREAD) if cmd.op == "=" else REC_UNREAD
    if wanted not in (REC_UNREAD, REC_READ, 2, 3, ALL):
        raise AtError(cms=CMS_INVALID_PDU)
    lines: list[str] = []
    listed: set[int] = set()
    for index, stat, pdu, length, position in stored_parts(ctx):
        if wanted in (ALL, stat):
            lines += [f"+CMGL: {index},{stat},,{length}", pdu]
            listed.add(position)
    # 27.005 §3.4.2: a listed REC UNREAD message becomes REC READ.
    ctx.state.sms = tuple(
        {**message, "read": True} if position in listed else message
        for position, message in enumerate(ctx.state.sms)
    )
    return lines


def _registered(ctx: ModemContext) -> bool:
    state = ctx.state
    return state.sim == "ready" and ctx.settings.cfun == 1 and state.registration in _REGISTERED


def h_cmgs(ctx: ModemContext, cmd: Command) -> list[str]:
    if cmd.op == "=?":
        return []
    if cmd.op != "=":
        raise AtError(None)
    require_sim(ctx)
    if ctx.settings.cmgf != 0:
        raise AtError(cms=CMS_NOT_SUPPORTED)  # text mode is not modelled
    length = cmd.int_arg(0)
    if length is None or not 1 <= length <= 164:
        raise AtError(cms=CMS_INVALID_PDU)
    ctx.expect_input(lambda ctx, text: _submit(ctx, text, length))
    return []


def _submit(ctx: ModemContext, text: str, length: int) -> list[str]:
    """One SMS-SUBMIT part arrived after the prompt: check it, record it, answer +CMGS."""
    pdu = "".join(text.split())
    if not _HEX.match(pdu):
        raise AtError(cms=CMS_INVALID_PDU)
    # AT+CMGS=<length> counts the TPDU only, not the SMSC address in front (27.005 §3.5.1).
    if len(pdu) // 2 - 1 - int(pdu[:2], 16) != length:
        raise AtError(cms=CMS_INVALID_PDU)
    try:
        part = decode_pdu(pdu)
    except ParseError as err:
        raise AtError(cms=CMS_INVALID_PDU) from err
    if part.kind != "submit" or part.sender is None:
        raise AtError(cms=CMS_INVALID_PDU)
    if not _registered(ctx):
        raise AtError(cms=CMS_NO_NETWORK)
    pending = ctx.settings.sms_parts
    sent = ctx.state.sent_sms
    mr = (sum(m.get("parts", 1) for m in sent) + sum(len(p) for p in pending.values())) % 256
    if part.concat is None:
        ctx.state.sent_sms = (*sent, {"to": part.sender, "text": part.text, "parts": 1})
    else:
        key = (part.sender, part.concat.ref)
        parts = pending.setdefault(key, {})
        parts[part.concat.seq] = part
        if len(parts) == part.concat.total:
            (whole,) = join_concatenated(parts[seq] for seq in sorted(parts))
            del pending[key]
            record = {"to": part.sender, "text": whole.text, "parts": part.concat.total}
            ctx.state.sent_sms = (*sent, record)
    return [f"+CMGS: {mr}"]


def _unpack_request(text: str) -> str:
    """A Huawei request: packed GSM-7 in hex, a trailing CR pad dropped (vendors.md §1.7)."""
    if not _HEX.match(text):
        raise AtError(None)
    data = bytes.fromhex(text)
    septets = gsm7.unpack_septets(data, len(data) * 8 // 7)
    if septets and septets[-1] == _CR:
        septets.pop()
    return gsm7.septets_to_text(septets)


def _pack(text: str) -> str:
    septets = gsm7.text_to_septets(text)
    if len(septets) % 7 == 0:
        septets.append(_CR)  # 23.038 §6.1.2.3.1: spare bits must not read as "@"
    return gsm7.pack_septets(septets).hex().upper()


def cusd_reply(ctx: ModemContext, *, packed: bool) -> str:
    """The +CUSD URC carrying ``ussd_reply``: UCS2 hex with DCS 72 unless GSM-7 will do."""
    reply = ctx.state.ussd_reply
    if not reply:
        return "+CUSD: 4"
    if not gsm7.is_gsm7(reply) or '"' in reply:
        return f'+CUSD: 0,"{reply.encode("utf-16-be").hex().upper()}",72'
    if packed:
        return f'+CUSD: 0,"{_pack(reply)}",15'
    if ctx.settings.cscs == "UCS2":
        return f'+CUSD: 0,"{reply.encode("utf-16-be").hex().upper()}",15'
    return f'+CUSD: 0,"{reply}",15'


def _cusd_handler(*, packed: bool) -> Handler:
    def handler(ctx: ModemContext, cmd: Command) -> list[str]:
        if cmd.op == "?":
            return ["+CUSD: 1"]
        if cmd.op == "=?":
            return ["+CUSD: (0-2)"]
        if cmd.op != "=":
            raise AtError(None)
        mode = cmd.int_arg(0, 0)
        if mode not in (0, 1, 2):
            raise AtError(50)
        if mode == 2 or len(cmd.args) < 2:
            return []  # cancel the session, or only switch result presentation
        require_sim(ctx)
        request = cmd.arg(1) or ""
        code = _unpack_request(request) if packed else request
        if not _USSD_CODE.match(code):
            raise AtError(None)
        if not _registered(ctx):
            raise AtError(30)
        ctx.urc_later(USSD_DELAY, cusd_reply(ctx, packed=packed))
        return []

    return handler


h_cusd = _cusd_handler(packed=False)
# Huawei firmware takes and gives USSD text as packed GSM-7 hex (MM huawei plugin
# encode/decode, vendors.md §1.7). What it does with a plain "*101#" is not documented;
# the simulator answers ERROR, so a driver that forgets to pack is caught [?].
h_cusd_packed = _cusd_handler(packed=True)
