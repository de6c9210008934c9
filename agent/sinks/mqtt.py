"""Reports to an MQTT broker (optional extra: ``pip install 'posagent[mqtt]'``, paho-mqtt 2.x).

Topics, with ``{imei}`` and ``{iccid}`` of the template filled from the status object:

- ``<topic>/status``: the compact status object, QoS 1, retained, so a dashboard that
  subscribes later sees the last one at once. Published when something that matters changed
  (overall status, findings, SIM, registration state), with every heartbeat report the pipeline
  delivers (``report.heartbeat``), and on (re)connect; never twice in one poll.
  Counters and signal alone do not publish: on a metered link, one message a poll would cost
  more than the rest of the agent's traffic together.
- ``<topic>/alert``: each alert report, QoS 1, not retained (an alert is an event).
- ``<topic>/online``: ``1`` retained on connect; the last will, ``0`` retained, is published by
  the broker when the connection dies without a goodbye.

paho's own network thread (``loop_start``) keeps the connection and reconnects. Alerts go
through a durable Outbox when one is given: an alert leaves it only after the broker's PUBACK,
so alerts survive an outage that outlasts the process; a crash between PUBACK and the outbox
forgetting the alert sends it again, and the report id in the payload lets a consumer drop the
repeat. Without an outbox, alerts made while offline wait in paho's memory (lost on exit).

The connection waits until the topic can be formed (the IMEI is known); a new SIM with
``{iccid}`` in the template moves the agent to its new topics with a fresh connection.

Keep-alive: one PINGREQ/PINGRESP per ``keepalive`` seconds of silence, each some 100 bytes
on the wire with TCP and TLS framing; the 10 minute default is a compromise between that
traffic and carrier NATs that forget idle TCP mappings.
"""

from __future__ import annotations

import ssl
import string
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from agent.config.settings import MqttSettings
from agent.outbox import Outbox
from agent.sinks.base import Report, compact_status, device_ids, dumps_compact
from drivers.logs import get_logger

log = get_logger("posagent.sinks.mqtt")

INSTALL_HINT = "MQTT reporting needs paho-mqtt: pip install 'posagent[mqtt]'"
KEEPALIVE = 600
ACK_WAIT = 2.0  # seconds pump() waits for a PUBACK before leaving the alert in flight
MAX_QUEUED = 200  # messages paho holds in memory while offline


class MqttUnavailable(RuntimeError):
    """paho-mqtt is not installed."""


def _paho() -> Any:
    try:
        import paho.mqtt.client as mqtt
    except ImportError as err:
        raise MqttUnavailable(INSTALL_HINT) from err
    if not hasattr(mqtt, "CallbackAPIVersion"):
        raise MqttUnavailable(f"paho-mqtt 2.0 or later is required. {INSTALL_HINT}")
    return mqtt


def base_topic(template: str, status: dict[str, Any]) -> str | None:
    """The template with {imei} and {iccid} filled in; None while one it needs is unknown."""
    imei, iccid = device_ids(status)
    values = {"imei": imei, "iccid": iccid}
    needed = {field for _, field, _, _ in string.Formatter().parse(template) if field}
    if any(values.get(name) is None for name in needed):
        return None
    topic = template.format(**values)
    return topic.rstrip("/")


def significant(status: dict[str, Any]) -> tuple[Any, ...]:
    """What must be published at once when it changes (not counters, signal or time)."""
    sim = status.get("sim") or {}
    reg = status.get("registration") or {}
    findings = sorted(
        (str(f.get("code")), str(f.get("severity"))) for f in status.get("findings") or []
    )
    return (
        status.get("status"),
        tuple(findings),
        sim.get("state"),
        sim.get("iccid"),
        reg.get("state"),
        (status.get("modem") or {}).get("imei"),
        (status.get("plan") or {}).get("name"),
    )


