"""Critical alerts by SMS, through the modem itself, for when the data path is gone.

What goes out: a critical alert when it is raised or escalates, nothing else. Heartbeats and
warnings go by data; a reminder repeats what the recipient already has; a resolve is good
news the other sinks carry once the data path is back. The text is the alert's message,
UCS2 when it needs to be and in concatenated parts when long (drivers.sms_sender).

At most ``max_per_day`` alerts a local day, counted in the state store so that a restart
does not reset the count; an alert is counted before it is sent, so a crash in between
loses that one SMS rather than sending it twice. The same report id is never sent twice.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from agent.config.settings import SmsSettings
from agent.sinks.base import Report
from agent.store import StateStore
from drivers.errors import ModemError
from drivers.logs import get_logger
from drivers.sms_sender import send_sms

log = get_logger("posagent.sinks.sms")

META_SMS_SENT = "sms_sent"  # JSON {"day": ISO date, "count": n, "ids": [report ids]}
SENT_EVENTS = ("raise", "escalate")

Sender = Callable[[Any, str, str], list[int]]


def wanted(report: Report) -> bool:
    """Only critical alerts being raised or escalated."""
    body = report.body
    return (
        report.kind == "alert"
        and body.get("event") in SENT_EVENTS
        and body.get("severity") == "critical"
    )


class SmsSink:
    name = "sms"

    def __init__(
        self,
        settings: SmsSettings,
        store: StateStore | None = None,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now().astimezone(),
        sender: Sender | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self._clock = clock
        self._send: Sender = sender or (lambda channel, to, text: send_sms(channel, to, text))
        self._driver: Any = None
        self._memory: str | None = None

    # -- wiring ---------------------------------------------------------------------------

    def bind_store(self, store: StateStore | None) -> None:
        """The pipeline's state store, for the daily count (when none was given)."""
        if self.store is None:
            self.store = store

    def attach(self, driver: Any) -> None:
        """The modem to send through (a Generic3gppModem); None detaches."""
        self._driver = driver

    def detach(self) -> None:
        self._driver = None

    # -- the daily count ------------------------------------------------------------------

    def _load(self, today: date) -> tuple[int, list[str]]:
        raw = self.store.get_meta(META_SMS_SENT) if self.store is not None else self._memory
        if not raw:
            return 0, []
        try:
            data = json.loads(raw)
            if data["day"] != today.isoformat():
                return 0, []
            return int(data["count"]), [str(i) for i in data["ids"]]
        except (ValueError, KeyError, TypeError):
            return 0, []

    def _save(self, today: date, count: int, ids: list[str]) -> None:
        raw = json.dumps({"day": today.isoformat(), "count": count, "ids": ids})
        if self.store is not None:
            self.store.set_meta(META_SMS_SENT, raw, force=True)
        else:
            self._memory = raw

    def sent_today(self) -> int:
        return self._load(self._clock().date())[0]

    # -- Sink -----------------------------------------------------------------------------

    def publish_status(self, status: dict[str, Any]) -> None:
        """The status goes by data only."""

    def deliver(self, report: Report) -> None:
        if not wanted(report):
            return
        message = str(report.body.get("message") or "")
        facts = {"report_id": report.id, "code": report.body.get("code"), "to": self.settings.to}
        today = self._clock().date()
        count, ids = self._load(today)
        if report.id in ids:
            return
        if count >= self.settings.max_per_day:
            log.warning("sms_rate_limited", max_per_day=self.settings.max_per_day, **facts)
            return
        if self._driver is None:
            log.warning("sms_not_sent", reason="no modem", **facts)
            return
        self._save(today, count + 1, [*ids, report.id])
        try:
            references = self._send(self._driver.channel, self.settings.to, message)
        except ModemError as error:
            log.error("sms_failed", error=str(error), **facts)
            return
        log.info("sms_alert_sent", parts=len(references), sent_today=count + 1, **facts)

    def pump(self) -> None:
        """Nothing queues: an SMS that could not go now would be stale news later."""

    def close(self) -> None:
        self.detach()
