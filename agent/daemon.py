"""`posagent run`: poll the modem, listen for its unsolicited codes, never die of it.

One thread. Between polls the daemon waits on the serial port itself, so `+CPIN: NOT
READY` (SIM pulled), a registration change or `RDY` (the modem rebooted) is acted on at
once. Every modem fault — a port that vanishes, a hang, garbage, errors — is met in
steps: a re-sync on the open port, then closing it and re-opening with a capped backoff,
then (the port gone) looking for the modem on another port, and, if configured, a soft
reset (`AT+CFUN=1,1`) at most once an hour. A fault is logged once when it starts and
once when it ends, not at every poll.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from types import FrameType
from typing import Any, Protocol

from agent.config import ConfigError, Settings
from agent.poll import Pipeline, PollResult, build_sinks, modem_options, open_store
from agent.sdnotify import Notifier
from drivers.connect import ModemOptions, connect
from drivers.errors import AtTimeout, ModemError, PortError, PortNotFound
from drivers.generic import Generic3gppModem
from drivers.logs import get_logger
from drivers.records import record
from drivers.types import Snapshot

log = get_logger("posagent.daemon")

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
# A boot: Quectel and SIMCom send `RDY`, Quectel then `+CFUN: 1` (vendors.md §1.10,
# [V QAT 15.6 #24-25]). Huawei's `^BOOT:` is not one: ModemManager ignores it as noise
# (vendors.md, [V MM huawei regex list]), and a false reboot would count the modem's
# NVM-kept totals again.
_REBOOT_PREFIXES = ("RDY", "+CFUN: 1")
MIN_URGENT_GAP = 5.0  # seconds between URC-triggered polls: a URC storm is not a poll storm
PUMP_EVERY = 30.0  # seconds between retries of queued reports while waiting
MAX_WAIT_SLICE = 0.5  # how long one wait blocks: bounds the reaction time to signals
MAX_BACKOFF = 60.0  # longest pause between reconnect attempts (also capped at poll_interval)
REDETECT_EVERY = 60.0  # seconds between searches for a modem whose port vanished
SOFT_RESET_EVERY = 3600.0  # at most one AT+CFUN=1,1 an hour: a reboot loop helps nobody
RESET_COMMAND = "AT+CFUN=1,1"
_SEEN_ERRORS_MAX = 32  # distinct internal errors remembered for log-once


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
Finder = Callable[[], "str | None"]
Resetter = Callable[[ModemOptions], bool]


def default_connector(options: ModemOptions, on_urc: Callable[[str], None]) -> Generic3gppModem:
    return connect(options, on_urc=on_urc)


def find_modem_port() -> str | None:
    """The first port that answers AT (busy ports and known non-AT interfaces untouched)."""
    from drivers.ports import find_at_port  # enumeration only when a port has vanished

    found = find_at_port(timeout=1.0)
    return found.device if found is not None else None


def open_raw(options: ModemOptions) -> Any:
    """The port alone, no AT set-up: a modem in trouble may not answer the set-up."""
    from drivers.at.transport import open_port

    return open_port(options.port, baudrate=options.baudrate)


def soft_reset(options: ModemOptions, *, opener: Callable[[ModemOptions], Any] = open_raw) -> bool:
    """Send `AT+CFUN=1,1` (full functionality, with a reset: 27.007 §8.2) on a fresh port.

    True if the modem acknowledged it. A modem that no longer answers may still act on it,
    so the command is sent even when the re-sync fails; the answer is only reported.
    """
    from drivers.at.channel import AtChannel

    port = opener(options)
    channel = AtChannel(port, timeout=options.timeout, name=options.port)
    try:
        if not channel.resync(attempts=1):
            # The channel refuses commands until a re-sync succeeds: write it directly.
            with contextlib.suppress(Exception):
                port.write(RESET_COMMAND.encode() + b"\r")
                port.flush()
            return False
        try:
            channel.command(RESET_COMMAND)
        except ModemError:
            return False
        return True
    finally:
        channel.close()


@record(frozen=False)
class FaultTracker:
    """Logs a fault once when it starts and once when it clears.

    One incident may change kind on the way (an unplugged port fails as PortClosed, then
    as PortNotFound until it is back): that is noted at debug level, not logged again.
    """

    current: str | None = None
    detail: str | None = None
    since: float | None = None
    failures: int = 0

    def fail(self, kind: str, detail: str, now: float) -> None:
        self.failures += 1
        if self.current is None:
            log.warning("modem_fault", fault=kind, detail=detail, failures=self.failures)
            self.since = now
        elif kind != self.current:
            log.debug("modem_fault_changed", fault=kind, detail=detail, failures=self.failures)
        self.current, self.detail = kind, detail

    def clear(self, now: float) -> None:
        if self.current is not None:
            log.info(
                "modem_recovered",
                fault=self.current,
                after_s=round(now - (self.since or now), 1),
                failures=self.failures,
            )
        self.current, self.detail, self.since, self.failures = None, None, None, 0


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
        soft_reset_after: int | None = None,
        resetter: Resetter = soft_reset,
        finder: Finder = find_modem_port,
    ) -> None:
        """``soft_reset_after``: consecutive failures before `AT+CFUN=1,1` (0: never);
        None takes ``modem.soft_reset_after`` from the configuration, else 0."""
        self.settings = settings
        self.config_path = config_path
        self.port_override = port
        self.clock = clock or SystemClock()
        self.connector = connector
        self.notifier = notifier or Notifier()
        self.pipeline = pipeline or Pipeline(settings, open_store(settings), build_sinks(settings))
        self.resetter = resetter
        self.finder = finder
        self._soft_reset_arg = soft_reset_after
        self.driver: Generic3gppModem | None = None
        self.faults = FaultTracker()
        self.stop_requested = False
        self.reload_requested = False
        self.polls = 0
        self.soft_resets = 0
        self._next_poll = self.clock.monotonic()
        self._next_connect = self.clock.monotonic()
        self._backoff = 0.0
        self._urgent = False
        self._last_poll = -MIN_URGENT_GAP
        self._reset_seen = False
        self._reinit = False
        self._ready_sent = False
        self._last_watchdog = -1e9
        self._last_pump = self.clock.monotonic()
        self._last_redetect = -REDETECT_EVERY
        self._last_soft_reset = -SOFT_RESET_EVERY
        self._seen_errors: dict[str, None] = {}

    @property
    def soft_reset_after(self) -> int:
        if self._soft_reset_arg is not None:
            return self._soft_reset_arg
        return self.settings.modem.soft_reset_after

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
        # A poll due while disconnected tries the port first, whatever the backoff says:
        # a modem that is back is reported as back at once, not one backoff later.
        if self.driver is None and (now >= self._next_connect or now >= self._next_poll):
            self._connect()
            now = self.clock.monotonic()
        urgent = self._urgent_due(now)
        if now < self._next_poll and not urgent:
            return None
        self._last_poll = now
        self._urgent = False
        self._next_poll = now + self.settings.poll_interval
        self.polls += 1
        try:
            result = self._poll()
        except Exception as error:  # a bug in one poll must not end the daemon
            self._internal_error("poll", error)
            return None
        self._tell_systemd(result)
        return result

    def _urgent_due(self, now: float) -> bool:
        # Counted from any poll: one that just ran already saw what the code announced.
        return self._urgent and self.driver is not None and now - self._last_poll >= MIN_URGENT_GAP

    def _poll(self) -> PollResult:
        wall = self.clock.now()
        if self.driver is None:
            reason = f"cannot reach the modem: {self.faults.detail or 'not connected'}"
            return self.pipeline.after_failure(self._port_name(), reason, wall)
        try:
            snapshot = self._snapshot(self.driver)
        except Exception as error:
            if not isinstance(error, ModemError):
                self._internal_error("snapshot", error)
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
            driver=self.driver,
        )

    def _snapshot(self, driver: Generic3gppModem) -> Snapshot:
        if self._reinit:
            # A reboot restored the power-on settings: echo back on, and on most firmwares
            # +CMEE=0, whose bare ERROR would make the driver take a SIM error for an
            # unsupported command.
            self._reinit = False
            driver.channel.initialize()
        try:
            return driver.snapshot()
        except AtTimeout as error:
            # One slow answer is not a dead modem: re-sync on the open port, try once more.
            if self.stop_requested or not driver.channel.resync(attempts=1):
                raise
            log.info("modem_resynced", port=driver.port, after=str(error))
            return driver.snapshot()

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
        except Exception as error:
            if not isinstance(error, ModemError):
                self._internal_error("listen", error)
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
        except Exception as error:
            if not isinstance(error, ModemError):
                self._internal_error("connect", error)
            self._schedule_reconnect(error)
            if isinstance(error, PortError) and _vanished(options.port):
                self._redetect(options)
            return
        self._backoff = 0.0
        self._reinit = False  # connecting initialised the channel
        self._next_poll = min(self._next_poll, self.clock.monotonic())
        log.info("modem_connected", port=self.driver.port, driver=self.driver.name)

    def _redetect(self, options: ModemOptions) -> None:
        """A USB modem that re-enumerated may be on another ttyUSB now."""
        now = self.clock.monotonic()
        if now - self._last_redetect < REDETECT_EVERY:
            return
        self._last_redetect = now
        try:
            found = self.finder()
        except Exception as error:  # enumeration trouble must not stop the retries
            self._internal_error("redetect", error)
            return
        if found is None or found == options.port:
            return
        log.warning("modem_moved", old_port=options.port, new_port=found)
        self.port_override = found
        self._next_connect = now

    def _drop(self, error: BaseException) -> None:
        self._close_driver()
        self._schedule_reconnect(error)

    def _close_driver(self) -> None:
        if self.driver is not None:
            with contextlib.suppress(Exception):  # a vanished port fails to close many ways
                self.driver.channel.close()
        self.driver = None

    def _schedule_reconnect(self, error: BaseException) -> None:
        now = self.clock.monotonic()
        self.faults.fail(type(error).__name__, str(error), now)
        cap = max(1.0, min(MAX_BACKOFF, self.settings.poll_interval))
        self._backoff = min(cap, self._backoff * 2 if self._backoff else 1.0)
        self._next_connect = now + self._backoff
        self._maybe_soft_reset(error, now)

    def _maybe_soft_reset(self, error: BaseException, now: float) -> None:
        """After `soft_reset_after` failures in a row, reboot the modem, once an hour at most."""
        limit = self.soft_reset_after
        if limit <= 0 or self.faults.failures < limit or self.stop_requested:
            return
        if isinstance(error, PortNotFound) or now - self._last_soft_reset < SOFT_RESET_EVERY:
            return  # no port to send it on, or one reset this hour already
        self._last_soft_reset = now
        self._close_driver()
        options = self._options()
        try:
            answered = self.resetter(options)
        except ModemError as reset_error:
            answered = False
            detail = str(reset_error)
        except Exception as reset_error:
            self._internal_error("soft_reset", reset_error)
            return
        else:
            detail = "acknowledged" if answered else "no answer"
        self.soft_resets += 1
        log.warning(
            "modem_soft_reset",
            port=options.port,
            failures=self.faults.failures,
            fault=self.faults.current,
            answered=answered,
            detail=detail,
        )

    def _on_urc(self, line: str) -> None:
        if self.pipeline.carrier is not None:
            self.pipeline.carrier.note_urc(line)  # +CMTI: a new message to read at the next poll
        if not line.startswith(_URGENT_PREFIXES):
            return
        log.info("modem_urc", urc=line)
        if line.startswith(_REBOOT_PREFIXES):
            # The modem rebooted: its counters restarted and its firmware may differ.
            self._reset_seen = True
            self._reinit = True
            if self.driver is not None:
                self.driver.forget()
        self._urgent = True

    def _internal_error(self, where: str, error: BaseException) -> None:
        """A bug, not a modem fault: logged with its traceback once, then counted quietly."""
        key = f"{where}:{type(error).__name__}:{error}"
        if key in self._seen_errors:
            log.debug("internal_error_again", where=where, error=str(error))
            return
        if len(self._seen_errors) >= _SEEN_ERRORS_MAX:
            self._seen_errors.pop(next(iter(self._seen_errors)))
        self._seen_errors[key] = None
        log.error(
            "internal_error",
            where=where,
            error=f"{type(error).__name__}: {error}",
            exc_info=(type(error), error, error.__traceback__),
        )

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
            from agent.config import load_config

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
        old = self.settings
        self.pipeline.close()
        try:
            pipeline = Pipeline(settings, open_store(settings), build_sinks(settings))
        except Exception as error:
            self._internal_error("reload", error)
            self.pipeline = Pipeline(old, open_store(old), build_sinks(old))
            return False
        self.settings, self.pipeline = settings, pipeline
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
