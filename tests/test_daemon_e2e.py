"""`posagent run` as a process against `posagent simulate` on a pty, through a fault timeline.

The simulator's control socket pulls the modem's plug, hangs it, reboots it, sends garbage,
pulls and swaps the SIM; the daemon must come back from each (a fresh status file saying
so), keep the ledger exact, log each alert once, reject a broken configuration on SIGHUP
and stop on SIGTERM with status 0.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, RunningSimulator, run_cli, start_simulator, stop_simulator

POLL = "1s"
FAULT_DEADLINE = 12.0  # seconds for the daemon to notice a fault or recover from one
NEW_ICCID = "89860099999999999999"


class DaemonProcess:
    """`posagent run` with JSON logs collected from stderr by a reader thread."""

    def __init__(self, config: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "agent", "--config", str(config), "--log-format", "json", "run"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            cwd=REPO,
            env={**os.environ, "POSAGENT_CONFIG": "", "NOTIFY_SOCKET": ""},
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append(line.rstrip("\n"))

    def logs(self) -> list[dict[str, Any]]:
        out = []
        for line in list(self.lines):
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:
                out.append({"event": "not_json", "line": line})
        return out

    def events(self, name: str, **match: Any) -> list[dict[str, Any]]:
        return [
            e
            for e in self.logs()
            if e.get("event") == name and all(e.get(k) == v for k, v in match.items())
        ]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=5)
        self._reader.join(timeout=5)


def wait_for(what: str, check: Callable[[], Any], timeout: float = FAULT_DEADLINE) -> Any:
    """Poll `check` until it returns something true; fail with `what` at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


def write_config(path: Path, tmp: Path, link: Path, *, broken: bool = False) -> int:
    """Write the daemon's configuration; returns the line of the broken key, if any."""
    lines = [
        f"state_dir: {tmp / 'state'}",
        f"poll_interval: {POLL}",
        "checkpoint: 1s",
        "modem:",
        f"  port: {link}",
        "  driver: quectel",
        "  interface: null",
        "  timeout: 1s",
        "report:",
        f"  status_file: {tmp / 'status.json'}",
    ]
    if broken:
        lines.insert(2, "poll_intervall: 5s")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return 3


