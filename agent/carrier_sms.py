"""Carrier notices read from the SIM's messages: low data, exhausted, expiry, top-up.

Chinese carriers text their prepaid and IoT customers before a package runs out or ends
(China Mobile from 10086, China Unicom from 10010, China Telecom from 10000/10001, IoT
platforms from 1064…). A recognised notice becomes the finding it announces, carrying the
carrier's own words, for ``NOTICE_VALIDITY`` from when it was sent:

- low data ("流量已使用80%", "剩余流量不足") → ``data_low`` (level: the percentage, if given);
- data used up ("流量已用完") → ``data_exhausted``;
- expiry coming ("套餐将于…到期") → ``expiry_soon``; expired or suspended ("已到期",
  "已停机") → ``expired``;
- top-up ("充值成功", "已到账") → logged as ``carrier_topup``. It raises nothing; it ends
  the earlier carrier notices of the same SIM, which it makes out of date. The plan's own
  findings are not touched: the ledger and plan decide those.

Patterns are regular expressions tried in the order above; the first kind that matches
wins (a top-up confirmation that mentions the balance must not read as a low-data notice,
so top-up is tried first).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from agent.config.settings import NOTICE_KINDS, CarrierSmsSettings
from agent.evaluate import short_iccid
from agent.findings import Finding
from agent.stored_time import parse_stored_time
from drivers.errors import ModemError
from drivers.logs import get_logger
from drivers.records import record

if TYPE_CHECKING:
    from agent.store import StateStore
    from drivers.parsers.sms import SmsMessage

log = get_logger("posagent.carrier_sms")

META_NOTICES = "carrier_notices"  # JSON list of Notice
META_SEEN = "carrier_sms_seen"  # JSON list of SmsInbox keys
NOTICE_VALIDITY = timedelta(days=3)
# Without a +CMTI (the daemon missed it, or `check` runs from cron) the storage is read
# at the first poll of a process and then every this many polls.
EVERY_POLLS = 10
MAX_NOTICES = 20

KINDS = NOTICE_KINDS


@record
class NoticePatterns:
    """Per kind, the patterns that recognise it; ``senders``: number prefixes a notice may
    come from (``+86`` / ``86`` dropped first), empty for any sender."""

    topup: tuple[re.Pattern[str], ...]
    data_exhausted: tuple[re.Pattern[str], ...]
    data_low: tuple[re.Pattern[str], ...]
    expired: tuple[re.Pattern[str], ...]
    expiry_soon: tuple[re.Pattern[str], ...]
    senders: tuple[str, ...] = ()

    def kind_of(self, text: str) -> str | None:
        for kind in KINDS:
            if any(pattern.search(text) for pattern in getattr(self, kind)):
                return kind
        return None

    def trusts(self, sender: str | None) -> bool:
        if not self.senders:
            return True
        if sender is None:
            return False
        # "+86" always is the country code; a bare "86" only in front of a full number.
        if sender.startswith("+86"):
            number = sender[3:]
        elif sender.startswith("86") and len(sender) > 11:
            number = sender[2:]
        else:
            number = sender
        # Names ("Vodafone") as the network spells them or not; digits are unaffected.
        return number.casefold().startswith(tuple(s.casefold() for s in self.senders))


def _all(*patterns: str) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p) for p in patterns)


# The carriers' usual wording (their notice templates vary by province and package; these
# cover the common phrasings, not an exhaustive list).
DEFAULT_PATTERNS = NoticePatterns(
    topup=_all(r"充值成功", r"已到账", r"缴费成功", r"续费成功"),
    data_exhausted=_all(r"流量已(?:全部)?用(?:完|尽|光)", r"流量已耗尽", r"流量已超出"),
    data_low=_all(
        r"流量已(?:使用|用)(?:了)?\s*\d{1,3}\s*%",
        r"剩余(?:国内|省内|通用)*流量",
        r"流量(?:即将|快要|将要)用完",
        r"流量(?:余量)?不足",
    ),
    expired=_all(r"已(?:经)?到期", r"已(?:经)?停机", r"已(?:经)?过期"),
    expiry_soon=_all(
        r"将(?:于|在).{0,30}?(?:到期|失效|过期)",
        r"即将(?:到期|失效|过期)",
        r"还有\s*\d+\s*天(?:到期|失效|过期)",
    ),
    senders=("10086", "10010", "10000", "10001", "1064"),
)


def notice_patterns(settings: CarrierSmsSettings) -> NoticePatterns:
    """The patterns the configuration asks for: its own added to the built-in wording (or
    alone, without ``builtin_patterns``), and its senders or the built-in numbers."""

    def of(kind: str) -> tuple[re.Pattern[str], ...]:
        builtin = getattr(DEFAULT_PATTERNS, kind) if settings.builtin_patterns else ()
        return builtin + tuple(settings.patterns.get(kind, ()))

    senders = DEFAULT_PATTERNS.senders if settings.senders is None else settings.senders
    return NoticePatterns(**{kind: of(kind) for kind in KINDS}, senders=senders)


_PERCENT = re.compile(r"(\d{1,3})\s*[%％]")


@record
class Notice:
    kind: str
    text: str
    sender: str | None
    sent: datetime  # the SMS time stamp, else when it was read
    iccid: str | None
    level: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "text": self.text,
            "sender": self.sender,
            "sent": self.sent.isoformat(),
            "iccid": self.iccid,
            "level": self.level,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Notice:
        sent = parse_stored_time(data["sent"])
        return cls(
            str(data["kind"]),
            str(data["text"]),
            data.get("sender"),
            sent,
            data.get("iccid"),
            int(data.get("level", 0)),
        )


def recognise(
    message: SmsMessage,
    *,
    iccid: str | None,
    read_at: datetime,
    patterns: NoticePatterns = DEFAULT_PATTERNS,
) -> Notice | None:
    """The notice a message is, or None (not from a carrier, or not a notice)."""
    if not patterns.trusts(message.sender):
        return None
    kind = patterns.kind_of(message.text)
    if kind is None:
        return None
    level = 0
    if kind == "data_low":
        match = _PERCENT.search(message.text)
        level = int(match.group(1)) if match and int(match.group(1)) <= 100 else 0
    sent = message.timestamp or read_at
    return Notice(kind, message.text, message.sender, sent, iccid, level)


def notice_finding(notice: Notice, iccid: str | None) -> Finding:
    code = notice.kind
    when = notice.sent.strftime("%d %b %H:%M")
    return Finding(
        code,
        f"Carrier notice for SIM {short_iccid(iccid)} ({notice.sender or '?'}, {when}): "
        f"{notice.text}",
        {
            "source": "carrier_sms",
            "text": notice.text,
            "sender": notice.sender,
            "sent": notice.sent.isoformat(),
            "iccid": iccid,
        },
        level=notice.level,
    )


class CarrierSmsWatcher:
    """Reads new messages when due and keeps the recognised notices in the state store."""

    def __init__(
        self,
        enabled: bool,
        store: StateStore | None,
        patterns: NoticePatterns = DEFAULT_PATTERNS,
        *,
        every_polls: int = EVERY_POLLS,
        validity: timedelta = NOTICE_VALIDITY,
    ) -> None:
        self.enabled = enabled
        self.store = store
        self.patterns = patterns
        self.every_polls = max(1, every_polls)
        self.validity = validity
        self._memory: dict[str, str] = {}
        self._polls_since_read: int | None = None  # None: not read in this process yet
        self._new_sms = False

    def _get(self, key: str) -> str | None:
        return self.store.get_meta(key) if self.store is not None else self._memory.get(key)

    def _set(self, key: str, value: str) -> None:
        if self.store is not None:
            self.store.set_meta(key, value, force=True)
        else:
            self._memory[key] = value

    def note_urc(self, line: str) -> None:
        """Give every URC here: ``+CMTI`` (a new message stored) makes the next poll read."""
        if line.startswith("+CMTI:"):
            self._new_sms = True

    def due(self) -> bool:
        if not self.enabled:
            return False
        return (
            self._new_sms
            or self._polls_since_read is None
            or self._polls_since_read + 1 >= self.every_polls
        )

    def skip(self) -> None:
        """A poll that did not read."""
        if self._polls_since_read is not None:
            self._polls_since_read += 1

    @property
    def notices(self) -> list[Notice]:
        raw = self._get(META_NOTICES)
        if not raw:
            return []
        try:
            return [Notice.from_dict(item) for item in json.loads(raw)]
        except (ValueError, KeyError, TypeError):
            return []

    def read(self, driver: Any, now: datetime, *, iccid: str | None = None) -> list[Notice]:
        """Read new messages through ``driver`` and keep the notices among them; the new
        notices. A modem error is logged and the storage is read again next time."""
        self._polls_since_read = 0
        self._new_sms = False
        try:
            seen = json.loads(self._get(META_SEEN) or "[]")
        except ValueError:
            seen = []
        from drivers.sms_reader import SmsInbox  # only when carrier notices are read

        inbox = SmsInbox(seen)
        try:
            messages = inbox.read_new(driver.channel)
        except ModemError as error:
            log.warning("carrier_sms_read_failed", error=str(error))
            return []
        self._set(META_SEEN, json.dumps(sorted(inbox.seen)))
        found = [
            notice
            for message in messages
            if (notice := recognise(message, iccid=iccid, read_at=now, patterns=self.patterns))
        ]
        if found:
            self._keep(found, now)
        return found

    def _keep(self, found: Sequence[Notice], now: datetime) -> None:
        kept = [n for n in self.notices if now - n.sent < self.validity]
        for notice in found:
            log.info(
                f"carrier_{notice.kind}" if notice.kind == "topup" else "carrier_notice",
                kind=notice.kind,
                text=notice.text,
                sender=notice.sender,
                sent=notice.sent.isoformat(),
                iccid=notice.iccid,
            )
            if notice.kind == "topup":
                # The top-up makes this SIM's earlier notices out of date.
                kept = [n for n in kept if n.iccid != notice.iccid or n.sent > notice.sent]
            kept.append(notice)
        kept = kept[-MAX_NOTICES:]
        self._set(META_NOTICES, json.dumps([n.to_dict() for n in kept], ensure_ascii=False))

    def findings(self, now: datetime, iccid: str | None = None) -> list[Finding]:
        """The standing notices of this SIM as findings, newest of each kind only."""
        latest: dict[str, Notice] = {}
        for notice in self.notices:
            # A time stamp ahead of now (a modem clock off, a --now in the past) still counts.
            if notice.kind == "topup" or now - notice.sent >= self.validity:
                continue
            if iccid is not None and notice.iccid is not None and notice.iccid != iccid:
                continue
            if notice.kind not in latest or notice.sent >= latest[notice.kind].sent:
                latest[notice.kind] = notice
        return [notice_finding(latest[kind], iccid) for kind in KINDS if kind in latest]
