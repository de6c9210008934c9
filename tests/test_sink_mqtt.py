"""MqttSink against a real mosquitto broker, checked by a real paho subscriber."""

from __future__ import annotations

import json
import os
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import trustme
from mosquitto import Broker, broker, free_port

from agent.config.settings import MqttSettings
from agent.outbox import Outbox
from agent.sinks.base import Report, heartbeat_report
from agent.sinks.mqtt import MqttSink, MqttUnavailable, base_topic, significant

if os.environ.get("CI", "").lower() == "true":
    import paho.mqtt.client as mqtt  # CI installs the test extra: a missing paho must fail
else:
    mqtt = pytest.importorskip("paho.mqtt.client", reason="paho-mqtt is not installed")

IMEI = "866123456789012"
ICCID = "89860412345678901234"
T0 = datetime(2026, 11, 23, 8, 0, tzinfo=timezone(timedelta(hours=8)))
STATUS = {
    "status": "warning",
    "time": "2026-11-23T08:00:00+08:00",
    "modem": {"imei": IMEI, "model": "EC25", "revision": None},
    "sim": {"state": "ready", "iccid": ICCID, "imsi": None},
    "registration": {"state": "home"},
    "counters": {"rx_bytes": 100, "tx_bytes": 50},
    "findings": [{"code": "data_low", "severity": "warning", "message": "81 %"}],
}


def alert(n: int) -> Report:
    return Report(
        kind="alert",
        id=f"{IMEI}/data:{n}:raise:{n}",
        created=T0 + timedelta(minutes=n),
        body={"event": "raise", "code": "data_low", "severity": "warning", "imei": IMEI},
    )


