"""The in-process ``sim://`` port through pyserial's own `serial_for_url`."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import serial

from drivers.simulator import register
from drivers.simulator.modem import SimulatedModem

register()


def exchange(port: serial.SerialBase, command: bytes, until: bytes = b"OK\r\n") -> bytes:
    port.write(command)
    data = b""
    deadline = time.monotonic() + 2
    while not data.endswith(until) and time.monotonic() < deadline:
        data += port.read(1)
    return data


def test_register_is_idempotent() -> None:
    register()
    register()
    assert serial.protocol_handler_packages.count("drivers.simulator") == 1


def test_quectel_answers_csq() -> None:
    port = serial.serial_for_url("sim://quectel", timeout=1)
    assert exchange(port, b"AT+CSQ\r") == b"AT+CSQ\r\r\n+CSQ: 20,99\r\n\r\nOK\r\n"
    assert exchange(port, b"AT+CGMI\r") == b"AT+CGMI\r\r\nQuectel\r\n\r\nOK\r\n"
    port.close()


def test_read_times_out_like_a_real_port() -> None:
    port = serial.serial_for_url("sim://generic", timeout=0.2)
    start = time.monotonic()
    assert port.read(10) == b""
    elapsed = time.monotonic() - start
    assert 0.18 <= elapsed < 1.0
    port.timeout = 0
    assert port.read(10) == b""
    port.write(b"AT\r")
    assert port.in_waiting == len(b"AT\r\r\nOK\r\n")
    port.timeout = 0.2
    assert port.read(100) == b"AT\r\r\nOK\r\n"  # returns what came within the timeout


def test_latency_option_delays_the_answer() -> None:
    port = serial.serial_for_url("sim://generic?latency=0.3", timeout=0.1)
    port.write(b"ATE0\r")
    assert port.read(100) == b"ATE0\r"  # echo at once, the answer not yet
    port.timeout = 1
    start = time.monotonic()
    assert port.read(6) == b"\r\nOK\r\n"
    assert time.monotonic() - start < 0.5


def test_scenario_option(tmp_path: Path) -> None:
    scenario = tmp_path / "s.yaml"
    scenario.write_text("sim: absent\n")
    port = serial.serial_for_url(f"sim://quectel?scenario={scenario}", timeout=1)
    out = exchange(port, b"AT+CPIN?\r", b"ERROR: 10\r\n")
    assert out == b"AT+CPIN?\r\r\n+CME ERROR: 10\r\n"


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("sim://nokia", "unknown vendor 'nokia'"),
        ("sim://generic?speed=9", "unknown option 'speed'"),
        ("sim://generic?latency=x", "latency"),
        ("sim://generic?scenario=/nonexistent/s.yaml", "cannot read"),
    ],
)
def test_bad_urls_raise_serial_exception(url: str, fragment: str) -> None:
    with pytest.raises(serial.SerialException, match=fragment):
        serial.serial_for_url(url)


def test_unplug_raises_until_reopened_after_replug() -> None:
    port = serial.serial_for_url("sim://quectel", timeout=0.2)
    port.modem.apply({"event": "unplug"})
    with pytest.raises(serial.SerialException):
        port.write(b"AT\r")
    with pytest.raises(serial.SerialException):
        port.read(1)
    port.close()
    with pytest.raises(serial.SerialException):
        port.open()  # the device is gone
    port.modem.apply({"event": "replug"})
    port.open()
    assert exchange(port, b"AT\r") == b"AT\r\r\nOK\r\n"


def test_injected_modem_and_clock() -> None:
    now = [0.0]
    modem = SimulatedModem("quectel", clock=lambda: now[0])
    modem.apply({"traffic_bps": 100, "latency": 0})
    port = serial.serial_for_url("sim://quectel", modem=modem, timeout=0.5)
    now[0] = 10.0
    assert exchange(port, b"AT+QGDCNT?\r") == b"AT+QGDCNT?\r\r\n+QGDCNT: 200,800\r\n\r\nOK\r\n"
