"""One poll, the same pipeline for `posagent check` and each poll of the daemon:
read the modem → account the counters in the ledger → evaluate the plan → findings.

Also the read-only views of the store: `status` and `usage`.
"""

from __future__ import annotations

import functools
import json
import os
import time
from collections.abc import Sequence
from datetime import date, datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agent.alerts import AlertBook, AlertEvent, AlertPolicy, step
from agent.config import Settings, resolve_state_dir
from agent.evaluate import (
    PLAN_CODES,
    ModemRules,
    Streaks,
    modem_findings,
    next_streaks,
    plan_findings,
    short_iccid,
    unresponsive_finding,
)
from agent.findings import Finding
from agent.ledger import Reading, calibrate
from agent.report import status_object
from agent.sinks import Report, alert_iccid, alert_report, heartbeat_report
from agent.store import ACTIVE_ICCID, StateStore
from agent.stored_time import interval_due
from drivers.connect import ModemOptions, connect
from drivers.errors import ModemError
from drivers.logs import get_logger
from drivers.records import record
from drivers.types import CounterSource, SimState, Snapshot

if TYPE_CHECKING:
    from agent.balance import BalanceWatcher
    from agent.carrier_sms import CarrierSmsWatcher
    from agent.plan import Plan

log = get_logger("posagent.poll")

META_LAST_STATUS = "last_status"
META_STREAKS = "streaks"
META_ALERTS = "alerts"
META_LAST_HEARTBEAT = "last_heartbeat"
META_SIM_CHANGE = "sim_change"  # JSON [previous, current] of the last SIM swap
BOOT_ID_PATH = Path("/proc/sys/kernel/random/boot_id")
_64BIT_MACHINES = ("x86_64", "aarch64", "arm64", "ppc64", "ppc64le", "s390x", "riscv64")


@functools.cache
def boot_id() -> str | None:
    """This boot's id: read once, it cannot change while the process lives."""
    try:
        return BOOT_ID_PATH.read_text().strip() or None
    except OSError:
        return None


@functools.cache  # the machine does not change while the agent runs
def interface_counter_bits() -> int | None:
    """Interface counters on a 32-bit kernel may wrap at 2^32; 64-bit kernels keep 64 bits."""
    return None if os.uname().machine in _64BIT_MACHINES else 32


def plan_tz(plan: Plan | None) -> tzinfo:
    return plan.tzinfo if plan is not None else timezone.utc


def modem_options(settings: Settings, port: str | None = None) -> ModemOptions:
    m = settings.modem
    return ModemOptions(
        port=port or m.port,
        baudrate=m.baudrate,
        driver=m.driver,
        timeout=m.timeout,
        interface=m.interface,
    )


def reading_of(
    snapshot: Snapshot,
    wall_time: datetime,
    *,
    reset_hint: bool = False,
    monotonic: float | None = None,
) -> Reading | None:
    counters = snapshot.counters
    iccid = snapshot.sim.iccid
    if iccid is None or counters.source is CounterSource.NONE:
        return None
    if counters.rx_bytes is None or counters.tx_bytes is None:
        return None
    bits = interface_counter_bits() if counters.source is CounterSource.INTERFACE else None
    if bits is not None and max(counters.rx_bytes, counters.tx_bytes) >= 2**bits:
        bits = None
    return Reading(
        iccid=iccid,
        source=counters.source.value,  # type: ignore[arg-type]
        rx_bytes=counters.rx_bytes,
        tx_bytes=counters.tx_bytes,
        wall_time=wall_time,
        monotonic=time.monotonic() if monotonic is None else monotonic,
        boot_id=boot_id(),
        counter_bits=bits,
        reset_hint=reset_hint,
    )


@record
class PlanView:
    """The `plan` part of the status object, and the findings it gives."""

    fields: dict[str, Any]
    findings: list[Finding]


