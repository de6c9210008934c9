"""`posagent run`: poll the modem, listen for its unsolicited codes, never die of it.

One thread. Between polls the daemon waits on the serial port itself, so `+CPIN: NOT
READY` (SIM pulled), a registration change or `RDY` (the modem rebooted) is acted on at
once. Every modem fault — a port that vanishes, a hang, garbage, errors — closes the
channel and reconnects with a capped backoff; it is logged once when it starts and once
when it ends, not at every poll.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import FrameType
from typing import Any, Protocol

import structlog

from agent.config import ConfigError, Settings, load_config
from agent.poll import Pipeline, PollResult, build_sinks, modem_options, open_store
from agent.sdnotify import Notifier
from drivers.connect import ModemOptions, connect
from drivers.errors import ModemError, PortError
from drivers.generic import Generic3gppModem

log = structlog.get_logger("posagent.daemon")

# Codes that mean the modem or its SIM changed under us: poll now, not at the next tick.
_URGENT_PREFIXES = (
    "RDY",
    "+CFUN:",
    "+CPIN:",
    "+QUSIM:",
    "+QSIMSTAT:",
    "^SIMST:",
    "#QSS:",
    "+CREG:",
    "+CGREG:",
    "+CEREG:",
    "+C5GREG:",
)
_REBOOT_PREFIXES = ("RDY", "+CFUN: 1", "^BOOT")
MIN_URGENT_GAP = 5.0  # seconds between URC-triggered polls: a URC storm is not a poll storm
PUMP_EVERY = 30.0  # seconds between retries of queued reports while waiting
MAX_WAIT_SLICE = 0.5  # how long one wait blocks: bounds the reaction time to signals


class Clock(Protocol):
    # The longest one wait may block: bounds the reaction time to signals.
    max_slice: float

    def now(self) -> datetime: ...
    def monotonic(self) -> float: ...
    def wait(self, seconds: float, listen: Callable[[float], None] | None) -> None: ...


class SystemClock:
    """The real clock: waiting is listening on the port (or sleeping without one)."""

    max_slice = MAX_WAIT_SLICE

    def now(self) -> datetime:
        return datetime.now().astimezone()

    def monotonic(self) -> float:
        return time.monotonic()

    def wait(self, seconds: float, listen: Callable[[float], None] | None) -> None:
        if seconds <= 0:
            return
        if listen is not None:
            listen(seconds)
        else:
            time.sleep(seconds)


Connector = Callable[[ModemOptions, Callable[[str], None]], Generic3gppModem]


def default_connector(options: ModemOptions, on_urc: Callable[[str], None]) -> Generic3gppModem:
    return connect(options, on_urc=on_urc)


@dataclass
class FaultTracker:
    """Logs a fault once when it starts or changes kind, and once when it clears."""

    current: str | None = None
    since: float | None = None
    failures: int = 0
    history: list[str] = field(default_factory=list)

    def fail(self, kind: str, detail: str, now: float) -> None:
        self.failures += 1
        if kind != self.current:
            log.warning("modem_fault", fault=kind, detail=detail, failures=self.failures)
            self.history.append(kind)
            self.current, self.since = kind, now

    def clear(self, now: float) -> None:
        if self.current is not None:
            log.info(
                "modem_recovered",
                fault=self.current,
                after_s=round(now - (self.since or now), 1),
                failures=self.failures,
            )
        self.current, self.since, self.failures = None, None, 0


class Daemon:
    def __init__(
        self,
        settings: Settings,
        *,
        config_path: str | None = None,
        port: str | None = None,
        clock: Clock | None = None,
        connector: Connector = default_connector,
        notifier: Notifier | None = None,
        pipeline: Pipeline | None = None,
    ) -> None:
        self.settings = settings
        self.config_path = config_path
        self.port_override = port
        self.clock = clock or SystemClock()
        self.connector = connector
        self.notifier = notifier or Notifier()
        self.pipeline = pipeline or Pipeline(settings, open_store(settings), build_sinks(settings))
        self.driver: Generic3gppModem | None = None
        self.faults = FaultTracker()
        self.stop_requested = False
        self.reload_requested = False
        self.polls = 0
        self.last_result: PollResult | None = None
        self._next_poll = self.clock.monotonic()
        self._next_connect = self.clock.monotonic()
        self._backoff = 0.0
        self._urgent = False
        self._last_urgent = -MIN_URGENT_GAP
        self._reset_seen = False
        self._ready_sent = False
        self._last_watchdog = -1e9
        self._last_pump = self.clock.monotonic()

    # -- the loop ---------------------------------------------------------------------------

    def run_forever(self, *, max_polls: int | None = None) -> int:
        log.info("daemon_start", poll_interval=self.settings.poll_interval, pid=os.getpid())
        try:
            while not self.stop_requested:
                if self.reload_requested:
                    self.reload()
                self.run_once()
                if max_polls is not None and self.polls >= max_polls:
                    break
                self.wait_for_next()
        finally:
            self.shutdown()
        return 0

    def run_once(self) -> PollResult | None:
        """Connect if needed and poll if due. Returns the poll's result, if one ran."""
        now = self.clock.monotonic()
        if self.driver is None and now >= self._next_connect:
            self._connect()
        urgent = self._urgent_due(now)
        if now < self._next_poll and not urgent:
            return None
        if urgent:
            self._last_urgent = now
        self._urgent = False
        self._next_poll = now + self.settings.poll_interval
        result = self._poll()
        self.polls += 1
        self.last_result = result
        self._tell_systemd(result)
        return result

    def _urgent_due(self, now: float) -> bool:
        return (
            self._urgent and self.driver is not None and now - self._last_urgent >= MIN_URGENT_GAP
        )

    def _poll(self) -> PollResult:
        wall = self.clock.now()
        if self.driver is None:
            reason = f"cannot reach the modem: {self.faults.current or 'not connected'}"
            return self.pipeline.after_failure(self._port_name(), reason, wall)
        try:
            snapshot = self.driver.snapshot()
        except ModemError as error:
            self._drop(error)
            reason = f"the modem stopped answering: {error}"
            return self.pipeline.after_failure(self._port_name(), reason, wall)
        self.faults.clear(self.clock.monotonic())
        reset, self._reset_seen = self._reset_seen, False
        return self.pipeline.after_snapshot(
            snapshot,
            wall_time=wall,
            eval_time=wall,
            reset_hint=reset,
            monotonic=self.clock.monotonic(),
        )

    def wait_for_next(self) -> None:
        """Wait until the next poll (or reconnect attempt), listening to the port."""
        while not (self.stop_requested or self.reload_requested):
            now = self.clock.monotonic()
            deadline = self._next_poll
            if self.driver is None:
                deadline = min(deadline, self._next_connect)
            if now >= deadline or self._urgent_due(now):
                return
            self._watchdog(now)
            if now - self._last_pump >= PUMP_EVERY:
                self._last_pump = now
                self.pipeline.pump()
            slice_ = min(deadline - now, self.clock.max_slice)
            self.clock.wait(slice_, self._listen if self.driver is not None else None)

    def _listen(self, seconds: float) -> None:
        if self.driver is None:
            return
        try:
            self.driver.channel.wait_urcs(seconds)
        except ModemError as error:
            self._drop(error)

    # -- modem connection ---------------------------------------------------------------------

    def _options(self) -> ModemOptions:
        return modem_options(self.settings, self.port_override)

    def _port_name(self) -> str:
        return self.driver.port if self.driver is not None else self._options().port

    def _connect(self) -> None:
        options = self._options()
        try:
            self.driver = self.connector(options, self._on_urc)
        except ModemError as error:
            self._schedule_reconnect(error)
            if isinstance(error, PortError) and _vanished(options.port):
                self._redetect(options)
            return
        self._backoff = 0.0
        self._next_poll = min(self._next_poll, self.clock.monotonic())
        log.info("modem_connected", port=self.driver.port, driver=self.driver.name)

    def _redetect(self, options: ModemOptions) -> None:
        """A USB modem that re-enumerated may be on another ttyUSB now."""
        from drivers.ports import find_at_port

        found = find_at_port(timeout=1.0)
        if found is None or found.device == options.port:
            return
        log.warning("modem_moved", old_port=options.port, new_port=found.device)
        self.port_override = found.device
        self._next_connect = self.clock.monotonic()

    def _drop(self, error: ModemError) -> None:
        self._close_driver()
        self._schedule_reconnect(error)

    def _close_driver(self) -> None:
        if self.driver is not None:
            with contextlib.suppress(Exception):  # a vanished port fails to close many ways
                self.driver.channel.close()
        self.driver = None

    def _schedule_reconnect(self, error: ModemError) -> None:
        now = self.clock.monotonic()
        self.faults.fail(type(error).__name__, str(error), now)
        cap = max(1.0, min(60.0, self.settings.poll_interval))
        self._backoff = min(cap, self._backoff * 2 if self._backoff else 1.0)
        self._next_connect = now + self._backoff

    def _on_urc(self, line: str) -> None:
        if not line.startswith(_URGENT_PREFIXES):
            return
        log.info("modem_urc", urc=line)
        if line.startswith(_REBOOT_PREFIXES):
            # The modem rebooted: its counters restarted and its firmware may differ.
            self._reset_seen = True
            if self.driver is not None:
                self.driver.forget()
        self._urgent = True

    # -- signals, reload, shutdown -----------------------------------------------------------

    def install_signal_handlers(self) -> None:
        signal.signal(signal.SIGTERM, self._on_stop)
        signal.signal(signal.SIGINT, self._on_stop)
        signal.signal(signal.SIGHUP, self._on_hup)

    def _on_stop(self, signum: int, frame: FrameType | None) -> None:
        self.stop_requested = True

    def _on_hup(self, signum: int, frame: FrameType | None) -> None:
        self.reload_requested = True

    def reload(self) -> bool:
        """SIGHUP: take the new configuration, or keep the old one if it is invalid."""
        self.reload_requested = False
        if not self.config_path:
            log.warning("config_reload_skipped", reason="no configuration file in use")
            return False
        try:
            settings = load_config(self.config_path)
        except ConfigError as error:
            log.error(
                "config_invalid",
                path=self.config_path,
                problems=[str(p) for p in error.problems],
                action="kept the running configuration",
            )
            return False
        modem_changed = modem_options(settings, self.port_override) != self._options()
        self.pipeline.close()
        self.settings = settings
        self.pipeline = Pipeline(settings, open_store(settings), build_sinks(settings))
        if modem_changed and self.driver is not None:
            self._close_driver()
            self._next_connect = self.clock.monotonic()
        log.info("config_reloaded", path=self.config_path, modem_changed=modem_changed)
        return True

    def shutdown(self) -> None:
        self.notifier.stopping()
        self._close_driver()
        self.pipeline.close()
        log.info("daemon_stop", polls=self.polls)

    # -- systemd ------------------------------------------------------------------------------

    def _tell_systemd(self, result: PollResult) -> None:
        obj: dict[str, Any] = result.status
        text = f"{obj['status']}: {len(obj['findings'])} finding(s), port {obj['modem']['port']}"
        if not self._ready_sent:
            self.notifier.ready(text)
            self._ready_sent = True
        else:
            self.notifier.status(text)
        self._watchdog(self.clock.monotonic(), force=True)

    def _watchdog(self, now: float, *, force: bool = False) -> None:
        interval = self.notifier.watchdog_interval
        if interval is None:
            return
        if force or now - self._last_watchdog >= interval:
            self.notifier.watchdog()
            self._last_watchdog = now


def _vanished(port: str) -> bool:
    return port.startswith("/dev/") and not Path(port).exists()