class World:
    def __init__(self, tmp: Path, sim: RunningSimulator, daemon: DaemonProcess) -> None:
        self.tmp = tmp
        self.sim = sim
        self.daemon = daemon
        self.status_path = tmp / "status.json"
        self.config = tmp / "config.yaml"

    def control(self, event: dict[str, Any]) -> None:
        assert self.sim.control_send(event) == "ok", event

    def status_after(self, since: float) -> dict[str, Any] | None:
        """The status file if it was written after `since` (time.time()), else None."""
        try:
            if self.status_path.stat().st_mtime < since:
                return None
            obj: dict[str, Any] = json.loads(self.status_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return obj

    def wait_status(self, what: str, check: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        since = time.time()

        def fresh() -> dict[str, Any] | None:
            obj = self.status_after(since)
            return obj if obj is not None and check(obj) else None

        assert self.daemon.proc.poll() is None, "the daemon exited"
        return wait_for(what, fresh)

    def wait_ok(self, what: str) -> dict[str, Any]:
        return self.wait_status(f"status ok after {what}", lambda s: s["status"] == "ok")

    def set_counters(self, rx: int, tx: int) -> None:
        self.control({"rx_bytes": rx, "tx_bytes": tx})
        self.wait_status(
            f"counters {rx}/{tx} read",
            lambda s: (s["counters"]["rx_bytes"], s["counters"]["tx_bytes"]) == (rx, tx),
        )

    def fault(self, event: dict[str, Any], kind: str) -> None:
        self.control(event)
        self.wait_status(f"{kind} reported", lambda s: kind in [f["code"] for f in s["findings"]])

    def usage(self) -> dict[str, int]:
        result = run_cli("--config", str(self.config), "usage", "--json", timeout=20)
        assert result.returncode == 0, result.stderr
        return {
            sim["iccid"]: sum(c["used_bytes"] for c in sim["cycles"])
            for sim in json.loads(result.stdout)["sims"]
        }


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    link = tmp_path / "modem"
    sim = start_simulator(tmp_path, "quectel", None, "--link", str(link))
    config = tmp_path / "config.yaml"
    write_config(config, tmp_path, link)
    daemon = DaemonProcess(config)
    try:
        yield World(tmp_path, sim, daemon)
    finally:
        daemon.stop()
        stop_simulator(sim)


@pytest.mark.timeout(90)
def test_daemon_rides_out_a_fault_timeline(world: World) -> None:
    w = world
    w.wait_ok("start")
    iccid = w.wait_status("an ICCID", lambda s: s["sim"]["iccid"])["sim"]["iccid"]
    used = 0

    w.set_counters(1_000_000, 200_000)
    used += 1_200_000

    # Unplugged and back: a replug powers the modem up again (counters from 0) on a new pty.
    w.fault({"event": "unplug"}, "modem_unresponsive")
    w.control({"event": "replug"})
    w.wait_ok("replug")
    w.set_counters(300_000, 50_000)
    used += 350_000

    # Hung: no answer at all until it is replugged.
    w.fault({"event": "hang"}, "modem_unresponsive")
    w.control({"event": "replug"})
    w.wait_ok("hang and replug")
    w.set_counters(10_000, 2_000)
    used += 12_000

    # Rebooted in place: RDY, counters from 0, echo and error format back to defaults.
    w.control({"event": "reset"})
    w.wait_status("counters after reset", lambda s: s["counters"]["rx_bytes"] == 0)
    w.set_counters(7_000, 3_000)
    used += 10_000

    w.control({"garbage": 300})
    w.wait_ok("garbage")

    w.fault({"sim": "absent"}, "sim_absent")
    w.control({"sim": "ready"})
    w.wait_ok("SIM back")

    # The exact ledger, read by another process while the daemon runs.
    wait_for("the ledger to be committed", lambda: w.usage().get(iccid) == used)

    # Another SIM: its own ledger from its first reading on.
    w.control({"iccid": NEW_ICCID})
    w.wait_status("the new SIM", lambda s: s["sim"]["iccid"] == NEW_ICCID)
    w.set_counters(27_000, 8_000)
    wait_for("both ledgers", lambda: w.usage() == {iccid: used, NEW_ICCID: 25_000})

    # SIGHUP with a broken configuration: rejected with FILE:LINE, polling goes on.
    line = write_config(w.config, w.tmp, Path(w.sim.port), broken=True)
    w.daemon.proc.send_signal(signal.SIGHUP)
    (invalid,) = wait_for("config_invalid", lambda: w.daemon.events("config_invalid"))
    assert any(p.startswith(f"{w.config}:{line}") for p in invalid["problems"]), invalid
    w.wait_status("polls after the rejected reload", lambda s: s["sim"]["iccid"] == NEW_ICCID)
    assert not w.daemon.events("config_reloaded")

    started = time.monotonic()
    w.daemon.proc.send_signal(signal.SIGTERM)
    assert w.daemon.proc.wait(timeout=10) == 0
    assert time.monotonic() - started < 5.0
    w.daemon.stop()

    d = w.daemon
    assert [e["line"] for e in d.events("not_json")] == []  # no traceback, no stray output
    assert d.events("daemon_stop")
    # Each fault logged once when it began and once when it ended: unplug, hang.
    assert len(d.events("modem_fault")) == 2
    assert len(d.events("modem_recovered")) == 2
    assert len(d.events("alert_raise", code="modem_unresponsive")) == 2
    assert len(d.events("alert_resolve", code="modem_unresponsive")) == 2
    assert len(d.events("alert_raise", code="sim_absent")) == 1
    assert len(d.events("alert_resolve", code="sim_absent")) == 1
    assert d.events("modem_urc", urc="RDY")
    assert len(d.events("alert_raise", code="sim_changed")) == 1
    assert d.events("internal_error") == []