class MqttSink:
    name = "mqtt"

    def __init__(
        self,
        settings: MqttSettings,
        *,
        outbox: Outbox | None = None,
        client_factory: Callable[[str], Any] | None = None,
        ca_file: str | Path | None = None,
        keepalive: int = KEEPALIVE,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._mqtt = _paho()
        self.settings = settings
        self.outbox = outbox
        self._factory = client_factory or self._default_client
        self._ca_file = str(ca_file) if ca_file else None
        self._keepalive = keepalive
        self._clock = clock
        self.client: Any = None
        self.topic: str | None = None
        self._status_payload: bytes | None = None  # what on_connect publishes
        self._lock = threading.Lock()
        self._signature: tuple[Any, ...] | None = None
        self._sent_this_poll: bytes | None = None  # the status publish_status sent just now
        self._in_flight: tuple[str, Any] | None = None  # (report id, paho MQTTMessageInfo)
        self._imei: str | None = None
        self._iccid: str | None = None

    def __repr__(self) -> str:
        return f"MqttSink(host={self.settings.host!r}, topic={self.topic!r})"

    # -- the Sink protocol --------------------------------------------------------------

    def publish_status(self, status: dict[str, Any]) -> None:
        self._imei, self._iccid = device_ids(status)
        topic = base_topic(self.settings.topic, status)
        if topic is None:
            return
        if topic != self.topic:
            self._connect(topic)
        payload = dumps_compact(compact_status(status))
        with self._lock:
            self._status_payload = payload
        self._sent_this_poll = None
        signature = significant(status)
        if signature != self._signature:
            self._signature = signature
            self._sent_this_poll = payload
            self._publish_status_payload()

    def deliver(self, report: Report) -> None:
        if report.kind != "alert":
            # A heartbeat or status report: the retained status topic carries it, unless
            # publish_status sent this very status a moment ago (the poll's change).
            payload = dumps_compact(report.body)
            with self._lock:
                self._status_payload = payload
            if payload != self._sent_this_poll:
                self._publish_status_payload()
            return
        if self.outbox is None:
            if self.client is None or self.topic is None:
                log.warning("mqtt_alert_not_sent", id=report.id, reason="not connected yet")
                return
            self.client.publish(f"{self.topic}/alert", report.wire(), qos=1, retain=False)
            return
        self.outbox.put(report)
        self.pump()

    def pump(self) -> None:
        """Alerts from the outbox, one at a time, each after the previous one's PUBACK."""
        if self.outbox is None or self.client is None or self.topic is None:
            return
        while True:
            if self._in_flight is not None:
                report_id, info = self._in_flight
                wait = ACK_WAIT if self.client.is_connected() else 0.0
                state = _ack_state(info, wait)
                if state == "waiting":
                    return  # paho resends it after a reconnect; its PUBACK will come
                self._in_flight = None
                if state == "failed":
                    # paho never took it (the link fell between the check and the send):
                    # publish it again from the outbox once connected.
                    continue
                self.outbox.done(report_id)
                log.debug("report_delivered", sink=self.name, id=report_id)
            if not self.client.is_connected():
                return
            report = self.outbox.peek_due(self._clock())
            if report is None:
                return
            info = self.client.publish(f"{self.topic}/alert", report.wire(), qos=1, retain=False)
            self._in_flight = (report.id, info)

    def close(self) -> None:
        client, topic = self.client, self.topic
        if client is not None and topic is not None:
            self._goodbye(client, topic)
        if self.outbox is not None:
            self.outbox.close()

    # -- the connection -----------------------------------------------------------------

    def _default_client(self, client_id: str) -> Any:
        mqtt = self._mqtt
        return mqtt.Client(
            callback_api_version=mqtt.CallbackAPIVersion.VERSION2,
            client_id=client_id,
            clean_session=True,
            protocol=mqtt.MQTTv311,
        )

    def _connect(self, topic: str) -> None:
        if self.client is not None and self.topic is not None:
            self._goodbye(self.client, self.topic)  # the SIM changed: new topics
        self._in_flight = None  # a new client will not resend the old one's; the outbox will
        ident = self._imei or self._iccid or "unknown"
        client = self._factory(f"posagent-{ident}")
        client.max_queued_messages_set(MAX_QUEUED)
        client.reconnect_delay_set(min_delay=1, max_delay=300)
        client.will_set(f"{topic}/online", b"0", qos=1, retain=True)
        if self.settings.tls:
            client.tls_set_context(ssl.create_default_context(cafile=self._ca_file))
        if self.settings.username is not None:
            client.username_pw_set(self.settings.username, self._password())
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        self.client, self.topic = client, topic
        client.connect_async(self.settings.host, self.settings.port, keepalive=self._keepalive)
        client.loop_start()

    def _password(self) -> str | None:
        path = self.settings.password_file
        if path is None:
            return None
        try:
            return path.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as err:
            log.error("mqtt_password_unreadable", path=str(path), error=type(err).__name__)
            return None

    def _on_connect(
        self, client: Any, userdata: Any, flags: Any, reason: Any, properties: Any
    ) -> None:
        # paho's network thread.
        if getattr(reason, "is_failure", False):
            log.warning("mqtt_connect_refused", host=self.settings.host, reason=str(reason))
            return
        log.info("mqtt_connected", host=self.settings.host, port=self.settings.port)
        topic = self.topic
        if topic is None:
            return
        client.publish(f"{topic}/online", b"1", qos=1, retain=True)
        with self._lock:
            payload = self._status_payload
        if payload is not None:
            client.publish(f"{topic}/status", payload, qos=1, retain=True)

    def _on_disconnect(
        self, client: Any, userdata: Any, flags: Any, reason: Any, properties: Any
    ) -> None:
        log.info("mqtt_disconnected", host=self.settings.host, reason=str(reason))

    def _publish_status_payload(self) -> None:
        client, topic = self.client, self.topic
        with self._lock:
            payload = self._status_payload
        # Offline, nothing is queued: on_connect publishes the latest status, and a queue of
        # stale ones would only cost bytes when the link comes back.
        if client is None or topic is None or payload is None or not client.is_connected():
            return
        client.publish(f"{topic}/status", payload, qos=1, retain=True)

    def _goodbye(self, client: Any, topic: str) -> None:
        # A clean DISCONNECT suppresses the will, so say "offline" first.
        if client.is_connected():
            info = client.publish(f"{topic}/online", b"0", qos=1, retain=True)
            _ack_state(info, ACK_WAIT)
        client.disconnect()
        client.loop_stop()
        self.client = None
        self.topic = None


def _ack_state(info: Any, wait: float) -> str:
    """ "acked", "waiting" (sent or queued in paho, no PUBACK yet) or "failed" (not queued)."""
    try:
        if wait > 0:
            info.wait_for_publish(wait)
        return "acked" if info.is_published() else "waiting"
    except (RuntimeError, ValueError):
        return "failed"
