"""The alert lifecycle: findings over time → raise / escalate / remind / resolve events.

Pure: ``step(book, findings, now, policy)`` returns the next book and the events to deliver;
the caller keeps the book in the state store (``AlertBook.to_json``) so that a restart neither
repeats nor forgets an alert.

Alert keys. A finding's code is its alert key, except for the two escalation families:
``data`` (``data_low`` at each ``warn_at`` level, then ``data_exhausted``) and ``expiry``
(``expiry_soon`` at each ``warn_days`` level, fewer days being higher, then ``expired``).
Within a family the later code outranks the earlier one, and within a code the higher level
outranks the lower.

The rules, per key and poll:

- raise: the key appears while no alert stands for it.
- escalate: the key is seen at a higher rank than the standing alert; it goes out at once
  (worse news is never held back) and keeps the alert's ``since``, so the alert tells how long
  the problem has been going on.
- remind: the alert is seen at its rank, nothing else happened to it in this poll, and at
  least ``policy.remind`` seconds have passed since its last event.
- resolve: the standing alert has not been seen at its rank for ``policy.clear_polls``
  consecutive polls and for at least ``policy.clear_after`` seconds. This hysteresis keeps a
  value hovering at a threshold (a signal around the limit, a registration that comes and
  goes) from raising and resolving on every other poll. While an alert waits to clear it
  sends no reminders: its condition is not being seen.
- de-escalation: when the family is still seen but at a lower rank (a top-up brings usage from
  exhausted back to 90 %, a plan renewal moves the expiry date out), the standing alert is
  resolved once the same hysteresis has passed and a new alert is raised at the lower rank.
  A support desk wants to close the urgent ticket ("exhausted" is over, payments work again)
  and to see the warning that remains as what it is now, with its own start time.

Events of one step come out resolves first, then raises and escalations, then reminders, each
group sorted by key.

A step whose ``now`` equals the book's ``last_poll`` is the same poll seen again (a restart
that replays it from the stored book): it moves no alert closer to clearing, so replaying a
poll gives no events.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, Literal

from agent.findings import SEVERITY, Finding, Severity
from agent.stored_time import parse_stored_time
from drivers.records import record, replace

EventKind = Literal["raise", "escalate", "remind", "resolve"]

# Escalation families: code → (family key, rank of the code within the family).
FAMILIES: dict[str, tuple[str, int]] = {
    "data_low": ("data", 0),
    "data_exhausted": ("data", 1),
    "expiry_soon": ("expiry", 0),
    "expired": ("expiry", 1),
}

_BOOK_VERSION = 1
_EVENT_ORDER: dict[str, int] = {"resolve": 0, "raise": 1, "escalate": 1, "remind": 2}


def alert_key(code: str) -> str:
    """The alert a finding code belongs to: its family, or the code itself."""
    return FAMILIES[code][0] if code in FAMILIES else code


def alert_rank(code: str, level: int) -> tuple[int, int]:
    """Order within one key: a higher rank is an escalation."""
    return (FAMILIES[code][1] if code in FAMILIES else 0, level)


def _severity(code: str) -> Severity:
    # An unknown code must not stop the daemon from delivering the alerts it knows.
    return SEVERITY.get(code, Severity.UNKNOWN)


def _plain_facts(facts: Mapping[str, Any]) -> dict[str, Any]:
    """Facts as JSON gives them back, so a restored book yields the very same events."""
    return json.loads(json.dumps(dict(facts), default=str, sort_keys=True))


@record
class AlertPolicy:
    """How often to remind and how long a finding must be gone before its alert resolves.

    ``remind``: seconds between reminders of a standing alert; 0 or less (or infinite): never.
    ``clear_polls``: consecutive polls without the finding (at its level) before it resolves.
    ``clear_after``: and at least this many seconds since it was last seen.
    """

    remind: float = 86400.0
    clear_polls: int = 2
    clear_after: float = 0.0

    def __post_init__(self) -> None:
        if self.clear_polls < 1:
            raise ValueError(f"clear_polls must be at least 1, not {self.clear_polls}")
        if not math.isfinite(self.clear_after) or self.clear_after < 0:
            raise ValueError(f"clear_after must be a duration >= 0, not {self.clear_after}")
        if math.isnan(self.remind):
            raise ValueError("remind must be a number of seconds")


@record
class ActiveAlert:
    """One standing alert."""

    key: str
    code: str
    level: int
    severity: Severity
    message: str
    facts: dict[str, Any]
    since: datetime  # when this alert was raised; escalations keep it
    last_sent: datetime  # the last event for it (raise, escalate or remind)
    absent_polls: int = 0  # consecutive polls it was not seen at its rank
    absent_since: datetime | None = None  # the first of those polls

    @property
    def rank(self) -> tuple[int, int]:
        return alert_rank(self.code, self.level)


@record
class AlertEvent:
    kind: EventKind
    code: str
    severity: Severity
    message: str
    facts: dict[str, Any]
    key: str
    since: datetime
    at: datetime
    # Stable across restarts: a sink that sees the same id twice delivers it once.
    id: str

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "key": self.key,
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
            "facts": self.facts,
            "since": self.since.isoformat(),
            "at": self.at.isoformat(),
        }


@record
class AlertBook:
    """All standing alerts, by key, plus what makes event ids unique and polls countable.

    ``last_poll``: the ``now`` of the last step. A step at that same instant is the same poll
    again (a restart that replays it), so it does not count towards clearing an alert.
    ``seq``: events issued so far; part of each event id.
    """

    alerts: tuple[ActiveAlert, ...] = ()
    last_poll: datetime | None = None
    seq: int = 0

    def get(self, key: str) -> ActiveAlert | None:
        for alert in self.alerts:
            if alert.key == key:
                return alert
        return None

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(alert.key for alert in self.alerts)

    def to_json(self) -> str:
        return json.dumps(
            {
                "version": _BOOK_VERSION,
                "last_poll": _iso(self.last_poll),
                "seq": self.seq,
                "alerts": [_alert_to_dict(a) for a in self.alerts],
            },
            sort_keys=True,
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, text: str) -> AlertBook:
        """The book stored by ``to_json``; anything unreadable gives an empty book.

        Never raises: a corrupt record must not stop the daemon. The price is that the alerts
        it held are forgotten, so whatever still stands is raised again at the next poll.
        """
        try:
            data = json.loads(text)
            if data.get("version") != _BOOK_VERSION:
                return cls()
            seq = data["seq"]
            if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
                return cls()
            alerts = tuple(_alert_from_dict(item) for item in data["alerts"])
            if len({a.key for a in alerts}) != len(alerts):
                return cls()
            return cls(
                alerts=tuple(sorted(alerts, key=lambda a: a.key)),
                last_poll=_optional_time(data["last_poll"]),
                seq=seq,
            )
        except Exception:
            return cls()


def _iso(when: datetime | None) -> str | None:
    return None if when is None else when.isoformat()


def _optional_time(value: Any) -> datetime | None:
    return None if value is None else parse_stored_time(value)


def _alert_to_dict(alert: ActiveAlert) -> dict[str, Any]:
    return {
        "key": alert.key,
        "code": alert.code,
        "level": alert.level,
        "severity": alert.severity.value,
        "message": alert.message,
        "facts": alert.facts,
        "since": _iso(alert.since),
        "last_sent": _iso(alert.last_sent),
        "absent_polls": alert.absent_polls,
        "absent_since": _iso(alert.absent_since),
    }


def _alert_from_dict(item: Mapping[str, Any]) -> ActiveAlert:
    code, key, message = item["code"], item["key"], item["message"]
    level, absent = item["level"], item["absent_polls"]
    if not (isinstance(code, str) and isinstance(key, str) and isinstance(message, str)):
        raise ValueError("code, key and message must be strings")
    if key != alert_key(code):
        raise ValueError(f"alert {code} cannot stand under key {key}")
    for n in (level, absent):
        if not isinstance(n, int) or isinstance(n, bool):
            raise ValueError("level and absent_polls must be integers")
    if absent < 0:
        raise ValueError("absent_polls must not be negative")
    if not isinstance(item["facts"], dict):
        raise ValueError("facts must be an object")
    absent_since = _optional_time(item["absent_since"])
    if (absent > 0) != (absent_since is not None):
        raise ValueError("absent_polls and absent_since disagree")
    return ActiveAlert(
        key=key,
        code=code,
        level=level,
        severity=Severity(item["severity"]),
        message=message,
        facts=item["facts"],
        since=parse_stored_time(item["since"]),
        last_sent=parse_stored_time(item["last_sent"]),
        absent_polls=absent,
        absent_since=absent_since,
    )


def strongest(findings: Iterable[Finding]) -> dict[str, Finding]:
    """Per alert key, the highest-ranked finding (the first of equals)."""
    best: dict[str, Finding] = {}
    for finding in findings:
        key = alert_key(finding.code)
        held = best.get(key)
        if held is None or alert_rank(finding.code, finding.level) > alert_rank(
            held.code, held.level
        ):
            best[key] = finding
    return best


class _Events:
    """Collects a step's events and numbers them once they are in their final order."""

    def __init__(self) -> None:
        self._pending: list[tuple[str, ActiveAlert, EventKind, str]] = []

    def add(self, kind: EventKind, alert: ActiveAlert, message: str | None = None) -> None:
        self._pending.append(
            (alert.key, alert, kind, alert.message if message is None else message)
        )

    def issue(self, seq: int, now: datetime) -> tuple[list[AlertEvent], int]:
        events: list[AlertEvent] = []
        ordered = sorted(self._pending, key=lambda p: (_EVENT_ORDER[p[2]], p[0]))
        for key, alert, kind, message in ordered:
            seq += 1
            since_ms = round(alert.since.timestamp() * 1000)
            events.append(
                AlertEvent(
                    kind=kind,
                    code=alert.code,
                    severity=alert.severity,
                    message=message,
                    # A copy: a sink that edits an event's facts must not edit the book.
                    facts=_plain_facts(alert.facts),
                    key=key,
                    since=alert.since,
                    at=now,
                    id=f"{key}:{since_ms}:{kind}:{seq}",
                )
            )
        return events, seq


