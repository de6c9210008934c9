"""A real mosquitto broker on a free loopback port, for the MQTT sink's tests.

``broker(tmp_path)`` starts ``mosquitto -c <config>`` with a minimal configuration (a plain
listener, and a TLS one when certificates are given), waits until it accepts connections and
stops it afterwards. Without the mosquitto binary the test fails when ``CI=true`` (CI must
run it) and is skipped elsewhere.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

START_TIMEOUT = 10.0


@dataclass(frozen=True)
class Broker:
    host: str
    port: int
    tls_port: int | None
    process: subprocess.Popen[bytes]
    log: Path


def mosquitto_binary() -> str:
    """The broker's path; fails (CI) or skips (elsewhere) the test when it is missing."""
    found = shutil.which("mosquitto") or next(
        (p for p in ("/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto") if os.access(p, os.X_OK)),
        None,
    )
    if found:
        return found
    reason = "mosquitto is not installed (Debian: apt-get install mosquitto)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(reason)
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_listening(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"mosquitto exited with {process.returncode}: {log.read_text()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"mosquitto did not listen on {port} within {START_TIMEOUT} s")


@contextmanager
def broker(
    tmp_path: Path,
    *,
    port: int | None = None,
    certfile: Path | None = None,
    keyfile: Path | None = None,
) -> Iterator[Broker]:
    """A running broker; ``port`` to come up where a client already tries to connect."""
    binary = mosquitto_binary()
    port = port or free_port()
    lines = [
        f"listener {port} 127.0.0.1",
        "allow_anonymous true",
        "persistence false",
        "log_dest stderr",
        "log_type error",
        "log_type warning",
    ]
    if os.geteuid() == 0:
        # As root, mosquitto switches to its own user before reading the certificates, which
        # then cannot enter pytest's private (0700) temporary directories.
        lines.append("user root")
    tls_port = None
    if certfile is not None and keyfile is not None:
        tls_port = free_port()
        lines += [f"listener {tls_port} 127.0.0.1", f"certfile {certfile}", f"keyfile {keyfile}"]
    config = tmp_path / "mosquitto.conf"
    config.write_text("\n".join(lines) + "\n")
    log = tmp_path / "mosquitto.log"
    with open(log, "wb") as err:
        process = subprocess.Popen(
            [binary, "-c", str(config)], stdout=subprocess.DEVNULL, stderr=err
        )
    try:
        _wait_listening(port, process, log)
        if tls_port is not None:
            _wait_listening(tls_port, process, log)
        yield Broker("127.0.0.1", port, tls_port, process, log)
    finally:
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
