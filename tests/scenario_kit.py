"""Helpers for end-to-end alert scenarios: the daemon on a scripted, simulated clock, with
the in-process simulated modem and real peers for the sinks (HTTPS webhook, MQTT, file).

The pieces:

- ``ScenarioClock``: simulated wall time and monotonic time for the daemon, the simulated
  modem, the state store and the sinks (``epoch`` is the sinks' ``time.time``).
- ``Rig``: one simulated modem (the terminal's hardware, kept across agent restarts), a
  script of timed changes, and ``drive`` to run a daemon over it until a given time.
- ``Webhook``: an HTTPS receiver on 127.0.0.1 that records every request as it arrives, and
  can go down and come back on the same port.
- ``AlertSubscriber``: a paho MQTT client that records what the broker delivers.
- ``FileWatcher``: a thread that keeps reading a file and parsing it as JSON.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import serial
import structlog
import trustme
from https_receiver import HttpsReceiver
from structlog.testing import capture_logs

from agent.demo import FastClock
from agent.poll import PollResult
from drivers.at.channel import AtChannel
from drivers.connect import ModemOptions
from drivers.simulator import register
from drivers.simulator.modem import SimulatedModem
from drivers.vendors.quectel import QuectelModem


def wait_until(predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
    """Poll ``predicate`` in real time: for the peers' threads (broker, receiver)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()


# -- time ------------------------------------------------------------------------------------


class ScenarioClock(FastClock):
    """The demo's fast clock with no pacing at all: a wait returns at once, the time jumps."""

    def __init__(self, start: datetime, pending: Callable[[], bool] = lambda: False) -> None:
        if start.tzinfo is None:
            raise ValueError("the scenario clock needs an aware start time")
        super().__init__(start, float("inf"), lambda seconds: None, pending)

    def epoch(self) -> float:
        """Unix time of the simulated now: what the sinks take for ``time.time()``."""
        return self.now().timestamp()


# -- the terminal: simulated modem and script ------------------------------------------------


@dataclass(frozen=True)
class Step:
    """At ``at`` (or at the first poll after it): apply ``changes`` to the simulated modem
    (the keys of the simulator's control socket) and run ``action``."""

    at: datetime
    changes: Mapping[str, Any] = field(default_factory=dict)
    action: Callable[[], None] | None = None
    note: str = ""


@dataclass(frozen=True)
class Poll:
    at: datetime
    result: PollResult


class Rig:
    """The terminal's hardware (one simulated Quectel modem) and the script it goes through.

    The modem outlives any one daemon: a restarted agent finds it as it was left.
    """

    def __init__(self, start: datetime, script: list[Step], *, profile: str = "quectel") -> None:
        register()
        self.clock = ScenarioClock(start)
        self.modem = SimulatedModem(profile, clock=self.clock.monotonic)
        self.clock.pending = self.modem.output_pending
        self.profile = profile
        self.script = sorted(script, key=lambda s: s.at)
        self.polls: list[Poll] = []

    def connector(self, options: ModemOptions, on_urc: Callable[[str], None]) -> QuectelModem:
        port = serial.serial_for_url(f"sim://{self.profile}", timeout=0.01, modem=self.modem)
        channel = AtChannel(port, timeout=options.timeout, on_urc=on_urc, name=options.port)
        channel.initialize()
        return QuectelModem(channel, port=options.port)

    def _apply_due(self) -> None:
        while self.script and self.script[0].at <= self.clock.now():
            step = self.script.pop(0)
            if step.changes:
                self.modem.apply(dict(step.changes))
            if step.action is not None:
                step.action()

    def drive(
        self,
        daemon: Any,
        until: datetime,
        after_poll: Callable[[Poll], None] | None = None,
    ) -> None:
        """Run ``daemon`` (agent.daemon.Daemon) poll by poll until a poll at or after
        ``until``; script steps that are due are applied before each poll."""
        while True:
            self._apply_due()
            result = daemon.run_once()
            if result is not None:
                poll = Poll(self.clock.now(), result)
                self.polls.append(poll)
                if after_poll is not None:
                    after_poll(poll)
                if self.clock.now() >= until:
                    return
            daemon.wait_for_next()


# -- the log ---------------------------------------------------------------------------------


@contextlib.contextmanager
def captured_log() -> Iterator[list[dict[str, Any]]]:
    """structlog's capture_logs with every level let through, whatever an earlier test (or
    ``configure_logging(quiet=True)``) set as the level filter."""
    saved = structlog.get_config()["wrapper_class"]
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.DEBUG))
    try:
        with capture_logs() as entries:
            yield entries
    finally:
        structlog.configure(wrapper_class=saved)


def alert_log(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The alert_raise / alert_escalate / alert_remind / alert_resolve entries, in order."""
    kinds = ("alert_raise", "alert_escalate", "alert_remind", "alert_resolve")
    return [e for e in list(entries) if e.get("event") in kinds]


# -- the HTTPS webhook -----------------------------------------------------------------------


class Webhook(HttpsReceiver):
    """The scenarios' receiver: every POST answered 200 at /posagent/reports."""

    def __init__(self, ca: trustme.CA) -> None:
        super().__init__(ca, "/posagent/reports")


# -- MQTT ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Message:
    topic: str
    payload: bytes
    retain: bool


class AlertSubscriber:
    """A paho client subscribed (QoS 1) to ``topic`` on the broker at 127.0.0.1:``port``."""

    def __init__(self, port: int, topic: str) -> None:
        import paho.mqtt.client as mqtt

        self.messages: list[Message] = []
        self._lock = threading.Lock()
        subscribed = threading.Event()
        client = mqtt.Client(callback_api_version=mqtt.CallbackAPIVersion.VERSION2)
        client.on_connect = lambda c, *_a: c.subscribe(topic, qos=1)
        client.on_subscribe = lambda *_a: subscribed.set()
        client.on_message = self._on_message
        client.connect("127.0.0.1", port, keepalive=30)
        client.loop_start()
        self.client = client
        if not subscribed.wait(5):
            self.stop()
            raise AssertionError(f"no subscription to {topic} within 5 s")

    def _on_message(self, _client: object, _userdata: object, msg: Any) -> None:
        with self._lock:
            self.messages.append(Message(msg.topic, bytes(msg.payload), bool(msg.retain)))

    def on(self, topic: str) -> list[Message]:
        with self._lock:
            return [m for m in self.messages if m.topic == topic]

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


# -- the status file -------------------------------------------------------------------------


class FileWatcher:
    """Reads ``path`` in a loop from another thread, as the POS application would, and
    keeps every read that did not parse as JSON (a torn write would show up here)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.reads = 0
        self.torn: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> FileWatcher:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                data = self.path.read_bytes()
            except FileNotFoundError:
                time.sleep(0.001)
                continue
            self.reads += 1
            try:
                json.loads(data)
            except ValueError:
                self.torn.append(data)
            time.sleep(0.0005)
