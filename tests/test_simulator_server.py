"""The simulator served on a real pty and TCP, seen through raw pyserial, plus the control
socket and ``python -m drivers.simulator`` as a subprocess."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import serial

from drivers.simulator.modem import SimulatedModem
from drivers.simulator.scenario import Scenario
from drivers.simulator.server import ControlServer, PtySimulator, TcpSimulator, parse_hostport

REPO = Path(__file__).resolve().parent.parent


def read_until(port: serial.SerialBase, end: bytes, timeout: float = 2.0) -> bytes:
    data = b""
    deadline = time.monotonic() + timeout
    while not data.endswith(end) and time.monotonic() < deadline:
        data += port.read(1)
    return data


def wait_for(predicate, timeout: float = 2.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return False


@pytest.fixture
def pty_sim(tmp_path: Path) -> Iterator[PtySimulator]:
    sim = PtySimulator(SimulatedModem("quectel"), link=str(tmp_path / "ttySIM"))
    sim.start()
    yield sim
    sim.stop()


def apply(sim: PtySimulator | TcpSimulator, event: dict) -> None:
    with sim.lock:
        sim.modem.apply(event)
    sim.wake()


def test_pty_echo_and_answers(pty_sim: PtySimulator) -> None:
    assert os.path.realpath(pty_sim.port) == pty_sim.device
    with serial.Serial(pty_sim.port, 115200, timeout=0.5) as port:
        port.write(b"AT+CSQ\r")
        assert read_until(port, b"OK\r\n") == b"AT+CSQ\r\r\n+CSQ: 20,99\r\n\r\nOK\r\n"
        port.write(b"ATE0\r")
        assert read_until(port, b"OK\r\n") == b"ATE0\r\r\nOK\r\n"
        port.write(b"AT+COPS=3,2;+COPS?\r")
        assert read_until(port, b"OK\r\n") == b'\r\n+COPS: 0,2,"46000",7\r\n\r\nOK\r\n'
        apply(pty_sim, {"garbage": 40})
        assert len(read_until(port, b"never", timeout=0.3)) == 40
        port.write(b"AT+CPIN?\r")  # the line discipline must not have touched \r or echoed
        assert read_until(port, b"OK\r\n") == b"\r\n+CPIN: READY\r\n\r\nOK\r\n"


def test_pty_latency_is_honoured(pty_sim: PtySimulator) -> None:
    apply(pty_sim, {"latency": 0.3, "echo": False})
    with serial.Serial(pty_sim.port, timeout=0.15) as port:
        start = time.monotonic()
        port.write(b"AT\r")
        assert port.read(6) == b""
        assert read_until(port, b"OK\r\n") == b"\r\nOK\r\n"
        assert 0.25 <= time.monotonic() - start < 1.5


def test_pty_hang_then_replug(pty_sim: PtySimulator) -> None:
    with serial.Serial(pty_sim.port, timeout=0.2) as port:
        apply(pty_sim, {"event": "hang"})
        port.write(b"AT\r")
        assert port.read(20) == b""
        apply(pty_sim, {"event": "replug"})
        assert wait_for(lambda: pty_sim.serving == 1)
        # The old pty is gone: the client sees an error, as after a USB re-enumeration.
        with pytest.raises(serial.SerialException):
            port.write(b"AT\r")
            port.read(1)
    # The new pty may reuse the number; the link always points at the live one.
    assert os.path.realpath(pty_sim.port) == pty_sim.device
    with serial.Serial(pty_sim.port, timeout=0.5) as port:
        port.write(b"AT\r")
        assert read_until(port, b"OK\r\n") == b"AT\r\r\nOK\r\n"


def test_pty_unplug_gives_the_client_an_error_and_removes_the_link(pty_sim: PtySimulator) -> None:
    with serial.Serial(pty_sim.port, timeout=0.5) as port:
        apply(pty_sim, {"event": "unplug"})
        assert wait_for(lambda: pty_sim.serving is None)
        assert not os.path.lexists(pty_sim.port)
        with pytest.raises(serial.SerialException):
            port.write(b"AT\r")
            port.read(1)


def test_pty_reset_keeps_saved_quectel_counters(pty_sim: PtySimulator) -> None:
    apply(pty_sim, {"rx_bytes": 5000, "tx_bytes": 700})
    with serial.Serial(pty_sim.port, timeout=0.5) as port:
        port.write(b"ATE0;+QGDCNT=1\r")
        assert read_until(port, b"OK\r\n").endswith(b"\r\nOK\r\n")
        apply(pty_sim, {"rx_bytes": 9000, "event": "reset"})
        boot = read_until(port, b"PB DONE\r\n")
        assert boot == (
            b"\r\nRDY\r\n\r\n+CFUN: 1\r\n\r\n+CPIN: READY\r\n\r\n+QUSIM: 1\r\n"
            b"\r\n+QIND: SMS DONE\r\n\r\n+QIND: PB DONE\r\n"
        )
        port.write(b"AT+QGDCNT?\r")
        assert read_until(port, b"OK\r\n") == b"AT+QGDCNT?\r\r\n+QGDCNT: 700,5000\r\n\r\nOK\r\n"


def test_pty_timeline_runs_in_real_time(tmp_path: Path) -> None:
    scenario = Scenario.from_dict({"timeline": [{"at": 0.2, "urc": "+CREG: 5"}]})
    sim = PtySimulator(SimulatedModem("generic", scenario))
    sim.start()
    try:
        with serial.Serial(sim.port, timeout=0.1) as port:
            assert read_until(port, b"+CREG: 5\r\n", timeout=2) == b"\r\n+CREG: 5\r\n"
    finally:
        sim.stop()


def test_tcp_one_client_unplug_and_replug() -> None:
    sim = TcpSimulator(SimulatedModem("generic"), "127.0.0.1", 0)
    url = sim.start()
    assert url.startswith("socket://127.0.0.1:")
    try:
        port = serial.serial_for_url(url, timeout=0.5)
        port.write(b"ATI\r")
        assert read_until(port, b"OK\r\n").startswith(b"ATI\r\r\nManufacturer: Generic\r\n")
        host, number = parse_hostport(url.removeprefix("socket://"))
        second = socket.create_connection((host, number), timeout=1)
        assert second.recv(10) == b""  # refused by closing: the port has one user
        second.close()
        apply(sim, {"event": "unplug"})
        # pyserial's socket:// raises SerialException on EOF but lets a reset through as is.
        with pytest.raises((serial.SerialException, ConnectionResetError)):
            for _ in range(20):
                port.read(1)
        port.close()
        assert wait_for(lambda: sim.serving is None)
        assert _refused(host, number)  # the listener is gone too
        apply(sim, {"event": "replug"})
        assert wait_for(lambda: sim.serving == 1)
        port = serial.serial_for_url(url, timeout=0.5)
        port.write(b"AT\r")
        assert read_until(port, b"OK\r\n").endswith(b"AT\r\r\nOK\r\n")
        port.close()
    finally:
        sim.stop()


def _refused(host: str, number: int) -> bool:
    try:
        socket.create_connection((host, number), timeout=0.5).close()
    except ConnectionRefusedError:
        return True
    return False


def test_control_socket_answers_ok_and_errors(tmp_path: Path) -> None:
    modem = SimulatedModem("generic")
    control = ControlServer(str(tmp_path / "ctl"), modem, lock=threading.RLock())
    control.start()
    try:
        with socket.socket(socket.AF_UNIX) as sock:
            sock.settimeout(2)
            sock.connect(control.path)
            reader = sock.makefile("rb")
            answers = []
            for request in [
                b'{"csq": 9}',
                b'{"rx_bytes": 5000000}',
                b'{"colour": 1}',
                b"not json",
                b"[1]",
                b'{"at": 3, "csq": 1}',
                b'{"event": "reset"}',
            ]:
                sock.sendall(request + b"\n")
                answers.append(reader.readline())
        assert answers[:2] == [b"ok\n", b"ok\n"]
        assert answers[2] == b"error: colour: unknown key\n"
        assert answers[3].startswith(b"error: not JSON")
        assert answers[4] == b"error: expected a JSON object\n"
        assert answers[5].startswith(b"error: at:")
        assert answers[6] == b"ok\n"
        assert modem.state.csq == 9
        assert modem.counters() == (0, 0)  # the reset came after the 5 MB
    finally:
        control.stop()
    assert not (tmp_path / "ctl").exists()


def test_control_socket_get_reads_state_keys(tmp_path: Path) -> None:
    modem = SimulatedModem("generic")
    control = ControlServer(str(tmp_path / "ctl"), modem, lock=threading.RLock())
    assert control.handle_line('{"rx_bytes": 7000, "csq": 12}') == "ok"
    assert json.loads(control.handle_line('{"get": ["rx_bytes", "csq", "sent_sms"]}')) == {
        "rx_bytes": 7000,
        "csq": 12,
        "sent_sms": [],
    }
    assert json.loads(control.handle_line('{"get": "iccid"}')) == {"iccid": modem.state.iccid}
    assert control.handle_line('{"get": "colour"}').startswith("error: get: not a state key")
    assert control.handle_line('{"get": [], "csq": 1}') == "error: get: ask on a line of its own"
    assert modem.state.csq == 12


def test_python_m_simulator_prints_one_port_line_and_exits_0_on_sigterm(tmp_path: Path) -> None:
    link, ctl = tmp_path / "ttyQ", tmp_path / "ctl"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "drivers.simulator",
            "--vendor",
            "quectel",
            "--link",
            str(link),
            "--control",
            str(ctl),
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert first == f"port: {link}\n".encode()
        assert wait_for(ctl.exists)
        with serial.Serial(str(link), timeout=0.5) as port:
            with socket.socket(socket.AF_UNIX) as sock:
                sock.settimeout(2)
                sock.connect(str(ctl))
                sock.sendall(b'{"csq": 4}\n')
                assert sock.makefile("rb").readline() == b"ok\n"
            port.write(b"AT+CSQ\r")
            assert read_until(port, b"OK\r\n") == b"AT+CSQ\r\r\n+CSQ: 4,99\r\n\r\nOK\r\n"
        proc.send_signal(signal.SIGTERM)
        rest, _ = proc.communicate(timeout=10)
        assert proc.returncode == 0
        assert rest == b""  # exactly one line on stdout
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert not link.exists()


def test_python_m_simulator_rejects_an_unknown_vendor() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "drivers.simulator", "--vendor", "nokia"],
        cwd=REPO,
        capture_output=True,
        timeout=20,
    )
    assert result.returncode == 2
    assert result.stdout == b""
    assert b"unknown vendor 'nokia'" in result.stderr