def evaluate_plan(
    settings: Settings, store: StateStore | None, iccid: str | None, now: datetime
) -> PlanView:
    plan = settings.plan_for(iccid)
    if plan is None or iccid is None:
        return PlanView({}, [])
    # The plan model is imported only when a plan applies (see agent.config).
    from agent.plan import forecast_exhausted, quota_state

    daily = store.daily_usage(iccid) if store is not None else {}
    state = quota_state(plan, daily, now)
    ledger = store.load_ledger(iccid) if store is not None else None
    forecast = forecast_exhausted(state, daily, now, ledger.first_seen if ledger else None)
    fields = {
        "name": plan.name,
        "quota_bytes": state.quota_bytes,
        "used_bytes": state.used_bytes,
        "remaining_bytes": state.remaining_bytes,
        "cycle_start": state.cycle.start.isoformat(),
        "cycle_end": state.cycle.end.isoformat(),
        "expires": state.expires.isoformat() if state.expires else None,
        "days_to_expiry": state.days_to_expiry,
        "forecast_exhausted": forecast.isoformat() if forecast else None,
    }
    findings = plan_findings(
        iccid=iccid,
        plan_name=plan.name,
        quota_bytes=state.quota_bytes,
        used_bytes=state.used_bytes,
        remaining_bytes=state.remaining_bytes,
        exhausted=state.exhausted,
        warn_at=plan.warn_at,
        days_to_expiry=state.days_to_expiry,
        expires=state.expires,
        warn_days=plan.warn_days,
        forecast=forecast,
    )
    return PlanView(fields, findings)


def rules_of(settings: Settings) -> ModemRules:
    return ModemRules(
        weak_dbm=settings.signal.weak_dbm,
        not_registered_polls=settings.alerts.not_registered_polls,
        signal_weak_polls=settings.alerts.signal_weak_polls,
        iccid_allowed=settings.iccid_allowed,
    )


def open_store(settings: Settings) -> StateStore | None:
    state_dir, note = resolve_state_dir(settings)
    if note:
        # Without a configuration file the command's own notice names the directory.
        say = log.info if settings.source is not None else log.debug
        say("state_dir_fallback", note=note, state_dir=str(state_dir))
    try:
        return StateStore.open(state_dir, checkpoint=settings.checkpoint)
    except Exception as error:  # the poll still reports the modem without a ledger
        log.error("store_unavailable", state_dir=str(state_dir), error=str(error))
        return None


def _load_streaks(store: StateStore | None) -> Streaks:
    raw = store.get_meta(META_STREAKS) if store is not None else None
    if not raw:
        return Streaks()
    try:
        data = json.loads(raw)
        return Streaks(int(data["not_registered"]), int(data["signal_weak"]))
    except (ValueError, KeyError, TypeError):
        return Streaks()


@record(frozen=False)
class PollResult:
    status: dict[str, Any]
    events: list[AlertEvent]


