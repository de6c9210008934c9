"""The daemon loop (agent/daemon.py) against the in-process simulated modem on a fast clock.

Simulated time only moves when the daemon waits, so an hour of polling takes milliseconds;
AT exchanges still run in real time, which is why the AT timeout is short here.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import serial
import structlog
from structlog.testing import capture_logs

from agent.config import ModemSettings, Settings
from agent.daemon import MIN_URGENT_GAP, SOFT_RESET_EVERY, Daemon, soft_reset
from agent.demo import FastClock
from agent.poll import Pipeline, PollResult
from agent.store import StateStore
from drivers.at.channel import AtChannel
from drivers.connect import ModemOptions
from drivers.errors import AtTimeout, PortNotFound
from drivers.generic import Generic3gppModem
from drivers.registry import driver_class
from drivers.simulator import register
from drivers.simulator.modem import SimulatedModem

START = datetime(2026, 11, 2, 8, 0, tzinfo=timezone.utc)
AT_TIMEOUT = 0.05  # real seconds: the simulated modem answers at once or never


@pytest.fixture
def logs() -> Iterator[list[dict[str, Any]]]:
    """Every log event, whatever an earlier test configured (a quiet level, say)."""
    old = structlog.get_config()
    structlog.reset_defaults()
    try:
        with capture_logs() as captured:
            yield captured
    finally:
        structlog.configure(**old)


def events(logs: list[dict[str, Any]], name: str, **match: Any) -> list[dict[str, Any]]:
    return [e for e in logs if e["event"] == name and all(e.get(k) == v for k, v in match.items())]


class SteppedClock(FastClock):
    """A FastClock that waits at most `max_slice` simulated seconds at a time."""

    def __init__(self, max_slice: float, on_slice: Callable[[], None] | None = None) -> None:
        super().__init__(START, 1e12, self._slept)
        self.max_slice = max_slice
        self.on_slice = on_slice

    def _slept(self, _: float) -> None:
        if self.on_slice is not None:
            self.on_slice()


class Rig:
    """A daemon, its simulated modem and its store in tmp_path."""

    def __init__(
        self,
        tmp_path: Path,
        vendor: str = "quectel",
        *,
        poll: float = 60.0,
        port: str | None = None,
        max_slice: float = float("inf"),
        **daemon_args: Any,
    ) -> None:
        register()
        self.clock = SteppedClock(max_slice)
        self.modem = SimulatedModem(vendor, clock=self.clock.monotonic)
        self.vendor = vendor
        self.settings = Settings(
            modem=ModemSettings(
                port=port or f"sim://{vendor}", driver=vendor, timeout=AT_TIMEOUT, interface=None
            ),
            poll_interval=poll,
            checkpoint=300.0,
            state_dir=tmp_path,
        )
        self.store = StateStore.open(tmp_path, clock=self.clock.monotonic, checkpoint=300.0)
        self.connects: list[float] = []
        daemon_args.setdefault("finder", lambda: None)
        self.daemon = Daemon(
            self.settings,
            clock=self.clock,
            connector=self.connect,
            pipeline=Pipeline(self.settings, self.store),
            **daemon_args,
        )
        self.results: list[tuple[float, PollResult]] = []

    def open_port(self, options: ModemOptions) -> serial.SerialBase:
        if not options.port.startswith("sim://"):
            raise PortNotFound(options.port, "no such device")
        try:
            return serial.serial_for_url(options.port, timeout=0.001, modem=self.modem)
        except serial.SerialException as error:
            raise PortNotFound(options.port, str(error)) from error

    def connect(self, options: ModemOptions, on_urc: Callable[[str], None]) -> Generic3gppModem:
        self.connects.append(self.clock.monotonic())
        port = self.open_port(options)
        channel = AtChannel(port, timeout=options.timeout, on_urc=on_urc, name=options.port)
        try:
            channel.initialize()
            return driver_class(self.vendor)(channel, port=options.port)
        except BaseException:
            channel.close()
            raise

    def run_for(self, seconds: float) -> list[tuple[float, PollResult]]:
        """Run the loop for `seconds` of simulated time; the polls made, with their times."""
        end = self.clock.monotonic() + seconds
        made = []
        while self.clock.monotonic() < end:
            now = self.clock.monotonic()
            result = self.daemon.run_once()
            if result is not None:
                made.append((now, result))
            self.daemon.wait_for_next()
        self.results += made
        return made

    def used(self) -> int:
        iccid = self.modem.state.iccid
        return sum(self.store.daily_usage(iccid).values())

    def close(self) -> None:
        self.daemon.shutdown()


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    r = Rig(tmp_path)
    yield r
    r.close()


def statuses(made: list[tuple[float, PollResult]]) -> list[str]:
    return [r.status["status"] for _, r in made]


# -- reconnecting -----------------------------------------------------------------------------


@pytest.mark.parametrize(("poll", "cap"), [(60.0, 60.0), (20.0, 20.0), (600.0, 60.0)])
def test_reconnect_backoff_doubles_up_to_its_cap(tmp_path: Path, poll: float, cap: float) -> None:
    r = Rig(tmp_path, poll=poll)
    r.modem.apply({"event": "unplug"})
    r.run_for(3600)
    gaps = [b - a for a, b in itertools.pairwise(r.connects)]
    assert gaps[:3] == [1.0, 2.0, 4.0]
    assert max(gaps) == cap
    assert gaps[-10:] == [cap] * 10 or poll > cap  # steady: one attempt per cap
    polls = 3600 / poll
    assert len(r.connects) <= 3600 / cap + polls + 8  # no more than backoff and polls ask
    r.close()


def test_unplug_logged_once_and_recovered_within_one_poll(
    rig: Rig, logs: list[dict[str, Any]]
) -> None:
    assert statuses(rig.run_for(120)) == ["ok", "ok"]
    rig.modem.apply({"event": "unplug"})
    during = rig.run_for(600)
    assert set(statuses(during)) == {"unknown"}
    assert len(during) >= 9
    replugged = rig.clock.monotonic()
    rig.modem.apply({"event": "replug"})
    after = rig.run_for(300)
    first_ok = next(t for t, r in after if r.status["status"] == "ok")
    assert first_ok - replugged <= rig.settings.poll_interval
    assert set(statuses(after)) == {"ok"}
    assert len(events(logs, "modem_fault")) == 1
    assert len(events(logs, "modem_recovered")) == 1
    assert len(events(logs, "alert_raise", code="modem_unresponsive")) == 1
    assert len(events(logs, "alert_resolve", code="modem_unresponsive")) == 1


def test_hang_then_replug_recovers(rig: Rig, logs: list[dict[str, Any]]) -> None:
    rig.run_for(60)
    rig.modem.apply({"event": "hang"})
    assert set(statuses(rig.run_for(300))) == {"unknown"}
    rig.modem.apply({"event": "replug"})
    assert statuses(rig.run_for(120))[-1] == "ok"
    faults = events(logs, "modem_fault")
    assert [f["fault"] for f in faults] == ["AtTimeout"]


def test_garbage_between_polls_is_not_a_fault(rig: Rig, logs: list[dict[str, Any]]) -> None:
    rig.run_for(60)
    for size in (1, 7, 300, 4096):
        rig.modem.apply({"garbage": size})
        assert set(statuses(rig.run_for(120))) == {"ok"}
    assert events(logs, "internal_error") == []


def test_moved_port_is_found_again(tmp_path: Path, logs: list[dict[str, Any]]) -> None:
    found: list[float] = []

    def finder() -> str | None:
        found.append(0.0)
        return "sim://quectel" if len(found) >= 3 else None

    r = Rig(tmp_path, port="/dev/ttyUSB-posagent-test-gone", finder=finder)
    r.run_for(3600)
    assert statuses(r.results)[-1] == "ok"
    assert r.daemon.port_override == "sim://quectel"
    assert len(found) == 3  # searched at most once a minute, and not after it was found
    assert len(events(logs, "modem_moved")) == 1
    r.close()


# -- unsolicited codes --------------------------------------------------------------------------


def test_urc_storm_polls_at_most_every_min_gap(tmp_path: Path) -> None:
    r = Rig(tmp_path, max_slice=1.0)
    r.run_for(60)
    # A registration URC every simulated second: each asks for a poll at once.
    r.clock.on_slice = lambda: r.modem.apply({"urc": '+CEREG: 1,"1A2B","80D413D",7'})
    made = r.run_for(300)
    times = [t for t, _ in made]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert min(gaps) >= MIN_URGENT_GAP
    assert len(made) >= 300 / MIN_URGENT_GAP - 2  # far more than the 5 regular polls
    r.close()


def test_sim_removed_urc_polls_at_once(tmp_path: Path, logs: list[dict[str, Any]]) -> None:
    r = Rig(tmp_path, max_slice=1.0)
    plan = {90.0: {"sim": "absent"}, 200.0: {"sim": "ready"}}  # between regular polls
    r.clock.on_slice = lambda: r.modem.apply(plan.pop(r.clock.monotonic(), {}))
    made = r.run_for(300)
    got = [(t, res.status["sim"]["state"]) for t, res in made]
    # At the URC (read within the next one-second slice), not at the next regular poll.
    want = [(0, "ready"), (60, "ready"), (90, "absent"), (150, "absent"), (200, "ready")]
    assert [state for _, state in got[:5]] == [state for _, state in want]
    for (t, _), (expected, _) in zip(got, want, strict=False):
        assert expected <= t <= expected + 2.0, got
    assert len(events(logs, "alert_raise", code="sim_absent")) == 1
    assert len(events(logs, "alert_resolve", code="sim_absent")) == 1
    r.close()


def test_rdy_rebaselines_the_ledger(rig: Rig, logs: list[dict[str, Any]]) -> None:
    rig.modem.apply({"rx_bytes": 1_000_000, "tx_bytes": 0})
    rig.run_for(60)  # first reading: the baseline
    rig.modem.apply({"rx_bytes": 2_000_000, "tx_bytes": 0})
    rig.run_for(60)
    assert rig.used() == 1_000_000
    # The modem reboots and its counters come back above the last reading (an EC25 reloads
    # what was saved in NVM, QAT 10 §10.15): only the RDY tells this reading is not +0.5 MB.
    rig.modem.apply({"event": "reset"})
    rig.modem.apply({"rx_bytes": 2_400_000, "tx_bytes": 100_000})
    rig.run_for(60)
    assert events(logs, "modem_urc", urc="RDY")
    assert rig.used() == 1_000_000  # re-baselined, nothing booked for the rolled-back value
    rig.modem.apply({"rx_bytes": 2_500_000, "tx_bytes": 100_000})
    rig.run_for(60)
    assert rig.used() == 1_100_000  # counting goes on from the new baseline


def test_reboot_restores_numeric_errors(tmp_path: Path) -> None:
    # SIMCom boots with +CMEE=0 (a bare ERROR) and says RDY (vendors.md §1.10): unless the
    # daemon sets +CMEE=1 again, a pulled SIM reads as an unsupported AT+CPIN?.
    r = Rig(tmp_path, "simcom")
    r.run_for(60)
    r.modem.apply({"event": "reset"})
    r.run_for(60)
    r.modem.apply({"sim": "absent"})
    _, last = r.run_for(60)[-1]
    assert last.status["sim"]["state"] == "absent"
    assert [f["code"] for f in last.status["findings"]] == ["sim_absent"]
    r.modem.apply({"sim": "ready"})
    _, back = r.run_for(60)[-1]
    assert back.status["sim"]["state"] == "ready"
    r.close()


def test_sim_swap_alert_logged_once(rig: Rig, logs: list[dict[str, Any]]) -> None:
    rig.run_for(120)
    rig.modem.apply({"iccid": "89860099999999999999"})
    rig.run_for(300)
    assert len(events(logs, "alert_raise", code="sim_changed")) == 1
    assert events(logs, "internal_error") == []


def test_sim_swap_does_not_stop_the_daemon(rig: Rig, logs: list[dict[str, Any]]) -> None:
    rig.run_for(120)
    rig.modem.apply({"iccid": "89860099999999999999"})
    made = rig.run_for(300)
    assert made, "the daemon kept polling"
    assert made[-1][1].status["sim"]["iccid"] == "89860099999999999999"
    assert len(events(logs, "modem_fault")) == 0


# -- failures that are not the modem's -----------------------------------------------------------


class FailingPipeline(Pipeline):
    def __init__(self, *args: Any, fail: int) -> None:
        super().__init__(*args)
        self.fail = fail

    def after_snapshot(self, *args: Any, **kwargs: Any) -> PollResult:
        if self.fail > 0:
            self.fail -= 1
            raise TypeError("a bug in the pipeline")
        return super().after_snapshot(*args, **kwargs)


def test_a_bug_in_a_poll_is_logged_once_and_polling_goes_on(
    rig: Rig, logs: list[dict[str, Any]]
) -> None:
    rig.daemon.pipeline = FailingPipeline(rig.settings, rig.store, fail=3)
    made = rig.run_for(300)
    assert statuses(made) == ["ok", "ok"]  # polls 4 and 5
    assert rig.daemon.polls == 5
    errors = events(logs, "internal_error")
    assert len(errors) == 1 and "a bug in the pipeline" in errors[0]["error"]


def test_a_connector_bug_is_retried_with_backoff(tmp_path: Path, logs: list[dict]) -> None:
    r = Rig(tmp_path)
    calls = []
    real = r.connect

    def flaky(options: ModemOptions, on_urc: Callable[[str], None]) -> Generic3gppModem:
        calls.append(r.clock.monotonic())
        if len(calls) <= 2:
            raise ValueError("bad descriptor")
        return real(options, on_urc)

    r.daemon.connector = flaky
    made = r.run_for(120)
    assert statuses(made)[-1] == "ok"
    assert len(events(logs, "internal_error")) == 1
    r.close()


# -- soft reset ---------------------------------------------------------------------------------


def hung(r: Rig) -> Callable[[ModemOptions, Callable[[str], None]], Generic3gppModem]:
    """A connector for a modem that never answers, failing at once (hours run in ms)."""

    def connect(options: ModemOptions, on_urc: Callable[[str], None]) -> Generic3gppModem:
        r.connects.append(r.clock.monotonic())
        raise AtTimeout("AT", options.timeout)

    return connect


def test_soft_reset_after_n_failures_at_most_hourly(tmp_path: Path, logs: list[dict]) -> None:
    resets: list[float] = []

    def resetter(options: ModemOptions) -> bool:
        resets.append(r.clock.monotonic())
        return False

    r = Rig(tmp_path, soft_reset_after=3, resetter=resetter)
    r.daemon.connector = hung(r)
    r.run_for(2 * 3600 + 600)
    assert resets[0] == r.connects[2]  # at the third failure in a row
    assert len(resets) == 3  # then once in each hour the fault lasts
    assert all(b - a >= SOFT_RESET_EVERY for a, b in itertools.pairwise(resets))
    (first, *_) = events(logs, "modem_soft_reset")
    assert first["failures"] == 3 and first["fault"] == "AtTimeout"
    assert len(events(logs, "modem_soft_reset")) == 3
    r.close()


def test_soft_reset_is_off_by_default(tmp_path: Path) -> None:
    resets: list[ModemOptions] = []
    r = Rig(tmp_path, resetter=lambda o: bool(resets.append(o)))
    r.daemon.connector = hung(r)
    r.run_for(3 * 3600)
    assert resets == []
    assert r.daemon.soft_reset_after == 0
    r.close()


def test_soft_reset_not_tried_on_a_vanished_port(tmp_path: Path) -> None:
    resets: list[ModemOptions] = []
    r = Rig(tmp_path, soft_reset_after=2, resetter=lambda o: bool(resets.append(o)))
    r.modem.apply({"event": "unplug"})
    r.run_for(3600)
    assert resets == []  # nothing to send AT+CFUN=1,1 on
    r.close()


def test_soft_reset_on_a_real_hang_then_replug(tmp_path: Path) -> None:
    r = Rig(tmp_path, soft_reset_after=2)
    r.daemon.resetter = lambda o: soft_reset(o, opener=r.open_port)
    r.run_for(60)
    r.modem.apply({"event": "hang"})
    r.run_for(120)
    assert r.daemon.soft_resets == 1
    r.modem.apply({"event": "replug"})
    assert statuses(r.run_for(120))[-1] == "ok"
    r.close()


def test_soft_reset_reboots_the_modem(rig: Rig) -> None:
    rig.modem.apply({"rx_bytes": 5000, "tx_bytes": 500})
    assert soft_reset(rig.daemon._options(), opener=rig.open_port) is True
    assert rig.modem.counters() == (0, 0)  # EC25 reloads unsaved counters as 0 at boot


def test_soft_reset_on_a_hung_modem_returns(rig: Rig) -> None:
    rig.modem.apply({"event": "hang"})
    assert soft_reset(rig.daemon._options(), opener=rig.open_port) is False


# -- reload ---------------------------------------------------------------------------------------


def write_config(path: Path, state: Path, poll: str, extra: str = "") -> None:
    path.write_text(
        f"state_dir: {state}\n"
        f"poll_interval: {poll}\n"
        f"{extra}"
        "modem:\n"
        "  port: sim://quectel\n"
        "  driver: quectel\n"
        "  interface: null\n",
        encoding="utf-8",
    )


def test_reload_takes_a_good_config_and_keeps_the_old_on_a_bad_one(
    tmp_path: Path, logs: list[dict[str, Any]]
) -> None:
    config = tmp_path / "config.yaml"
    r = Rig(tmp_path / "state")
    r.daemon.config_path = str(config)
    r.run_for(60)
    write_config(config, tmp_path / "state", "60s", extra="poll_intervall: 5s\n")
    assert r.daemon.reload() is False
    (bad,) = events(logs, "config_invalid")
    assert any(p.startswith(f"{config}:3") for p in bad["problems"]), bad["problems"]
    assert r.daemon.settings is r.settings
    assert statuses(r.run_for(120)) == ["ok", "ok"]

    write_config(config, tmp_path / "state", "30s")
    assert r.daemon.reload() is True
    assert r.daemon.settings.poll_interval == 30.0
    made = r.run_for(120)
    assert 4 <= len(made) <= 5 and set(statuses(made)) == {"ok"}
    r.close()


def test_reload_on_sighup_flag(rig: Rig, tmp_path: Path, logs: list[dict[str, Any]]) -> None:
    config = tmp_path / "c.yaml"
    write_config(config, tmp_path, "2m")
    rig.daemon.config_path = str(config)
    rig.daemon._on_hup(1, None)
    rig.daemon.run_forever(max_polls=1)
    assert rig.daemon.settings.poll_interval == 120.0
    assert events(logs, "config_reloaded")
