"""StatusFileSink and the atomic write under it."""

from __future__ import annotations

import json
import os
import stat
import threading
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from agent.atomic import write_atomic
from agent.sinks.base import Sink
from agent.sinks.statusfile import StatusFileSink

STATUS = {
    "status": "warning",
    "time": "2026-11-23T08:00:00+08:00",
    "modem": {"imei": "866123456789012", "model": "EC25"},
    "sim": {"iccid": "89860412345678901234", "state": "ready", "imsi": None},
    "findings": [{"code": "data_low", "severity": "warning", "message": "已用 81 %"}],
}


def test_writes_the_status_object_with_mode_0644_creating_the_directory(tmp_path: Path) -> None:
    path = tmp_path / "run" / "posagent" / "status.json"
    sink = StatusFileSink(path)
    assert isinstance(sink, Sink)
    sink.publish_status(STATUS)
    assert json.loads(path.read_text(encoding="utf-8")) == STATUS
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert os.listdir(path.parent) == ["status.json"]  # no temporary file left behind


def test_every_poll_rewrites_it(tmp_path: Path) -> None:
    path = tmp_path / "status.json"
    sink = StatusFileSink(path)
    sink.publish_status(STATUS)
    sink.publish_status({**STATUS, "time": "2026-11-23T08:01:00+08:00"})
    assert json.loads(path.read_text())["time"] == "2026-11-23T08:01:00+08:00"


def test_a_reader_never_sees_a_partial_file(tmp_path: Path) -> None:
    path = tmp_path / "status.json"
    big = {**STATUS, "padding": "x" * 200_000}
    sink = StatusFileSink(path)
    sink.publish_status(big)
    stop = threading.Event()
    bad: list[str] = []

    def read() -> None:
        while not stop.is_set():
            try:
                json.loads(path.read_text())
            except ValueError as err:
                bad.append(str(err))

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for n in range(30):
            sink.publish_status({**big, "n": n})
    finally:
        stop.set()
        reader.join(10)
    assert bad == []


def test_failure_is_logged_once_and_recovery_once(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    sink = StatusFileSink(blocker / "status.json")
    with capture_logs() as logs:
        sink.publish_status(STATUS)
        sink.publish_status(STATUS)  # never raises into the poll loop
        blocker.unlink()
        sink.publish_status(STATUS)
    assert [e["event"] for e in logs] == ["status_file_write_failed", "status_file_write_recovered"]
    assert json.loads((blocker / "status.json").read_text()) == STATUS


def test_write_atomic_failure_leaves_the_old_content_and_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "f.json"
    write_atomic(path, b"old")

    def broken_replace(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="No space"):
        write_atomic(path, b"new")
    assert path.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["f.json"]