def wait_until(predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


@dataclass
class Msg:
    topic: str
    payload: bytes
    retain: bool


class Subscriber:
    def __init__(self, port: int, topic: str = "posagent/#") -> None:
        self.messages: list[Msg] = []
        self._lock = threading.Lock()
        self._subscribed = threading.Event()
        client = mqtt.Client(callback_api_version=mqtt.CallbackAPIVersion.VERSION2)
        client.on_connect = lambda c, *_a: c.subscribe(topic, qos=1)
        client.on_subscribe = lambda *_a: self._subscribed.set()
        client.on_message = self._on_message
        client.connect("127.0.0.1", port, keepalive=30)
        client.loop_start()
        self.client = client
        assert self._subscribed.wait(5), "subscriber did not subscribe"

    def _on_message(self, _c: object, _u: object, msg: object) -> None:
        with self._lock:
            self.messages.append(Msg(msg.topic, msg.payload, bool(msg.retain)))  # type: ignore[attr-defined]

    def on(self, topic: str) -> list[Msg]:
        with self._lock:
            return [m for m in self.messages if m.topic == topic]

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def running(tmp_path: Path) -> Iterator[Broker]:
    with broker(tmp_path) as b:
        yield b


def make_sink(port: int, tmp_path: Path, **kw: object) -> MqttSink:
    settings = MqttSettings(host="127.0.0.1", port=port, tls=False)
    return MqttSink(settings, outbox=Outbox(tmp_path / "outbox-mqtt.sqlite3"), **kw)


def connected(sink: MqttSink) -> bool:
    return sink.client is not None and sink.client.is_connected()


def test_retained_status_and_online_flag(running: Broker, tmp_path: Path) -> None:
    sink = make_sink(running.port, tmp_path)
    sink.publish_status(STATUS)
    assert sink.topic == f"posagent/{IMEI}"
    assert wait_until(lambda: connected(sink))
    sink.publish_status(STATUS)  # unchanged: nothing new goes out
    time.sleep(0.2)
    late = Subscriber(running.port)  # subscribes after the fact: sees what is retained
    try:
        assert wait_until(lambda: late.on(f"posagent/{IMEI}/status") != [])
        assert wait_until(lambda: late.on(f"posagent/{IMEI}/online") != [])
        status = late.on(f"posagent/{IMEI}/status")
        assert len(status) == 1 and status[0].retain
        body = json.loads(status[0].payload)
        assert body["status"] == "warning" and body["modem"] == {"imei": IMEI, "model": "EC25"}
        assert "imsi" not in body["sim"]  # compact: nulls left out
        assert late.on(f"posagent/{IMEI}/online")[0].payload == b"1"
    finally:
        late.stop()
        sink.close()


def test_status_republished_on_significant_change_only(running: Broker, tmp_path: Path) -> None:
    sink = make_sink(running.port, tmp_path)
    sub = Subscriber(running.port)
    try:
        sink.publish_status(STATUS)
        topic = f"posagent/{IMEI}/status"
        assert wait_until(lambda: len(sub.on(topic)) == 1)
        sink.publish_status({**STATUS, "counters": {"rx_bytes": 999, "tx_bytes": 1}})
        sink.publish_status({**STATUS, "status": "critical", "findings": []})
        assert wait_until(lambda: len(sub.on(topic)) == 2)
        time.sleep(0.2)
        assert [json.loads(m.payload)["status"] for m in sub.on(topic)] == ["warning", "critical"]
    finally:
        sub.stop()
        sink.close()


def test_one_status_message_a_poll_even_with_a_heartbeat(running: Broker, tmp_path: Path) -> None:
    # The pipeline hands a poll's status to publish_status, then that poll's heartbeat to
    # deliver: a change and a heartbeat in the same poll are one message, not two.
    sink = make_sink(running.port, tmp_path)
    sub = Subscriber(running.port)
    topic = f"posagent/{IMEI}/status"
    beat = datetime(2026, 11, 24, 8, 0, tzinfo=timezone.utc)
    try:
        sink.publish_status(STATUS)
        assert wait_until(lambda: connected(sink) and len(sub.on(topic)) == 1)
        changed = {**STATUS, "status": "critical", "findings": [], "time": "t2"}
        sink.publish_status(changed)  # a significant change ...
        sink.deliver(heartbeat_report(changed, beat))  # ... and a heartbeat due: one message
        quiet = {**changed, "time": "t3"}
        sink.publish_status(quiet)  # nothing significant: no message ...
        sink.deliver(heartbeat_report(quiet, beat + timedelta(days=1)))  # ... the heartbeat's
        assert wait_until(lambda: len(sub.on(topic)) >= 3)
        time.sleep(0.3)
        assert [json.loads(m.payload)["time"] for m in sub.on(topic)] == [
            STATUS["time"],
            "t2",
            "t3",
        ]
    finally:
        sub.stop()
        sink.close()


def test_alerts_go_out_in_order_not_retained_and_leave_the_outbox(
    running: Broker, tmp_path: Path
) -> None:
    sink = make_sink(running.port, tmp_path)
    sub = Subscriber(running.port)
    try:
        sink.publish_status(STATUS)
        assert wait_until(lambda: connected(sink))
        for n in range(3):
            sink.deliver(alert(n))
        sink.pump()
        topic = f"posagent/{IMEI}/alert"
        assert wait_until(lambda: len(sub.on(topic)) == 3)
        assert [json.loads(m.payload)["id"] for m in sub.on(topic)] == [
            alert(n).id for n in range(3)
        ]
        assert json.loads(sub.on(topic)[0].payload) == alert(0).to_json()
        assert sink.outbox is not None and len(sink.outbox) == 0
    finally:
        sub.stop()
        sink.close()
    late = Subscriber(running.port)
    try:
        assert wait_until(lambda: late.on(f"posagent/{IMEI}/status") != [])
        assert late.on(f"posagent/{IMEI}/alert") == []  # alerts are events, not retained
    finally:
        late.stop()


def test_last_will_when_the_connection_dies(running: Broker, tmp_path: Path) -> None:
    sink = make_sink(running.port, tmp_path)
    sub = Subscriber(running.port)
    try:
        sink.publish_status(STATUS)
        online = f"posagent/{IMEI}/online"
        assert wait_until(lambda: [m.payload for m in sub.on(online)] == [b"1"])
        # No DISCONNECT packet: the broker sees the TCP connection end, as on a lost link.
        sink.client.socket().shutdown(socket.SHUT_RDWR)
        assert wait_until(lambda: b"0" in [m.payload for m in sub.on(online)])
        # paho reconnects by itself and says so.
        assert wait_until(lambda: [m.payload for m in sub.on(online)][-1:] == [b"1"], 10)
    finally:
        sub.stop()
        sink.close()


def test_clean_close_says_offline(running: Broker, tmp_path: Path) -> None:
    sink = make_sink(running.port, tmp_path)
    sink.publish_status(STATUS)
    assert wait_until(lambda: connected(sink))
    sink.close()
    late = Subscriber(running.port)
    try:
        online = f"posagent/{IMEI}/online"
        assert wait_until(lambda: late.on(online) != [])
        assert late.on(online)[0].payload == b"0"
    finally:
        late.stop()


def test_alerts_made_offline_survive_a_restart(tmp_path: Path) -> None:
    port = free_port()  # the broker is not up yet
    sink = make_sink(port, tmp_path)
    sink.publish_status(STATUS)
    sink.deliver(alert(1))
    sink.deliver(alert(2))
    sink.pump()
    assert sink.outbox is not None and sink.outbox.ids() == [alert(1).id, alert(2).id]
    sink.close()  # the agent stops before the link comes back

    with broker(tmp_path, port=port) as b:
        sub = Subscriber(b.port)
        sink = make_sink(port, tmp_path)
        try:
            sink.publish_status(STATUS)
            assert wait_until(lambda: connected(sink))
            sink.deliver(alert(3))
            topic = f"posagent/{IMEI}/alert"
            assert wait_until(lambda: (sink.pump(), len(sub.on(topic)))[1] >= 3)
            time.sleep(0.2)
            ids = [json.loads(m.payload)["id"] for m in sub.on(topic)]
            assert ids == [alert(1).id, alert(2).id, alert(3).id]
            assert len(sink.outbox) == 0
        finally:
            sub.stop()
            sink.close()


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    ca = trustme.CA()
    d = tmp_path_factory.mktemp("tls")
    cert = ca.issue_cert("127.0.0.1")
    cert.cert_chain_pems[0].write_to_path(str(d / "cert.pem"))
    cert.private_key_pem.write_to_path(str(d / "key.pem"))
    ca.cert_pem.write_to_path(str(d / "ca.pem"))
    return d / "cert.pem", d / "key.pem", d / "ca.pem"


@pytest.mark.parametrize("trusted", [True, False])
def test_tls_is_verified(tmp_path: Path, tls_files: tuple[Path, Path, Path], trusted: bool) -> None:
    certfile, keyfile, ca_file = tls_files
    other = tmp_path / "other.pem"
    trustme.CA().cert_pem.write_to_path(str(other))
    with broker(tmp_path, certfile=certfile, keyfile=keyfile) as b:
        assert b.tls_port is not None
        sub = Subscriber(b.port)
        settings = MqttSettings(host="127.0.0.1", port=b.tls_port, tls=True)
        sink = MqttSink(settings, ca_file=ca_file if trusted else other)
        try:
            sink.publish_status(STATUS)
            topic = f"posagent/{IMEI}/status"
            if trusted:
                assert wait_until(lambda: len(sub.on(topic)) == 1)
            else:
                time.sleep(1.0)
                assert sub.on(topic) == [] and not connected(sink)
        finally:
            sink.close()
            sub.stop()


def test_topic_placeholders() -> None:
    assert base_topic("fleet/{iccid}/{imei}/", STATUS) == f"fleet/{ICCID}/{IMEI}"
    assert base_topic("posagent/{imei}", {**STATUS, "modem": {"imei": None}}) is None
    assert (
        base_topic("posagent/{iccid}", {**STATUS, "modem": {"imei": None}}) == f"posagent/{ICCID}"
    )


def test_significant_ignores_counters_signal_and_time() -> None:
    moved = {**STATUS, "time": "later", "counters": {"rx_bytes": 1}, "signal": {"rssi_dbm": -80}}
    assert significant(moved) == significant(STATUS)
    assert significant({**STATUS, "sim": {"iccid": "other"}}) != significant(STATUS)


def test_missing_paho_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "paho.mqtt.client", None)
    with pytest.raises(MqttUnavailable, match=r"pip install 'posagent\[mqtt\]'"):
        MqttSink(MqttSettings(host="127.0.0.1"))