def _new_alert(key: str, finding: Finding, now: datetime) -> ActiveAlert:
    return ActiveAlert(
        key=key,
        code=finding.code,
        level=finding.level,
        severity=_severity(finding.code),
        message=finding.message,
        facts=_plain_facts(finding.facts),
        since=now,
        last_sent=now,
    )


def _cleared(alert: ActiveAlert, now: datetime, policy: AlertPolicy) -> bool:
    if alert.absent_polls < policy.clear_polls:
        return False
    first = alert.absent_since or now
    return (now - first).total_seconds() >= policy.clear_after


def step(
    state: AlertBook, findings: list[Finding], now: datetime, policy: AlertPolicy
) -> tuple[AlertBook, list[AlertEvent]]:
    """One poll's findings against the standing alerts: the next book and the events to send.

    Clock steps (NTP, an RTC that lost its time): a ``last_sent`` later than ``now`` is taken as
    ``now``, so a clock set back neither fires a burst of reminders nor silences them until it
    catches up; the next reminder comes ``remind`` after the step that saw the jump. A clock
    set forward sends at most one reminder per alert and poll.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must carry its UTC offset")
    replay = state.last_poll is not None and now == state.last_poll
    seen = strongest(findings)
    events = _Events()
    kept: dict[str, ActiveAlert] = {}

    for alert in state.alerts:
        if now < alert.last_sent:
            alert = replace(alert, last_sent=now)
        finding = seen.pop(alert.key, None)
        rank = None if finding is None else alert_rank(finding.code, finding.level)

        if finding is not None and rank is not None and rank > alert.rank:
            escalated = replace(
                _new_alert(alert.key, finding, now), since=alert.since, last_sent=now
            )
            events.add("escalate", escalated)
            kept[alert.key] = escalated
            continue

        if finding is not None and rank == alert.rank:
            alert = replace(
                alert,
                message=finding.message,
                facts=_plain_facts(finding.facts),
                absent_polls=0,
                absent_since=None,
            )
            if policy.remind > 0 and (now - alert.last_sent).total_seconds() >= policy.remind:
                alert = replace(alert, last_sent=now)
                events.add("remind", alert)
            kept[alert.key] = alert
            continue

        # Not seen at its rank: absent, or seen lower (a de-escalation).
        if not replay:
            absent_since = alert.absent_since
            if absent_since is None or now < absent_since:
                absent_since = now
            alert = replace(alert, absent_polls=alert.absent_polls + 1, absent_since=absent_since)
        if _cleared(alert, now, policy):
            events.add("resolve", alert, f"Resolved: {alert.message}")
            if finding is not None:
                lower = _new_alert(alert.key, finding, now)
                events.add("raise", lower)
                kept[alert.key] = lower
        else:
            kept[alert.key] = alert

    for key, finding in seen.items():
        alert = _new_alert(key, finding, now)
        events.add("raise", alert)
        kept[key] = alert

    issued, seq = events.issue(state.seq, now)
    book = AlertBook(
        alerts=tuple(kept[key] for key in sorted(kept)),
        last_poll=now,
        seq=seq,
    )
    return book, issued