class Pipeline:
    """Everything after the modem read: ledger → plan → findings → alerts → sinks.

    One per process: `check` makes one for its single poll, the daemon keeps one across
    polls so the store's checkpointing and the sinks' queues work as meant.
    """

    def __init__(
        self,
        settings: Settings,
        store: StateStore | None,
        sinks: Sequence[Any] = (),
    ) -> None:
        self.settings = settings
        self.store = store
        self.sinks = list(sinks)
        self.rules = rules_of(settings)
        self.policy = AlertPolicy(remind=settings.alerts.remind)
        raw = store.get_meta(META_ALERTS) if store is not None else None
        self.book = AlertBook.from_json(raw) if raw else AlertBook()
        self.streaks = _load_streaks(store)
        # Imported only when configured: most terminals use neither.
        self.balance: BalanceWatcher | None = None
        self.carrier: CarrierSmsWatcher | None = None
        if settings.balance is not None:
            from agent.balance import BalanceWatcher

            self.balance = BalanceWatcher(settings.balance, store)
        if settings.carrier_sms is not None:
            from agent.carrier_sms import CarrierSmsWatcher, notice_patterns

            self.carrier = CarrierSmsWatcher(True, store, notice_patterns(settings.carrier_sms))
        for sink in self.sinks:
            bind = getattr(sink, "bind_store", None)
            if bind is not None:
                bind(store)

    def after_snapshot(
        self,
        snapshot: Snapshot,
        *,
        wall_time: datetime,
        eval_time: datetime,
        reset_hint: bool = False,
        monotonic: float | None = None,
        driver: Any = None,
    ) -> PollResult:
        """``driver``: the modem the snapshot came from, still open, for what needs the
        modem itself (balance by USSD, carrier SMS notices, the SMS sink); None skips those
        queries and the SMS sink then cannot send."""
        self._attach(driver)
        try:
            return self._after_snapshot(
                snapshot,
                wall_time=wall_time,
                eval_time=eval_time,
                reset_hint=reset_hint,
                monotonic=monotonic,
                driver=driver,
            )
        finally:
            self._attach(None)

    def _after_snapshot(
        self,
        snapshot: Snapshot,
        *,
        wall_time: datetime,
        eval_time: datetime,
        reset_hint: bool,
        monotonic: float | None,
        driver: Any,
    ) -> PollResult:
        findings: list[Finding] = []
        iccid = snapshot.sim.iccid
        store = self.store
        if store is not None:
            previous = store.get_meta(ACTIVE_ICCID)
            reading = reading_of(snapshot, wall_time, reset_hint=reset_hint, monotonic=monotonic)
            if reading is not None:
                accounted = store.account(reading, plan_tz(self.settings.plan_for(iccid)))
                if accounted.sim_changed:
                    self._note_sim_change(previous, iccid, eval_time)
        findings += self._sim_changed(iccid, eval_time)
        self.streaks = next_streaks(self.streaks, snapshot, self.rules)
        findings = modem_findings(snapshot, self.rules, self.streaks) + findings
        plan = evaluate_plan(self.settings, store, iccid, eval_time)
        findings += plan.findings
        findings += self._network_notices(snapshot, driver, wall_time, eval_time)
        obj = status_object(
            now=eval_time,
            snapshot=snapshot,
            port=snapshot.port,
            findings=findings,
            plan=plan.fields,
        )
        return self._conclude(obj, findings, eval_time)

    def after_failure(self, port: str, reason: str, eval_time: datetime) -> PollResult:
        """The modem did not answer: what is known from the store still counts."""
        iccid = self.store.get_meta(ACTIVE_ICCID) if self.store is not None else None
        plan = evaluate_plan(self.settings, self.store, iccid, eval_time)
        findings = [unresponsive_finding(reason), *plan.findings]
        findings += self._notice_findings(eval_time, iccid)
        obj = status_object(
            now=eval_time,
            snapshot=None,
            port=port,
            findings=findings,
            plan=plan.fields,
            error=reason,
        )
        obj["sim"]["iccid"] = iccid
        return self._conclude(obj, findings, eval_time)

    # -- what needs the modem beyond the snapshot: balance, carrier notices, SMS sink ------

    def _attach(self, driver: Any) -> None:
        for sink in self.sinks:
            attach = getattr(sink, "attach", None)
            if attach is not None:
                attach(driver)

    def _network_notices(
        self, snapshot: Snapshot, driver: Any, wall_time: datetime, eval_time: datetime
    ) -> list[Finding]:
        """Balance and carrier-notice findings; the modem is asked (when due) only with a
        driver and a ready SIM. The request times are real (wall) times: USSD is real
        traffic whatever ``--now`` says."""
        iccid = snapshot.sim.iccid
        usable = driver is not None and snapshot.sim.state is SimState.READY
        balance, carrier = self.balance, self.carrier
        if balance is not None and usable and balance.due(wall_time):
            balance.query(driver, wall_time, iccid=iccid)
        if carrier is not None:
            if usable and carrier.due():
                carrier.read(driver, wall_time, iccid=iccid)
            else:
                carrier.skip()
        return self._notice_findings(eval_time, iccid)

    def _notice_findings(self, eval_time: datetime, iccid: str | None) -> list[Finding]:
        findings: list[Finding] = []
        if self.balance is not None:
            findings += self.balance.findings(eval_time, iccid)
        if self.carrier is not None:
            findings += self.carrier.findings(eval_time, iccid)
        return findings

    def _note_sim_change(self, previous: str | None, iccid: str | None, now: datetime) -> None:
        """Remember a swap; a swap back to the SIM it replaced ends it instead."""
        assert self.store is not None
        standing = self._sim_change()
        if standing is not None and standing[0] == iccid:
            self.store.set_meta(META_SIM_CHANGE, "", force=True)
            return
        record = [previous, iccid, now.isoformat()]
        self.store.set_meta(META_SIM_CHANGE, json.dumps(record), force=True)

    def _sim_change(self) -> tuple[str, str, datetime] | None:
        raw = self.store.get_meta(META_SIM_CHANGE) if self.store is not None else None
        if not raw:
            return None
        try:
            previous, current, when = json.loads(raw)
            return str(previous), str(current), datetime.fromisoformat(when)
        except (ValueError, TypeError):
            return None

    def _sim_changed(self, iccid: str | None, now: datetime) -> list[Finding]:
        """sim_changed stands while the new SIM stays in, for one `alerts.remind` period
        (then the new SIM is taken as this terminal's SIM); a swap back clears it."""
        change = self._sim_change()
        if change is None or iccid is None:
            return []
        previous, current, when = change
        if current != iccid or now - when >= timedelta(seconds=self.settings.alerts.remind):
            return []
        return [
            Finding(
                "sim_changed",
                f"The SIM in this terminal changed from {short_iccid(previous)} "
                f"to {short_iccid(current)}.",
                {"previous": previous, "iccid": current},
            )
        ]

    def _conclude(
        self, obj: dict[str, Any], findings: list[Finding], eval_time: datetime
    ) -> PollResult:
        self.book, events = step(self.book, findings, eval_time, self.policy)
        for event in events:
            log_event(event, obj)
        store = self.store
        if store is not None:
            # Facts that change at every poll are written lazily (with the next commit due
            # anyway, at most hourly, at shutdown): an idle terminal then writes nothing.
            store.set_meta(META_STREAKS, json.dumps(self.streaks.__dict__), lazy=True)
            store.set_meta(META_LAST_STATUS, json.dumps(obj, ensure_ascii=False), lazy=True)
            # An alert is committed at once: a crash must not repeat or forget it.
            store.set_meta(META_ALERTS, self.book.to_json(), force=bool(events), lazy=not events)
        if self.sinks:
            reports = self._reports(obj, events, eval_time)
            for sink in self.sinks:
                publish(sink, obj, reports)
        return PollResult(obj, events)

    def _reports(
        self, obj: dict[str, Any], events: list[AlertEvent], now: datetime
    ) -> list[Report]:
        """The alert events of this poll, and a heartbeat when one is due."""
        imei, iccid = obj["modem"]["imei"], obj["sim"]["iccid"]
        reports = [alert_report(event, imei=imei, iccid=iccid) for event in events]
        last = self.store.get_meta(META_LAST_HEARTBEAT) if self.store is not None else None
        if interval_due(last, now, self.settings.report.heartbeat):
            reports.append(heartbeat_report(obj, now))
            if self.store is not None:
                self.store.set_meta(META_LAST_HEARTBEAT, now.isoformat(), force=True)
        return reports

    def pump(self) -> None:
        """Between polls: let queueing sinks retry what is due."""
        for sink in self.sinks:
            try:
                sink.pump()
            except Exception as error:
                log.error("sink_failed", sink=getattr(sink, "name", "?"), error=str(error))

    def close(self) -> None:
        for sink in self.sinks:
            try:
                sink.close()
            except Exception as error:  # a sink's failure must not lose the store's flush
                log.error("sink_close_failed", sink=getattr(sink, "name", "?"), error=str(error))
        if self.store is not None:
            self.store.close()


