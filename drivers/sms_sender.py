"""Sending an SMS in PDU mode: ``AT+CMGS=<length>``, the ``> `` prompt, the PDU, Ctrl-Z.

27.005 §3.5.1. The prompt has no line end, so the AT channel's line-based exchange cannot
wait for it; this module drives that one exchange on the channel's port itself, between
two ordinary channel commands, and hands any URC it meets on to the channel's handler.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable

import serial

from drivers.at.channel import AtChannel
from drivers.at.finals import classify, error_for
from drivers.at.framing import clean_line
from drivers.errors import AtCommandError, AtTimeout, ModemError, PortClosed
from drivers.logs import get_logger
from drivers.parsers.sms import encode_submit

log = get_logger("posagent.sms")

CTRL_Z = b"\x1a"
ESC = b"\x1b"
PROMPT_TIMEOUT = 5.0
# The network confirms a submitted message within seconds; Quectel documents up to 120 s
# as the maximum response time of AT+CMGS (QAT 15 command table) [?]. Bounded lower here:
# the poll loop waits on it.
SEND_TIMEOUT = 60.0
_CMGS = re.compile(r"^\+CMGS:\s*(\d+)")
_READ_MAX = 4096


class _Raw:
    """Line reading on the bare port for the prompt exchange."""

    def __init__(self, channel: AtChannel, clock: Callable[[], float]) -> None:
        self.channel = channel
        self.port: serial.SerialBase = channel.port
        self.clock = clock
        self.buffer = b""

    def write(self, data: bytes) -> None:
        try:
            self.port.write(data)
        except (serial.SerialException, OSError) as exc:
            raise PortClosed(self.channel.name, f"write failed: {exc}") from exc

    def read(self) -> None:
        try:
            waiting = self.port.in_waiting
            data = self.port.read(min(waiting, _READ_MAX)) if waiting else self.port.read(1)
        except (serial.SerialException, OSError) as exc:
            raise PortClosed(self.channel.name, f"read failed: {exc}") from exc
        self.buffer += data

    def lines(self) -> list[str]:
        """Complete lines received so far; what follows the last line end stays buffered."""
        *complete, self.buffer = re.split(rb"\r\n|\r|\n", self.buffer)
        return [line for line in (clean_line(raw) for raw in complete) if line]

    def prompt_seen(self) -> bool:
        return self.buffer.strip() == b">"

    def other(self, line: str) -> None:
        """A line that is neither the answer nor the final: a URC, or the echo."""
        if line.startswith(self.channel.urc_prefixes):
            self.channel.emit_urc(line)
        else:
            log.debug("sms_line_ignored", line=line[:80], port=self.channel.name)


def send_pdu(
    channel: AtChannel,
    pdu_hex: str,
    length: int,
    *,
    timeout: float = SEND_TIMEOUT,
    clock: Callable[[], float] = time.monotonic,
) -> int:
    """Send one SMS-SUBMIT part; the message reference ``<mr>`` the network gave it.

    The modem must be in PDU mode already (``AT+CMGF=0``). Raises CmsError/AtCommandError
    on a refusal, AtTimeout when the prompt or the answer does not come (the text is then
    abandoned with ESC and the channel re-synced).
    """
    command = f"AT+CMGS={length}"
    raw = _Raw(channel, clock)
    # Whatever arrived since the last exchange is not part of this one.
    raw.read()
    for line in raw.lines():
        raw.other(line)
    raw.buffer = b""
    raw.write(command.encode() + b"\r")
    _wait(raw, command, PROMPT_TIMEOUT, until_prompt=True)
    raw.write(pdu_hex.encode() + CTRL_Z)
    answer = _wait(raw, command, timeout, until_prompt=False)
    for line in answer:
        match = _CMGS.match(line)
        if match:
            return int(match.group(1))
    raise AtCommandError(command, "OK", tuple(answer))


def _wait(raw: _Raw, command: str, timeout: float, *, until_prompt: bool) -> list[str]:
    """Read until the prompt (until_prompt) or a final result; the +CMGS lines seen."""
    deadline = raw.clock() + timeout
    answer: list[str] = []
    while True:
        raw.read()
        for line in raw.lines():
            final = classify(line)
            if final is not None:
                if final.is_error:
                    raise error_for(command, final, tuple(answer))
                if until_prompt:
                    # OK without a prompt: the modem took the command as complete.
                    raise AtCommandError(command, final.line, tuple(answer))
                return answer
            if line.startswith("+CMGS"):
                answer.append(line)
            else:
                raw.other(line)
        if until_prompt and raw.prompt_seen():
            raw.buffer = b""
            return answer
        if raw.clock() >= deadline:
            _abandon(raw)
            raise AtTimeout(command, timeout, tuple(answer))


def _abandon(raw: _Raw) -> None:
    """Leave text-input mode (ESC sends nothing) and bring the channel back in step."""
    try:
        raw.write(ESC)
    except PortClosed:
        return
    raw.channel.resync(attempts=1)


def send_sms(
    channel: AtChannel,
    to: str,
    text: str,
    *,
    timeout: float = SEND_TIMEOUT,
    ref: int | None = None,
) -> list[int]:
    """Send ``text`` to ``to``; the message reference of each part, in order.

    GSM-7 when every character allows, else UCS2; split into concatenated parts when long
    (drivers.parsers.sms.encode_submit). ``ref`` is the concatenation reference, random
    when not given, so two long messages in a row are not merged by the phone. Raises
    ParseError for a number that is not one, and ModemError subclasses as send_pdu does;
    parts sent before a failure stay sent.
    """
    pdus = encode_submit(to, text, ref=random.randrange(256) if ref is None else ref)
    channel.command("AT+CMGF=0")
    references: list[int] = []
    for pdu_hex, length in pdus:
        try:
            references.append(send_pdu(channel, pdu_hex, length, timeout=timeout))
        except ModemError:
            log.warning("sms_part_failed", to=to, part=len(references) + 1, parts=len(pdus))
            raise
    log.info("sms_sent", to=to, parts=len(pdus), references=references, port=channel.name)
    return references
