from __future__ import annotations

import socket
from pathlib import Path

from agent.sdnotify import Notifier


def test_notifies_a_real_datagram_socket(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "notify.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as server:
        server.bind(str(path))
        server.settimeout(2)
        monkeypatch.setenv("NOTIFY_SOCKET", str(path))
        monkeypatch.setenv("WATCHDOG_USEC", "20000000")
        notifier = Notifier()
        assert notifier.watchdog_interval == 10.0
        assert notifier.ready("polling /dev/ttyUSB2")
        assert server.recv(1024) == b"READY=1\nSTATUS=polling /dev/ttyUSB2"
        assert notifier.watchdog()
        assert server.recv(1024) == b"WATCHDOG=1"


def test_without_systemd_it_does_nothing(monkeypatch) -> None:
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    notifier = Notifier()
    assert not notifier.enabled
    assert notifier.ready() is False


def test_a_vanished_socket_is_not_an_error(tmp_path: Path) -> None:
    assert Notifier(str(tmp_path / "gone.sock")).watchdog() is False
