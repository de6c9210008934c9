"""HttpSink against a real HTTPS receiver on loopback, with a certificate from trustme."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import trustme
from https_receiver import HttpsReceiver
from structlog.testing import capture_logs

from agent.config.settings import HttpSettings
from agent.outbox import Outbox
from agent.sinks.base import Report
from agent.sinks.http import HttpSink

T0 = datetime(2026, 11, 23, 8, 0, tzinfo=timezone(timedelta(hours=8)))
TOKEN = "s3cr3t-TOKEN-value"


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def ca_file(ca: trustme.CA, tmp_path: Path) -> Path:
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return path


@pytest.fixture
def receiver(ca: trustme.CA) -> Iterator[HttpsReceiver]:
    r = HttpsReceiver(ca, "/hook?fleet=7")
    r.up()
    yield r
    r.down()


@pytest.fixture
def token_file(tmp_path: Path) -> Path:
    path = tmp_path / "token"
    path.write_text(TOKEN + "\n")
    return path


class Clock:
    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


def alert(n: int) -> Report:
    return Report(
        kind="alert",
        id=f"866123/data:{n}:raise:{n}",
        created=T0 + timedelta(minutes=n),
        body={"event": "raise", "code": "data_low", "severity": "warning", "facts": {"n": n}},
    )


def heartbeat(n: int) -> Report:
    return Report(
        kind="heartbeat", id=f"hb-{n}", created=T0 + timedelta(hours=n), body={"status": "ok"}
    )


def make_sink(
    url: str, ca_file: Path, state: Path, token_file: Path | None, clock: Clock, **kw: object
) -> HttpSink:
    settings = HttpSettings(url=url, token_file=token_file, ca_file=ca_file)
    return HttpSink(
        settings, Outbox(state / "outbox.sqlite3"), clock=clock, random=lambda: 1.0, **kw
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_delivers_one_compact_post_with_token_and_idempotency_key(
    receiver: HttpsReceiver, ca_file: Path, token_file: Path, tmp_path: Path
) -> None:
    sink = make_sink(receiver.url, ca_file, tmp_path, token_file, Clock())
    report = alert(1)
    sink.deliver(report)
    assert len(receiver.received) == 1
    got = receiver.received[0]
    assert got.path == "/hook?fleet=7"
    assert got.headers["authorization"] == f"Bearer {TOKEN}"
    assert got.headers["idempotency-key"] == report.id
    assert got.headers["content-type"] == "application/json"
    assert json.loads(got.body) == report.to_json()
    assert b" " not in got.body and b"\n" not in got.body  # compact separators
    assert len(sink.outbox) == 0
    sink.close()


def test_tls_session_is_resumed_on_the_next_connection(
    receiver: HttpsReceiver, ca_file: Path, tmp_path: Path
) -> None:
    sink = make_sink(receiver.url, ca_file, tmp_path, None, Clock())
    for n in range(3):
        sink.deliver(heartbeat(n))
    assert [r.tls_resumed for r in receiver.received] == [False, True, True]
    assert "authorization" not in receiver.received[0].headers  # no token_file, no header
    sink.close()


def test_without_resumption_every_connection_is_a_full_handshake(
    receiver: HttpsReceiver, ca_file: Path, tmp_path: Path
) -> None:
    sink = make_sink(receiver.url, ca_file, tmp_path, None, Clock(), resume_tls=False)
    sink.deliver(heartbeat(1))
    sink.deliver(heartbeat(2))
    assert [r.tls_resumed for r in receiver.received] == [False, False]
    sink.close()


def test_wrong_ca_delivers_nothing_and_keeps_the_report(
    receiver: HttpsReceiver, tmp_path: Path, token_file: Path
) -> None:
    other = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(other))
    clock = Clock()
    sink = make_sink(receiver.url, other, tmp_path, token_file, clock)
    with capture_logs() as logs:
        sink.deliver(alert(1))
    assert receiver.received == []
    assert sink.outbox.ids() == [alert(1).id]
    failed = [e for e in logs if e["event"] == "report_delivery_failed"]
    assert failed and "TLS verification failed" in failed[0]["error"]
    assert TOKEN not in repr(logs)
    sink.close()


def test_system_trust_store_does_not_trust_a_private_ca(
    receiver: HttpsReceiver, tmp_path: Path
) -> None:
    settings = HttpSettings(url=receiver.url)  # no ca_file: the system's CAs only
    sink = HttpSink(settings, Outbox(tmp_path / "o.sqlite3"), clock=Clock())
    sink.deliver(alert(1))
    assert receiver.received == [] and len(sink.outbox) == 1
    sink.close()


def test_plain_http_url_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="https://"):
        HttpSink(HttpSettings(url="http://example.com/x"), Outbox(tmp_path / "o.sqlite3"))


def test_token_is_reread_after_401_and_never_logged(
    receiver: HttpsReceiver, ca_file: Path, token_file: Path, tmp_path: Path
) -> None:
    receiver.answer = lambda r: 200 if r.headers.get("authorization") == "Bearer rotated" else 401
    clock = Clock()
    sink = make_sink(receiver.url, ca_file, tmp_path, token_file, clock)
    with capture_logs() as logs:
        sink.deliver(alert(1))
        assert receiver.received == [] and len(sink.outbox) == 1
        token_file.write_text("rotated\n")
        clock.now += 30  # random=1.0: the first wait is exactly 30 s
        sink.pump()
    assert len(receiver.received) == 1
    assert receiver.received[0].headers["authorization"] == "Bearer rotated"
    assert [e["status"] for e in logs if e["event"] == "report_delivery_failed"] == [401]
    assert TOKEN not in repr(logs) and "rotated" not in repr(logs)
    assert TOKEN not in repr(sink) and TOKEN not in repr(vars(sink))
    sink.close()


def test_client_error_drops_the_report_and_the_queue_moves_on(
    receiver: HttpsReceiver, ca_file: Path, tmp_path: Path
) -> None:
    receiver.answer = lambda r: 422 if b"data:1:" in r.body else 200
    receiver.down()
    clock = Clock()
    sink = make_sink(receiver.url, ca_file, tmp_path, None, clock)
    sink.deliver(alert(1))
    sink.deliver(alert(2))
    assert len(sink.outbox) == 2
    receiver.up()
    clock.now += 3600
    with capture_logs() as logs:
        sink.pump()
    assert [b["id"] for b in receiver.bodies()] == [alert(2).id]
    assert len(sink.outbox) == 0
    dropped = [e for e in logs if e["event"] == "report_dropped"]
    assert dropped == [
        {
            "event": "report_dropped",
            "log_level": "error",
            "id": alert(1).id,
            "kind": "alert",
            "status": 422,
            "error": '{"error":"no"}',
        }
    ]
    sink.close()


@pytest.mark.parametrize("status", [500, 503, 408, 429, 302])
def test_server_errors_and_throttling_are_retried(
    receiver: HttpsReceiver, ca_file: Path, tmp_path: Path, status: int
) -> None:
    answers = iter([status])
    receiver.answer = lambda _r: next(answers, 200)
    clock = Clock()
    sink = make_sink(receiver.url, ca_file, tmp_path, None, clock)
    sink.deliver(alert(1))
    assert receiver.received == [] and len(sink.outbox) == 1
    clock.now += 29
    sink.pump()  # not yet due
    assert receiver.received == []
    clock.now += 1
    sink.pump()
    assert [b["id"] for b in receiver.bodies()] == [alert(1).id]
    sink.close()


def test_backoff_doubles_to_the_cap_with_jitter(ca_file: Path, tmp_path: Path) -> None:
    clock = Clock()
    url = f"https://127.0.0.1:{free_port()}/"  # nobody listens: connection refused
    settings = HttpSettings(url=url, ca_file=ca_file)
    sink = HttpSink(settings, Outbox(tmp_path / "o.sqlite3"), clock=clock, random=lambda: 0.0)
    sink.deliver(alert(1))
    waits = []
    for _ in range(9):
        due = sink.outbox.next_attempt()
        assert due is not None
        waits.append(due - clock.now)
        clock.now = due
        sink.pump()
    # random=0.0 takes half of each step: 30 s doubling to the 1 h cap.
    assert waits == [15, 30, 60, 120, 240, 480, 960, 1800, 1800]
    assert sink.outbox.attempts(alert(1).id) == 10
    sink.close()


def test_receiver_down_then_back_gets_everything_once_in_order(
    receiver: HttpsReceiver, ca_file: Path, tmp_path: Path, token_file: Path
) -> None:
    receiver.down()
    clock = Clock()
    sink = make_sink(receiver.url, ca_file, tmp_path, token_file, clock)
    sent = [alert(1), heartbeat(2), alert(3), heartbeat(4), alert(5)]
    for report in sent:
        sink.deliver(report)
        clock.now += 600
        sink.pump()
    assert receiver.received == [] and len(sink.outbox) == 5
    receiver.up()
    clock.now += 7200
    sink.pump()
    clock.now += 100
    sink.pump()  # a second pump finds nothing more to send
    assert [b["id"] for b in receiver.bodies()] == [r.id for r in sent]
    assert len(sink.outbox) == 0
    sink.close()


def test_restart_mid_outage_loses_and_repeats_nothing(
    receiver: HttpsReceiver, ca_file: Path, tmp_path: Path, token_file: Path
) -> None:
    receiver.down()
    clock = Clock()
    sink = make_sink(receiver.url, ca_file, tmp_path, token_file, clock)
    first = [alert(1), heartbeat(2), alert(3)]
    for report in first:
        sink.deliver(report)
    sink.close()  # the agent stops during the outage

    sink = make_sink(receiver.url, ca_file, tmp_path, token_file, clock)
    later = [heartbeat(4), alert(5)]
    for report in later:
        sink.deliver(report)
    sink.deliver(alert(3))  # re-offered after the restart: already queued, not doubled
    receiver.up()
    clock.now += 7200
    sink.pump()
    assert [b["id"] for b in receiver.bodies()] == [r.id for r in first + later]
    sink.close()

    sink = make_sink(receiver.url, ca_file, tmp_path, token_file, clock)
    clock.now += 99999
    sink.pump()
    assert len(receiver.received) == 5  # nothing left to send twice
    sink.close()


def test_alert_and_heartbeat_reports_from_real_values(tmp_path: Path) -> None:
    from agent.alerts import AlertEvent
    from agent.config.settings import ReportSettings
    from agent.findings import Severity
    from agent.sinks import alert_report, heartbeat_report, sinks_from_settings

    event = AlertEvent(
        kind="escalate",
        code="data_exhausted",
        severity=Severity.CRITICAL,
        message="30 MB used",
        facts={"used_pct": 100.0},
        key="data",
        since=T0,
        at=T0 + timedelta(hours=3),
        id="data:1795392000000:escalate:7",
    )
    r = alert_report(event, imei="866123456789012", iccid="89860412345678901234")
    assert r.id == "866123456789012/data:1795392000000:escalate:7"
    assert r.created == event.at
    assert r.body == {
        "event": "escalate",
        "code": "data_exhausted",
        "severity": "critical",
        "message": "30 MB used",
        "since": "2026-11-23T08:00:00+08:00",
        "iccid": "89860412345678901234",
        "imei": "866123456789012",
        "facts": {"used_pct": 100.0},
    }
    status = {"status": "ok", "modem": {"imei": "866123456789012", "model": None}, "findings": []}
    hb = heartbeat_report(status, T0)
    assert hb.id == "866123456789012/hb/1795392000"
    assert hb.body == {"status": "ok", "modem": {"imei": "866123456789012"}}
    assert heartbeat_report({"status": "ok"}, T0).id != heartbeat_report({"status": "ok"}, T0).id

    settings = ReportSettings(
        status_file=tmp_path / "s.json", http=HttpSettings(url="https://tms.example.com/p")
    )
    sinks = sinks_from_settings(settings, tmp_path)
    assert [s.name for s in sinks] == ["status_file", "http"]
    assert (tmp_path / "outbox.sqlite3").exists()
    for s in sinks:
        s.close()
