"""The prepaid balance, asked of the network by USSD at its own interval (SPEC.md ``balance:``).

A USSD request is a message to the network, and some carriers answer it with an SMS or
count it: it is sent at most once per ``interval`` (the time of the last attempt is kept in
the state store, so a restart does not ask again), and every request is logged. The last
balance is kept with its SIM and time; ``balance_low`` stands while it is below ``minimum``.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from agent.config.settings import BalanceSettings
from agent.evaluate import short_iccid
from agent.findings import Finding
from agent.stored_time import interval_due, parse_stored_time
from drivers.errors import ModemError
from drivers.logs import get_logger
from drivers.records import record

if TYPE_CHECKING:
    from agent.store import StateStore

log = get_logger("posagent.balance")

META_BALANCE = "balance"  # JSON: the last balance read (see Balance)
META_BALANCE_ASKED = "balance_asked"  # ISO time of the last USSD request, answered or not


@record
class Balance:
    iccid: str | None
    amount: float
    text: str
    at: datetime

    def to_json(self) -> str:
        return json.dumps(
            {
                "iccid": self.iccid,
                "amount": self.amount,
                "text": self.text,
                "at": self.at.isoformat(),
            },
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, raw: str) -> Balance | None:
        try:
            data = json.loads(raw)
            return cls(
                data["iccid"],
                float(data["amount"]),
                str(data["text"]),
                parse_stored_time(data["at"]),
            )
        except (ValueError, KeyError, TypeError):
            return None


class BalanceWatcher:
    """Asks for the balance when due and turns the last answer into findings.

    ``store`` may be None (no state store): the watcher then remembers for this process only.
    """

    def __init__(
        self,
        settings: BalanceSettings | None,
        store: StateStore | None,
        *,
        timeout: float | None = None,
    ) -> None:
        """``timeout``: for the USSD reply; None: drivers.ussd.DEFAULT_TIMEOUT."""
        self.settings = settings
        self.store = store
        self.timeout = timeout
        self._memory: dict[str, str] = {}

    def _get(self, key: str) -> str | None:
        return self.store.get_meta(key) if self.store is not None else self._memory.get(key)

    def _set(self, key: str, value: str) -> None:
        if self.store is not None:
            self.store.set_meta(key, value, force=True)
        else:
            self._memory[key] = value

    @property
    def last(self) -> Balance | None:
        raw = self._get(META_BALANCE)
        return Balance.from_json(raw) if raw else None

    def due(self, now: datetime) -> bool:
        """True when enabled and ``interval`` has passed since the last request. A last
        request in the future (the clock was set back) counts as long ago."""
        if self.settings is None:
            return False
        return interval_due(self._get(META_BALANCE_ASKED), now, self.settings.interval)

    def query(self, driver: Any, now: datetime, *, iccid: str | None = None) -> Balance | None:
        """Send the USSD request through ``driver`` (a Generic3gppModem) and keep the
        amount. The attempt is recorded first: a failure or a crash waits a whole interval
        like a success does. None when no amount came back (logged)."""
        settings = self.settings
        if settings is None:
            return None
        # USSD is imported only when a balance is configured and due.
        from drivers.parsers.ussd import extract_amount
        from drivers.ussd import DEFAULT_TIMEOUT, query_balance

        self._set(META_BALANCE_ASKED, now.isoformat())
        log.info("balance_query", ussd=settings.ussd, iccid=iccid)
        try:
            reply = query_balance(
                driver.channel,
                settings.ussd,
                packed=getattr(driver, "ussd_packed", False),
                timeout=DEFAULT_TIMEOUT if self.timeout is None else self.timeout,
            )
        except ModemError as error:
            log.warning("balance_query_failed", ussd=settings.ussd, error=str(error))
            return None
        if reply.text is None:
            log.warning("balance_no_text", ussd=settings.ussd, status=reply.meaning)
            return None
        amount = extract_amount(reply.text, settings.pattern)
        if amount is None:
            log.warning("balance_unparsed", ussd=settings.ussd, text=reply.text)
            return None
        balance = Balance(iccid, amount, reply.text, now)
        self._set(META_BALANCE, balance.to_json())
        log.info("balance", amount=amount, minimum=settings.minimum, iccid=iccid)
        return balance

    def findings(self, now: datetime, iccid: str | None = None) -> list[Finding]:
        """balance_low while the last balance of this SIM is below the minimum. A balance
        read from another SIM says nothing about this one."""
        settings, balance = self.settings, self.last
        if settings is None or balance is None or balance.amount >= settings.minimum:
            return []
        if iccid is not None and balance.iccid is not None and balance.iccid != iccid:
            return []
        shown = iccid or balance.iccid
        return [
            Finding(
                "balance_low",
                f"Prepaid balance of SIM {short_iccid(shown)} is {balance.amount:.2f}, "
                f"below the minimum {settings.minimum:g}.",
                {
                    "balance": balance.amount,
                    "minimum": settings.minimum,
                    "queried": balance.at.isoformat(),
                    "text": balance.text,
                    "iccid": shown,
                },
            )
        ]
