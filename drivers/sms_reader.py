"""Reading the messages stored on the modem/SIM in PDU mode (27.005 §3.4.2, vendors.md §1.8).

Reading only: messages are never deleted (the storage may hold the merchant's own
messages too) and nothing is sent. Listing with ``AT+CMGL=4`` marks unread messages as read
on the module, as any SMS reader does; the agent remembers what it has seen itself.
"""

from __future__ import annotations

from collections.abc import Iterable

from drivers.at.channel import AtChannel
from drivers.errors import ParseError
from drivers.logs import get_logger
from drivers.parsers.sms import STAT_ALL, SmsMessage, decode_pdu, join_concatenated, parse_cmgl
from drivers.records import record

log = get_logger("posagent.sms")

# A long storage listing takes a while on a full SIM.
LIST_TIMEOUT = 20.0


@record
class StoredPart:
    """One stored PDU: its storage ``index``, ``stat`` and what it decodes to."""

    index: int
    stat: int
    message: SmsMessage

    @property
    def key(self) -> str:
        """Index and time stamp: a slot reused by a later message gives another key."""
        stamp = self.message.timestamp.isoformat() if self.message.timestamp else "-"
        return f"{self.index}@{stamp}"


def list_parts(channel: AtChannel, *, timeout: float = LIST_TIMEOUT) -> list[StoredPart]:
    """Every stored part, decoded; a PDU that does not decode (a status report, a
    compressed message) is left out and logged."""
    channel.command("AT+CMGF=0")
    response = channel.command(f"AT+CMGL={STAT_ALL}", timeout=timeout)
    parts: list[StoredPart] = []
    for index, stat, pdu in parse_cmgl(response.text):
        try:
            parts.append(StoredPart(index, stat, decode_pdu(pdu)))
        except ParseError as err:
            log.debug("sms_undecodable", index=index, error=str(err))
    return parts


def list_messages(channel: AtChannel, *, timeout: float = LIST_TIMEOUT) -> list[SmsMessage]:
    """The received messages in storage, concatenated parts joined, oldest listing first."""
    parts = list_parts(channel, timeout=timeout)
    return join_concatenated(p.message for p in parts if p.message.kind == "deliver")


class SmsInbox:
    """New received messages since the last look, by storage index and time stamp.

    ``seen`` is what to persist between runs (a few short strings per stored part); keys
    of parts no longer in storage are forgotten, so it stays as small as the storage.
    """

    def __init__(self, seen: Iterable[str] = ()) -> None:
        self._seen = set(seen)

    @property
    def seen(self) -> frozenset[str]:
        return frozenset(self._seen)

    def read_new(self, channel: AtChannel, *, timeout: float = LIST_TIMEOUT) -> list[SmsMessage]:
        parts = [p for p in list_parts(channel, timeout=timeout) if p.message.kind == "deliver"]
        fresh = [p for p in parts if p.key not in self._seen]
        self._seen = {p.key for p in parts}
        if not fresh:
            return []
        # A concatenated message is new if any of its parts is; it is joined from all the
        # parts in storage. One with parts still missing is held back, its parts unseen,
        # until the rest arrive, so the caller gets each message once and whole.
        fresh_groups = {_group(p.message) for p in fresh}
        wanted = [p for p in parts if _group(p.message) in fresh_groups]
        joined = join_concatenated(p.message for p in wanted)
        waiting = {_group(m) for m in joined if not m.complete}
        self._seen -= {p.key for p in wanted if _group(p.message) in waiting}
        return [m for m in joined if m.complete]


def _group(message: SmsMessage) -> tuple[object, ...]:
    if message.concat is None:
        return (id(message),)
    return (message.sender, message.concat.ref, message.concat.total)