def log_event(event: AlertEvent, status: dict[str, Any]) -> None:
    """The log sink, always on: one structlog event per raise/escalate/remind/resolve."""
    method = log.warning if event.kind != "resolve" else log.info
    method(
        f"alert_{event.kind}",
        code=event.code,
        severity=event.severity.value,
        message=event.message,
        since=event.since.isoformat(),
        alert_id=event.id,
        iccid=alert_iccid(event, status["sim"]["iccid"]),
        imei=status["modem"]["imei"],
        # iccid and imei are given above; facts that repeat them must not collide.
        **{k: v for k, v in event.facts.items() if k not in ("code", "message", "iccid", "imei")},
    )


def publish(sink: Any, status: dict[str, Any], reports: list[Report]) -> None:
    """Hand one poll's result to a sink; a failing sink is logged, never fatal."""
    try:
        sink.publish_status(status)
        for report in reports:
            sink.deliver(report)
        sink.pump()
    except Exception as error:
        log.error("sink_failed", sink=getattr(sink, "name", "?"), error=str(error))


def check_once(
    settings: Settings,
    *,
    port: str | None = None,
    now: datetime | None = None,
    report: bool = True,
) -> tuple[dict[str, Any], str | None]:
    """One poll as `posagent check` runs it. Returns (status object, reason if unreachable).

    With ``report`` false (`--no-report`) nothing goes to the sinks; the log still has it.
    """
    options = modem_options(settings, port)
    wall_time = datetime.now().astimezone()
    eval_time = now or wall_time
    sinks = build_sinks(settings) if report else []
    pipeline = Pipeline(settings, open_store(settings), sinks)
    try:
        try:
            driver = connect(options)
        except ModemError as error:
            reason = f"cannot reach the modem at {options.port}: {error}"
            return pipeline.after_failure(options.port, reason, eval_time).status, reason
        try:
            try:
                snapshot = driver.snapshot()
            except ModemError as error:
                reason = f"the modem at {driver.port} stopped answering: {error}"
                return pipeline.after_failure(driver.port, reason, eval_time).status, reason
            # The driver stays open for the balance query, carrier notices and SMS alerts.
            result = pipeline.after_snapshot(
                snapshot, wall_time=wall_time, eval_time=eval_time, driver=driver
            )
            return result.status, None
        finally:
            driver.channel.close()
    finally:
        pipeline.close()


