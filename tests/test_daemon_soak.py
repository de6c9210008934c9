"""Thousands of daemon polls with random modem faults on a fast clock: nothing leaks, nothing
escapes, every fault ends.

The in-process simulated modem shares the daemon's simulated clock, so a poll every 60 s
for several days runs in seconds. Faults are drawn from a seeded generator: a failure
names its seed and can be replayed.
"""

from __future__ import annotations

import gc
import os
import random
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import serial
import structlog

from agent.config import ModemSettings, Settings
from agent.daemon import Daemon
from agent.demo import FastClock
from agent.poll import Pipeline
from agent.store import StateStore
from drivers.at.channel import AtChannel
from drivers.connect import ModemOptions
from drivers.errors import PortNotFound
from drivers.generic import Generic3gppModem
from drivers.simulator import register
from drivers.simulator.modem import SimulatedModem
from drivers.vendors.quectel import QuectelModem

POLLS = 5000
WARM_UP = 1000
SEED = 20261123
RSS_TOLERANCE_KB = 2048  # allocator noise; a leak of 1 KB a poll is 4 MB here
OBJECTS_TOLERANCE = 1500  # a leak of one object a poll is 4000 here


def rss_kb() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS in /proc/self/status")


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


class Tally:
    """A structlog processor counting events at warning and above, then dropping them all."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.first: dict[str, dict[str, Any]] = {}

    def __call__(self, logger: Any, method: str, event: dict[str, Any]) -> dict[str, Any]:
        name = event["event"]
        self.counts[name] += 1
        self.first.setdefault(name, dict(event))
        raise structlog.DropEvent


@pytest.fixture
def tally() -> Iterator[Tally]:
    old = structlog.get_config()
    t = Tally()
    structlog.configure(
        processors=[t],
        wrapper_class=structlog.make_filtering_bound_logger(20),  # info: no per-exchange debug
        cache_logger_on_first_use=False,
    )
    try:
        yield t
    finally:
        structlog.reset_defaults()
        structlog.configure(**old)


class Faults:
    """Random trouble between polls: each fault starts, lasts a few polls, and ends."""

    KINDS = ("unplug", "hang", "reset", "garbage", "sim_out", "urc_storm", "traffic")

    def __init__(self, modem: SimulatedModem, seed: int) -> None:
        self.modem = modem
        self.rng = random.Random(seed)
        self.ending: tuple[int, dict[str, Any]] | None = None
        self.started: Counter[str] = Counter()

    def step(self, poll: int) -> None:
        if self.ending is not None:
            if poll >= self.ending[0]:
                self.modem.apply(self.ending[1])
                self.ending = None
            return
        if self.rng.random() > 0.03:
            return
        kind = self.rng.choice(self.KINDS)
        self.started[kind] += 1
        lasts = poll + self.rng.randint(1, 4)
        if kind in ("unplug", "hang"):
            self.modem.apply({"event": kind})
            self.ending = (lasts, {"event": "replug"})
        elif kind == "reset":
            self.modem.apply({"event": "reset"})
        elif kind == "garbage":
            self.modem.apply({"garbage": self.rng.randint(1, 2000)})
        elif kind == "sim_out":
            self.modem.apply({"sim": "absent"})
            self.ending = (lasts, {"sim": "ready"})
        elif kind == "urc_storm":
            for _ in range(self.rng.randint(10, 200)):
                self.modem.apply({"urc": "+CEREG: 1"})
        else:
            self.modem.apply({"traffic_bps": self.rng.choice((0.0, 50.0, 5000.0))})


def test_soak_thousands_of_polls_with_faults(tmp_path: Path, tally: Tally) -> None:
    register()
    measured: dict[str, tuple[int, int, int]] = {}
    faults: Faults | None = None
    daemon: Daemon | None = None

    def between_polls(_: float) -> None:
        assert daemon is not None and faults is not None
        polls = daemon.polls
        faults.step(polls)
        for name, at in (("warm", WARM_UP), ("end", POLLS - 1)):
            if polls == at and name not in measured:
                gc.collect()
                measured[name] = (rss_kb(), open_fds(), len(gc.get_objects()))

    clock = FastClock(datetime(2026, 11, 1, tzinfo=timezone.utc), 1e12, between_polls)
    modem = SimulatedModem("quectel", clock=clock.monotonic)
    modem.apply({"traffic_bps": 50.0})
    faults = Faults(modem, SEED)
    settings = Settings(
        modem=ModemSettings(port="sim://quectel", driver="quectel", timeout=0.01, interface=None),
        poll_interval=60.0,
        checkpoint=300.0,
        state_dir=tmp_path,
    )

    def connector(options: ModemOptions, on_urc: Callable[[str], None]) -> Generic3gppModem:
        try:
            port = serial.serial_for_url(options.port, timeout=0.0005, modem=modem)
        except serial.SerialException as error:
            raise PortNotFound(options.port, str(error)) from error
        channel = AtChannel(port, timeout=options.timeout, on_urc=on_urc, name=options.port)
        # Non-blocking reads: the simulated modem answers within the write or not at all,
        # so a read that waits in real time only slows the soak down.
        port.timeout = 0
        try:
            channel.initialize()
        except BaseException:
            channel.close()
            raise
        return QuectelModem(channel, port=options.port)

    fds_before = open_fds()
    store = StateStore.open(tmp_path, clock=clock.monotonic, checkpoint=300.0)
    daemon = Daemon(
        settings,
        clock=clock,
        connector=connector,
        pipeline=Pipeline(settings, store),
        finder=lambda: None,
    )
    assert daemon.run_forever(max_polls=POLLS) == 0
    (rss0, fds0, objects0), (rss1, fds1, objects1) = measured["warm"], measured["end"]

    counts = tally.counts
    context = f"seed {SEED}, faults {dict(faults.started)}, log {dict(counts)}"
    assert daemon.polls == POLLS
    assert counts["internal_error"] == 0, tally.first.get("internal_error")
    assert counts["urc_handler_failed"] == 0, context
    # Every kind of fault happened, and every modem fault that began also ended.
    assert all(faults.started[k] >= 5 for k in Faults.KINDS), context
    assert counts["modem_fault"] >= faults.started["unplug"] + faults.started["hang"] - 2
    assert counts["modem_recovered"] >= counts["modem_fault"] - 1, context
    assert counts["alert_raise"] >= counts["modem_fault"], context
    # No growth after the warm-up: memory, Python objects, descriptors.
    assert rss1 - rss0 <= RSS_TOLERANCE_KB, measured
    assert objects1 - objects0 <= OBJECTS_TOLERANCE, measured
    assert fds1 <= fds0, measured
    assert open_fds() <= fds_before  # the store and the port were closed at the end
