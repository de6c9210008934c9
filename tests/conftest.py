"""Shared fixtures: a simulated modem on a real pty in a subprocess, and a CLI runner."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import serial

REPO = Path(__file__).resolve().parent.parent


@dataclass
class RunningSimulator:
    port: str
    control: Path
    process: subprocess.Popen[str]

    def control_send(self, event: dict) -> str:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(5)
            sock.connect(str(self.control))
            sock.sendall((json.dumps(event) + "\n").encode())
            answer = b""
            while not answer.endswith(b"\n"):
                chunk = sock.recv(4096)
                if not chunk:
                    break
                answer += chunk
        return answer.decode().strip()


def start_simulator(
    tmp_path: Path, vendor: str = "quectel", scenario: Path | None = None, *extra: str
) -> RunningSimulator:
    control = tmp_path / f"sim-{vendor}.sock"
    cmd = [sys.executable, "-m", "agent", "simulate", "--vendor", vendor, "--control", str(control)]
    if scenario is not None:
        cmd += ["--scenario", str(scenario)]
    cmd += list(extra)
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.startswith("port: "):
        proc.kill()
        _, errors = proc.communicate(timeout=5)
        raise AssertionError(f"simulator did not start: {line!r} {errors}")
    return RunningSimulator(port=line[len("port: ") :].strip(), control=control, process=proc)


def stop_simulator(sim: RunningSimulator) -> None:
    if sim.process.poll() is None:
        sim.process.terminate()
        try:
            sim.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            sim.process.kill()
            sim.process.wait(timeout=5)
    for stream in (sim.process.stdout, sim.process.stderr):
        if stream is not None:
            stream.close()


@pytest.fixture
def simulator(tmp_path: Path) -> Iterator[RunningSimulator]:
    sim = start_simulator(tmp_path, "quectel")
    yield sim
    stop_simulator(sim)


@pytest.fixture
def generic_simulator(tmp_path: Path) -> Iterator[RunningSimulator]:
    sim = start_simulator(tmp_path, "generic")
    yield sim
    stop_simulator(sim)


def run_cli(
    *args: str, env: dict[str, str] | None = None, timeout: float = 30
) -> subprocess.CompletedProcess[str]:
    """`python -m agent ARGS` as a user runs it: a separate process, logs on stderr."""
    full_env = {**os.environ, **(env or {})}
    full_env.setdefault("POSAGENT_CONFIG", "")
    return subprocess.run(
        [sys.executable, "-m", "agent", *args],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=REPO,
        timeout=timeout,
    )


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    """A config with a state_dir in tmp: tests never touch /var/lib or /etc."""
    config = tmp_path / "config.yaml"
    config.write_text(
        f"state_dir: {tmp_path / 'state'}\nmodem:\n  interface: null\n", encoding="utf-8"
    )
    return {"POSAGENT_CONFIG": str(config)}


def record_commands(channel: Any) -> list[str]:
    """The AT commands sent through ``channel`` from now on, in order (the channel's
    ``command`` is wrapped; what it answers is unchanged)."""
    sent: list[str] = []
    original = channel.command

    def recording(cmd: str, **kw: Any) -> Any:
        sent.append(cmd)
        return original(cmd, **kw)

    channel.command = recording
    return sent


@pytest.fixture
def open_sim() -> Iterator[Any]:
    """``open_sim(vendor)``: an initialised AtChannel on the in-process ``sim://vendor``;
    every channel opened is closed after the test."""
    from drivers.at.channel import AtChannel
    from drivers.simulator import register

    opened: list[AtChannel] = []

    def make(vendor: str) -> AtChannel:
        register()
        port = serial.serial_for_url(f"sim://{vendor}", timeout=0.05)
        channel = AtChannel(port, timeout=1.0, name=f"sim://{vendor}")
        channel.initialize()
        opened.append(channel)
        return channel

    yield make
    for channel in opened:
        channel.close()


@pytest.fixture
def driver() -> Iterator[Any]:
    """The in-process simulated Quectel, connected as posagent connects (a test module
    that needs another driver defines its own ``driver``)."""
    from drivers.connect import ModemOptions, connect

    modem = connect(ModemOptions(port="sim://quectel", timeout=1.0))
    yield modem
    modem.channel.close()