def build_sinks(settings: Settings) -> list[Any]:
    """The sinks the configuration asks for (the log is always on, in the pipeline).

    A sink that cannot be built (MQTT configured without paho-mqtt, an unreadable token)
    is logged and left out: the others and the log still work.
    """
    from agent.sinks import sinks_from_settings

    state_dir, _ = resolve_state_dir(settings)
    try:
        sinks: list[Any] = list(sinks_from_settings(settings.report, state_dir))
    except Exception as error:
        log.error("sinks_unavailable", error=str(error))
        sinks = []
    if settings.report.sms is not None:
        from agent.sinks.sms import SmsSink

        # Its daily count lives in the pipeline's store (Pipeline binds it); it sends
        # through the driver after_snapshot is given.
        sinks.append(SmsSink(settings.report.sms))
    return sinks


def last_status(settings: Settings, *, now: datetime | None = None) -> dict[str, Any] | None:
    """The status object of the last poll, from the store; the modem is not touched.

    With ``--now`` the plan part is evaluated again for that time.
    """
    store = open_store(settings)
    if store is None:
        return None
    try:
        raw = store.get_meta(META_LAST_STATUS)
        if raw is None:
            return None
        obj: dict[str, Any] = json.loads(raw)
        if now is not None:
            iccid = obj["sim"]["iccid"]
            plan = evaluate_plan(settings, store, iccid, now)
            from agent.findings import overall_status

            kept = [f for f in obj["findings"] if f["code"] not in PLAN_CODES]
            obj["plan"] = {**obj["plan"], **plan.fields}
            obj["findings"] = kept + [f.to_json() for f in plan.findings]
            kept_findings = [Finding(f["code"], f["message"]) for f in kept] + plan.findings
            obj["status"] = overall_status(kept_findings).value
            obj["time"] = now.isoformat(timespec="seconds")
        return obj
    finally:
        store.close()


