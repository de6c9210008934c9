"""Opening ports (drivers/at/transport.py): typed errors instead of tracebacks."""

from __future__ import annotations

import errno
import os
import sys
from pathlib import Path

import pytest
import serial

sys.path.insert(0, os.path.dirname(__file__))

from pty_responder import PtyResponder

from drivers.at.channel import AtChannel
from drivers.at.transport import DIALOUT_ADVICE, find_holders, open_port, translate_open_error
from drivers.errors import (
    PortBusy,
    PortError,
    PortNotFound,
    PortPermissionDenied,
)

pytestmark = pytest.mark.timeout(20)


def test_missing_device_is_port_not_found(tmp_path: Path) -> None:
    missing = str(tmp_path / "ttyUSB9")
    with pytest.raises(PortNotFound) as info:
        open_port(missing)
    assert info.value.port == missing
    assert isinstance(info.value.__cause__, serial.SerialException)


def test_unknown_url_scheme_is_port_not_found() -> None:
    with pytest.raises(PortNotFound) as info:
        open_port("nosuchscheme://whatever")
    assert "nosuchscheme" in str(info.value)


def test_not_a_tty_is_a_plain_port_error(tmp_path: Path) -> None:
    regular = tmp_path / "file"
    regular.write_bytes(b"")
    with pytest.raises(PortError) as info:
        open_port(str(regular))
    assert type(info.value) is PortError


def test_refused_tcp_url_is_a_port_error() -> None:
    with pytest.raises(PortError):
        open_port("socket://127.0.0.1:1")


@pytest.mark.parametrize(
    "exc",
    [
        serial.SerialException(errno.EACCES, "could not open port /dev/ttyUSB2: [Errno 13]"),
        OSError(errno.EACCES, "Permission denied"),
        PermissionError(errno.EPERM, "Operation not permitted"),
    ],
)
def test_permission_denied_translation(exc: BaseException) -> None:
    error = translate_open_error("/dev/ttyUSB2", exc)
    assert type(error) is PortPermissionDenied
    assert DIALOUT_ADVICE in str(error)
    assert "sudo usermod -aG dialout $USER" in str(error)


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (serial.SerialException(errno.ENOENT, "could not open port"), PortNotFound),
        (OSError(errno.ENODEV, "No such device"), PortNotFound),
        (serial.SerialException(errno.EBUSY, "could not open port"), PortBusy),
        (
            serial.SerialException(errno.EWOULDBLOCK, "Could not exclusively lock port x"),
            PortBusy,
        ),
        (serial.SerialException("Could not configure port: (5, 'Input/output error')"), PortError),
        (OSError(errno.EIO, "Input/output error"), PortError),
    ],
)
def test_errno_translation(exc: BaseException, kind: type) -> None:
    # os.devnull exists, so only the errno decides (a missing path is PortNotFound anyway).
    assert type(translate_open_error(os.devnull, exc)) is kind


def test_error_without_errno_on_a_missing_path_is_not_found(tmp_path: Path) -> None:
    exc = serial.SerialException("Could not configure port")
    assert type(translate_open_error(str(tmp_path / "gone"), exc)) is PortNotFound


def test_errno_found_on_the_cause() -> None:
    outer = serial.SerialException("wrapped")
    outer.__cause__ = OSError(errno.EACCES, "Permission denied")
    assert type(translate_open_error("/dev/ttyUSB2", outer)) is PortPermissionDenied


def test_open_pty_works_with_the_channel() -> None:
    with PtyResponder({b"AT+CSQ": b"\r\n+CSQ: 18,99\r\n\r\nOK\r\n"}) as responder:
        port = open_port(responder.path)
        try:
            assert port.is_open
            assert port.exclusive is True
            assert port.baudrate == 115200
            assert AtChannel(port).command("AT+CSQ").lines == ("+CSQ: 18,99",)
        finally:
            port.close()


def test_second_exclusive_open_is_busy_and_names_the_holder() -> None:
    with PtyResponder() as responder:
        first = open_port(responder.path)
        try:
            with pytest.raises(PortBusy) as info:
                open_port(responder.path)
            message = str(info.value)
            assert f"pid {os.getpid()}" in message
            comm = Path(f"/proc/{os.getpid()}/comm").read_text().strip()
            assert f"({comm})" in message
        finally:
            first.close()
        # Released on close: a new open succeeds.
        open_port(responder.path).close()


def test_find_holders_sees_this_process() -> None:
    with PtyResponder() as responder:
        port = serial.Serial(responder.path)
        try:
            pids = [pid for pid, _ in find_holders(responder.path)]
            assert os.getpid() in pids
        finally:
            port.close()


def test_find_holders_of_unused_path_is_empty(tmp_path: Path) -> None:
    assert find_holders(str(tmp_path / "nothing")) == []


def test_loop_url_opens_without_exclusive() -> None:
    port = open_port("loop://")
    try:
        port.write(b"AT\r")
        assert port.read(3) == b"AT\r"
    finally:
        port.close()
