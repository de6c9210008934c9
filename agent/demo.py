"""`posagent demo`: the simulated modem and the daemon in one process, on a fast clock.

Seven weeks of a POS terminal in well under a minute: a 30 MB/month IoT card is used up
(warnings at 80 % and 95 %, then exhausted), the new cycle on the 1st resolves it, the
heavier December use runs it out again until a 100 MB top-up, and the package's expiry
is announced 7 days ahead and then reached. Nothing is configured and nothing is written
outside a temporary directory.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import TextIO
from zoneinfo import ZoneInfo

import serial

from agent.alerts import AlertEvent
from agent.config import AlertSettings, ModemSettings, Settings
from agent.daemon import Daemon
from agent.evaluate import short_iccid
from agent.plan import Addon, Plan
from agent.poll import Pipeline, PollResult
from agent.report import format_bytes
from agent.store import StateStore
from drivers.at.channel import AtChannel
from drivers.connect import ModemOptions
from drivers.simulator import register
from drivers.simulator.modem import SimulatedModem
from drivers.vendors.quectel import QuectelModem

TZ = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 11, 1, 8, 0, tzinfo=TZ)
END = datetime(2026, 12, 22, 8, 0, tzinfo=TZ)
POLL = 3600.0  # one poll an hour of simulated time
MB_PER_DAY = 1_000_000 / 86400  # bytes per second for 1 MB a day

DEMO_PLAN = Plan(
    name="iot-30m",
    quota_bytes=30_000_000,
    period="monthly",
    reset_day=1,
    timezone="Asia/Shanghai",
    expires=date(2026, 12, 20),
    warn_at=(80, 95),
    warn_days=(7,),
    addons=(Addon(quota_bytes=100_000_000, start=date(2026, 12, 12), until=date(2027, 1, 11)),),
)

# (when, simulator state change, what the timeline says)
SCRIPT: tuple[tuple[datetime, dict[str, object], str], ...] = (
    (START, {"traffic_bps": 1.6 * MB_PER_DAY}, "card payments use about 1.6 MB a day"),
    (
        datetime(2026, 12, 1, 12, 0, tzinfo=TZ),
        {"traffic_bps": 4.0 * MB_PER_DAY},
        "the shop gets busier for the holidays: about 4 MB a day",
    ),
    (
        datetime(2026, 12, 12, 0, 0, tzinfo=TZ),
        {},
        "the merchant buys a 100 MB top-up, valid until 11 Jan",
    ),
)


class FastClock:
    """Simulated time that runs `speed` times faster than the wall clock.

    ``pending`` says whether the modem has output queued; only then does a wait listen on
    the port, so its URCs reach the daemon and no idle read is made.
    """

    max_slice = float("inf")  # the demo has no signals to wait for between polls

    def __init__(
        self,
        start: datetime,
        speed: float,
        sleep: Callable[[float], None],
        pending: Callable[[], bool] = lambda: True,
    ) -> None:
        self.pending = pending
        self._now = start
        self._mono = 0.0
        self.speed = speed
        self._sleep = sleep

    def now(self) -> datetime:
        return self._now

    def monotonic(self) -> float:
        return self._mono

    def advance(self, seconds: float) -> None:
        self._now += timedelta(seconds=seconds)
        self._mono += seconds

    def wait(self, seconds: float, listen: Callable[[float], None] | None) -> None:
        if seconds <= 0:
            return
        if listen is not None and self.pending():
            listen(0.0)  # hand over whatever URCs the modem has queued
        self._sleep(seconds / self.speed)
        self.advance(seconds)


def demo_settings(state_dir: Path) -> Settings:
    return Settings(
        modem=ModemSettings(port="sim://quectel", driver="quectel", timeout=2.0, interface=None),
        poll_interval=POLL,
        checkpoint=300.0,
        state_dir=state_dir,
        default_plan="iot-30m",
        plans=MappingProxyType({"iot-30m": DEMO_PLAN}),
        alerts=AlertSettings(remind=7 * 86400.0),
        source="<demo>",
    )


class Timeline:
    def __init__(self, out: TextIO) -> None:
        self.out = out

    def line(self, when: datetime, text: str) -> None:
        self.out.write(f"{when:%a %d %b %H:%M}  {text}\n")
        self.out.flush()

    def event(self, when: datetime, event: AlertEvent) -> None:
        tag = {
            "raise": "RAISED",
            "escalate": "ESCALATED",
            "remind": "REMINDER",
            "resolve": "RESOLVED",
        }
        if event.kind == "resolve":
            since = event.since.astimezone(when.tzinfo)
            self.line(when, f"{tag[event.kind]:9} {event.code} (alert raised {since:%d %b %H:%M})")
            return
        self.line(
            when, f"{tag[event.kind]:9} {event.code} ({event.severity.value}): {event.message}"
        )


def run_demo(
    *,
    speed: float = 86400.0,
    out: TextIO | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Run the demo; `speed` is simulated seconds per real second (a day a second)."""
    out = out or sys.stdout
    timeline = Timeline(out)
    register()
    clock = FastClock(START, speed, sleep)
    modem = SimulatedModem("quectel", clock=clock.monotonic)
    clock.pending = modem.output_pending
    with tempfile.TemporaryDirectory(prefix="posagent-demo-") as tmp:
        settings = demo_settings(Path(tmp))
        store = StateStore.open(Path(tmp), clock=lambda: clock.monotonic(), checkpoint=300.0)
        pipeline = Pipeline(settings, store)

        def connector(options: ModemOptions, on_urc: Callable[[str], None]) -> QuectelModem:
            port = serial.serial_for_url("sim://quectel", timeout=0.01, modem=modem)
            channel = AtChannel(port, timeout=options.timeout, on_urc=on_urc, name=options.port)
            channel.initialize()
            return QuectelModem(channel, port=options.port)

        daemon = Daemon(settings, clock=clock, connector=connector, pipeline=pipeline)
        timeline.line(
            clock.now(),
            f"SIM {short_iccid(modem.state.iccid)} on plan {DEMO_PLAN.name}: 30 MB a month, "
            "renews on the 1st, package valid until 20 Dec; a poll every hour",
        )
        script = list(SCRIPT)
        counts = {"raise": 0, "escalate": 0, "remind": 0, "resolve": 0}
        last_report_day: date | None = None
        try:
            rate = 0.0  # the traffic the shop would make; none flows while the data is cut
            cut_off = False
            cutting: set[str] = set()  # standing alerts for which the carrier stops the data
            while clock.now() < END:
                while script and script[0][0] <= clock.now():
                    _, changes, text = script.pop(0)
                    rate = float(changes.get("traffic_bps", rate))  # type: ignore[arg-type]
                    if not cut_off:
                        modem.apply({"traffic_bps": rate})
                    timeline.line(clock.now(), f"— {text}")
                result = daemon.run_once()
                if result is not None:
                    last_report_day = _report(
                        timeline, clock.now(), result, counts, last_report_day
                    )
                    # Like the carrier: no more data once the quota is gone, until it renews
                    # or is topped up.
                    _note_cut_offs(result, cutting)
                    if bool(cutting) != cut_off:
                        cut_off = bool(cutting)
                        modem.apply({"traffic_bps": 0.0 if cut_off else rate})
                        timeline.line(
                            clock.now(),
                            "— the carrier stops the SIM's data: card payments fail"
                            if cut_off
                            else "— data flows again",
                        )
                daemon.wait_for_next()
        finally:
            daemon.shutdown()
    timeline.line(
        clock.now(),
        f"done: {daemon.polls} polls, {counts['raise'] + counts['escalate']} alerts raised or "
        f"escalated, {counts['resolve']} resolved, {counts['remind']} reminders",
    )
    return 0


CUT_OFF_CODES = frozenset({"data_exhausted", "expired"})


def _note_cut_offs(result: PollResult, cutting: set[str]) -> None:
    """Keep `cutting` to the standing alerts (by key) that leave the SIM without data."""
    for event in result.events:
        if event.kind == "resolve" or event.code not in CUT_OFF_CODES:
            cutting.discard(event.key)
        else:
            cutting.add(event.key)


def _report(
    timeline: Timeline,
    now: datetime,
    result: PollResult,
    counts: dict[str, int],
    last_day: date | None,
) -> date | None:
    for event in result.events:
        counts[event.kind] += 1
        if event.kind != "remind":
            timeline.event(now, event)
    plan = result.status["plan"]
    today = now.date()
    # A usage line once a week, so the numbers behind the alerts are visible.
    if last_day is None or (today - last_day).days >= 7:
        timeline.line(
            now,
            f"  used {format_bytes(plan['used_bytes'])} of {format_bytes(plan['quota_bytes'])} "
            f"this cycle ({plan['cycle_start']} – {plan['cycle_end']}), "
            f"{format_bytes(plan['remaining_bytes'])} left",
        )
        return today
    return last_day