# -- usage -------------------------------------------------------------------------------


def _month_of(day: date) -> tuple[date, date]:
    start = day.replace(day=1)
    nxt = date(start.year + (start.month == 12), start.month % 12 + 1, 1)
    return start, date.fromordinal(nxt.toordinal() - 1)


def usage_report(
    settings: Settings, *, iccid: str | None = None, now: datetime | None = None
) -> dict[str, Any]:
    """`usage --json`: per SIM, per billing cycle (calendar months for a SIM with no plan)."""
    now = now or datetime.now().astimezone()
    store = open_store(settings)
    if store is None:
        return {"sims": []}
    try:
        sims = []
        for sim_iccid in store.iccids():
            if iccid is not None and sim_iccid != iccid:
                continue
            ledger = store.load_ledger(sim_iccid)
            plan = settings.plan_for(sim_iccid)
            cycles: dict[date, dict[str, Any]] = {}
            days = dict(ledger.daily) if ledger else {}
            if plan is not None:
                from agent.plan import cycle_for_day, local_date, quota_state

                today = local_date(now, plan.tzinfo)
                current = cycle_for_day(plan, today)
                state = quota_state(plan, store.daily_usage(sim_iccid), now)
                cycles[current.start] = _cycle_row(current.start, current.end, state.quota_bytes)
            for day, usage in days.items():
                if plan is not None:
                    cycle = cycle_for_day(plan, day)
                    start, end = cycle.start, cycle.end
                    quota = _cycle_quota(plan, start, end)
                else:
                    start, end = _month_of(day)
                    quota = None
                row = cycles.setdefault(start, _cycle_row(start, end, quota))
                row["rx_bytes"] += usage.rx
                row["tx_bytes"] += usage.tx
                row["used_bytes"] += usage.total
            sims.append(
                {
                    "iccid": sim_iccid,
                    "plan": plan.name if plan else None,
                    "cycles": [cycles[k] for k in sorted(cycles, reverse=True)],
                }
            )
        return {"sims": sims}
    finally:
        store.close()


def _cycle_row(start: date, end: date, quota: int | None) -> dict[str, Any]:
    return {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "used_bytes": 0,
        "quota_bytes": quota,
        "rx_bytes": 0,
        "tx_bytes": 0,
    }


def _cycle_quota(plan: Plan, start: date, end: date) -> int:
    """The plan's quota plus the add-ons whose window overlaps the cycle."""
    return plan.quota_bytes + sum(
        a.quota_bytes for a in plan.addons if a.start <= end and a.until >= start
    )


def set_used(settings: Settings, target: int, *, iccid: str | None, now: datetime) -> str:
    """`usage --set-used`: make this cycle's count what the carrier says; counting goes on."""
    store = open_store(settings)
    if store is None:
        raise LookupError("the state store cannot be opened")
    try:
        chosen = iccid or store.get_meta(ACTIVE_ICCID)
        if chosen is None:
            raise LookupError("no SIM seen yet: run `posagent check` first, or give --iccid")
        ledger = store.load_ledger(chosen)
        if ledger is None:
            raise LookupError(f"no usage recorded for SIM {chosen}")
        plan = settings.plan_for(chosen)
        tz = plan_tz(plan)
        today = now.astimezone(tz).date()
        if plan is not None:
            from agent.plan import quota_state

            used_now = quota_state(plan, store.daily_usage(chosen), now).used_bytes
        else:
            first, last = _month_of(today)
            used_now = sum(u.total for d, u in ledger.daily.items() if first <= d <= last)
        store.record(calibrate(ledger, used_now, target, today), force=True)
        return f"SIM {chosen}: this cycle's usage set to {target} bytes (was {used_now})"
    finally:
        store.close()
